package dev.attend.nn.tasks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Tasks from a spec string {@code NAME[:key=value,key=value..]}, e.g. {@code mqar:vocab=8192,seq=256,pairs=16} or
 * {@code niah:seq=512,keys=4,depths=0/50/100}. Names and keys (defaults in parentheses):
 * <ul>
 *   <li>{@code mqar}: {@code vocab} (8192), {@code seq} (256), {@code pairs} (16), {@code power} (0.01), {@code seed} (0);</li>
 *   <li>{@code niah}: {@code vocab} (1024), {@code seq} (512), {@code keys} (1), {@code values} (1), {@code queries} (1),
 *       {@code keyTokens} (2), {@code valueTokens} (2), {@code depths} (RULER's 40, or percentages joined by
 *       {@code /}), {@code seed} (0);</li>
 *   <li>{@code vt}: {@code vocab} (1024), {@code seq} (512), {@code chains} (1), {@code hops} (4), {@code seed} (0);</li>
 *   <li>{@code cwe}: {@code vocab} (1024), {@code seq} (512), {@code common} (10), {@code commonRepeats} (6),
 *       {@code uncommonRepeats} (1) (RULER's settings below 4K tokens), {@code seed} (0);</li>
 *   <li>{@code text}: {@code file} (required: a text corpus, its path free of commas), {@code vocab} (1024; 256 is
 *       byte-level), {@code seq} (128), {@code valid} (0.1, the held-out share), {@code seed} (0): {@link TextTask}.</li>
 * </ul>
 * A bad name, key or value is refused with an {@link IllegalArgumentException} naming it and what is allowed.
 */
public final class Tasks {
    private Tasks() {}

    /** The task names, in the order the documentation lists them. */
    public static final String NAMES = "mqar, niah, vt, cwe, text";

    /** The task a spec describes. */
    public static Task parse(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("task: expected a spec such as mqar:seq=256, got nothing");
        int colon = spec.indexOf(':');
        String name = (colon < 0 ? spec : spec.substring(0, colon)).trim();
        Map<String, String> p = new LinkedHashMap<>();
        if (colon >= 0 && colon + 1 < spec.length()) {
            for (String kv : spec.substring(colon + 1).split(",")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException("task " + name + ": expected key=value, got '" + kv + "'");
                if (p.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim()) != null) {
                    throw new IllegalArgumentException("task " + name + ": key '" + kv.substring(0, eq).trim() + "' given twice");
                }
            }
        }
        return switch (name) {
            case "mqar" -> {
                allow(name, p, "vocab", "seq", "pairs", "power", "seed");
                yield new Mqar(i(name, p, "vocab", 8192), i(name, p, "seq", 256), i(name, p, "pairs", 16),
                        d(name, p, "power", 0.01), l(name, p, "seed", 0));
            }
            case "niah" -> {
                allow(name, p, "vocab", "seq", "keys", "values", "queries", "keyTokens", "valueTokens", "depths", "seed");
                yield new Niah(i(name, p, "vocab", 1024), i(name, p, "seq", 512), i(name, p, "keys", 1), i(name, p, "values", 1),
                        i(name, p, "queries", 1), i(name, p, "keyTokens", 2), i(name, p, "valueTokens", 2), depths(name, p),
                        l(name, p, "seed", 0));
            }
            case "vt" -> {
                allow(name, p, "vocab", "seq", "chains", "hops", "seed");
                yield new VariableTracking(i(name, p, "vocab", 1024), i(name, p, "seq", 512), i(name, p, "chains", 1),
                        i(name, p, "hops", 4), l(name, p, "seed", 0));
            }
            case "cwe" -> {
                allow(name, p, "vocab", "seq", "common", "commonRepeats", "uncommonRepeats", "seed");
                yield new CommonWords(i(name, p, "vocab", 1024), i(name, p, "seq", 512), i(name, p, "common", 10),
                        i(name, p, "commonRepeats", 6), i(name, p, "uncommonRepeats", 1), l(name, p, "seed", 0));
            }
            case "text" -> {
                allow(name, p, "file", "vocab", "seq", "valid", "seed");
                String file = p.get("file");
                if (file == null || file.isEmpty()) throw new IllegalArgumentException("task text: file: expected the path of a text corpus, e.g. text:file=corpus.txt");
                byte[] corpus;
                try {
                    corpus = Files.readAllBytes(Path.of(file));
                } catch (IOException | InvalidPathException e) {
                    throw new IllegalArgumentException("task text: file: cannot read '" + file + "' (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
                }
                yield new TextTask(Path.of(file).getFileName().toString(), corpus, i(name, p, "vocab", 1024), i(name, p, "seq", 128),
                        d(name, p, "valid", 0.1), l(name, p, "seed", 0));
            }
            default -> throw new IllegalArgumentException("task: expected one of " + NAMES + ", got '" + name + "'");
        };
    }

    private static void allow(String task, Map<String, String> p, String... keys) {
        Set<String> allowed = Set.of(keys);
        for (String k : p.keySet()) {
            if (!allowed.contains(k)) throw new IllegalArgumentException("task " + task + ": unknown key '" + k + "', expected one of " + String.join(", ", keys));
        }
    }

    private static int i(String task, Map<String, String> p, String key, int dflt) {
        long v = l(task, p, key, dflt);
        if (v != (int) v) throw new IllegalArgumentException("task " + task + ": " + key + ": expected an int, got " + v);
        return (int) v;
    }

    private static long l(String task, Map<String, String> p, String key, long dflt) {
        String s = p.get(key);
        if (s == null) return dflt;
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("task " + task + ": " + key + ": expected an integer, got '" + s + "'");
        }
    }

    private static double d(String task, Map<String, String> p, String key, double dflt) {
        String s = p.get(key);
        if (s == null) return dflt;
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("task " + task + ": " + key + ": expected a number, got '" + s + "'");
        }
    }

    private static int[] depths(String task, Map<String, String> p) {
        String s = p.get("depths");
        if (s == null || s.equals("ruler")) return Niah.RULER_DEPTHS;
        String[] parts = s.split("/");
        int[] d = new int[parts.length];
        for (int k = 0; k < parts.length; k++) {
            try {
                d[k] = Integer.parseInt(parts[k].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("task " + task + ": depths: expected percentages joined by '/', got '" + s + "'");
            }
        }
        return d;
    }
}
