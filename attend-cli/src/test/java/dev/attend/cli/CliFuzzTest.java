package dev.attend.cli;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.attend.tensor.DType;
import dev.attend.tensor.Npy;
import dev.attend.tensor.Safetensors;
import dev.attend.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Coverage-guided fuzz target (Jazzer) for the command line: {@link Main#run} with fuzzed argument arrays returns
 * 0, 1 or 2 and never throws, and a failure prints exactly one line on stderr, without a stack trace unless
 * {@code --verbose} is given.
 *
 * <p>Input: UTF-8 text, one argument per line. Besides literal arguments a line may be a marker for a file this
 * test made in its temp directory ({@code $q}, {@code $k}, {@code $v} valid float32 .npy files that fit
 * together, {@code $q16} float16, {@code $qd} of another head dim, {@code $bad} a malformed .npy, {@code $empty},
 * {@code $st} a safetensors file, {@code $dir} a directory, {@code $missing}, {@code $out}, {@code $lse},
 * {@code $argfile} an {@code @file} of arguments), or {@code %N}: the N-th (mod count) of the real subcommand and
 * option names, read from the picocli model so that the dictionary follows the CLI as it changes.
 *
 * <p>Safety: nothing is ever written outside the temp directory. Every value of an option of type {@link Path}
 * (found in the picocli model, so new path options are covered) is mapped into the temp directory, {@code @file}
 * arguments are read only from it, and before running, the arguments are parsed once by picocli and every matched
 * Path value is checked to lie inside it. {@code bench} runs only with {@code --list} (which is added), {@code info}
 * only with {@code --no-peak} (added), and a subcommand this test does not know only for its help. Outputs are
 * deleted after each run.
 *
 * <p>Seeds and findings: {@code src/test/resources/dev/attend/cli/CliFuzzTestInputs/arguments/};
 * {@code ./attend fuzz cli} fuzzes.
 */
class CliFuzzTest {
    private static final int MAX_ARGS = 64;
    private static final Set<String> KNOWN = Set.of("attention", "bench", "info", "help", "mechanisms", "masks");

    private static final Path ROOT, IN, OUT;
    private static final Map<String, String> MARKERS;
    private static final List<String> NAMES;
    private static final Set<String> PATH_OPTIONS;

    static {
        try {
            ROOT = Files.createTempDirectory("attend-cli-fuzz").toRealPath();
            IN = Files.createDirectories(ROOT.resolve("in"));
            OUT = Files.createDirectories(ROOT.resolve("out"));
            Npy.write(IN.resolve("q.npy"), Tensor.randn(1, 1, 2, 4, 8));
            Npy.write(IN.resolve("k.npy"), Tensor.randn(2, 1, 1, 6, 8));
            Npy.write(IN.resolve("v.npy"), Tensor.randn(3, 1, 1, 6, 8));
            Npy.write(IN.resolve("q16.npy"), Tensor.randn(4, 1, 2, 4, 8), DType.F16);
            Npy.write(IN.resolve("qd.npy"), Tensor.randn(5, 1, 2, 4, 4));
            Files.write(IN.resolve("bad.npy"), "\u0093NUMPY\u0001\u0000{'descr'".getBytes(StandardCharsets.ISO_8859_1));
            Files.write(IN.resolve("empty.npy"), new byte[0]);
            Safetensors.write(IN.resolve("t.safetensors"), Map.of("q", Tensor.randn(6, 1, 2, 4, 8)));
            Files.createDirectories(IN.resolve("dir"));
            Files.writeString(IN.resolve("args.txt"), "info\n--no-peak\n--json\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        MARKERS = Map.ofEntries(
                Map.entry("$q", IN.resolve("q.npy").toString()), Map.entry("$k", IN.resolve("k.npy").toString()),
                Map.entry("$v", IN.resolve("v.npy").toString()), Map.entry("$q16", IN.resolve("q16.npy").toString()),
                Map.entry("$qd", IN.resolve("qd.npy").toString()), Map.entry("$bad", IN.resolve("bad.npy").toString()),
                Map.entry("$empty", IN.resolve("empty.npy").toString()), Map.entry("$st", IN.resolve("t.safetensors").toString()),
                Map.entry("$dir", IN.resolve("dir").toString()), Map.entry("$missing", IN.resolve("missing.npy").toString()),
                Map.entry("$out", OUT.resolve("o.npy").toString()), Map.entry("$lse", OUT.resolve("lse.npy").toString()));
        Set<String> names = new TreeSet<>(), paths = new TreeSet<>();
        collect(Main.commandLine(CommandLine.defaultFactory()), names, paths);
        NAMES = List.copyOf(names);
        PATH_OPTIONS = Set.copyOf(paths);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(ROOT, true)));
    }

    /** The temp directory every file of the target lives in. */
    static Path root() {
        return ROOT;
    }

    /** Every subcommand and option name of the command tree, and the names of the options that take a Path. */
    private static void collect(CommandLine cl, Set<String> names, Set<String> paths) {
        for (OptionSpec o : cl.getCommandSpec().options()) {
            names.addAll(Arrays.asList(o.names()));
            if (Path.class.isAssignableFrom(o.type())) paths.addAll(Arrays.asList(o.names()));
        }
        for (Map.Entry<String, CommandLine> s : cl.getSubcommands().entrySet()) {
            names.add(s.getKey());
            collect(s.getValue(), names, paths);
        }
    }

    @FuzzTest(maxDuration = "5m")
    @DictionaryEntries({"attention", "bench", "info", "help", "mechanisms", "masks", "advise", "--allow-nonfinite", "--resume", "--compare", "--time-budget", "--q", "--k", "--v", "--out", "--lse", "--mask", "--scale",
        "--mechanism", "--quiet", "--quick", "--suite", "--filter", "--list", "--progress", "--no-progress", "--json",
        "--no-peak", "--verbose", "--help", "-h", "--version", "-V", "=", "--", "$q", "$k", "$v", "$q16", "$qd", "$bad",
        "$empty", "$st", "$dir", "$missing", "$out", "$lse", "$argfile", "%", "causal", "flash", "reference", "exact"})
    @DictionaryFile(resourcePath = "cli.dict")
    void arguments(byte[] data) {
        List<String> args = decode(data);
        if (args == null) return;
        String[] argv = args.toArray(String[]::new);
        boolean verbose = args.contains("--verbose") || System.getenv("ATTEND_DEBUG") != null;
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code;
        try {
            code = Main.run(new PrintWriter(out), new PrintWriter(err), argv);
        } catch (Throwable t) {
            throw new AssertionError("Main.run threw for " + show(argv), t);
        } finally {
            delete(OUT, false);
        }
        if (code < 0 || code > 2) throw new AssertionError("exit code " + code + " (expected 0, 1 or 2) for " + show(argv) + "; stderr: " + err);
        if (code != 0 && !verbose) {
            List<String> lines = err.toString().lines().toList();
            if (lines.size() != 1 || lines.getFirst().isBlank()) {
                throw new AssertionError("exit code " + code + " for " + show(argv) + " printed " + lines.size()
                        + " lines on stderr (expected one):\n" + err);
            }
        }
    }

    /** The argument array for an input, or null when it must not run (bench without --list etc.). */
    static List<String> decode(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        List<String> lines = text.isEmpty() ? List.of() : new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        if (lines.size() > 1 && lines.getLast().isEmpty()) lines = lines.subList(0, lines.size() - 1); // a final newline ends the last argument
        List<String> args = new ArrayList<>();
        for (String line : lines.subList(0, Math.min(lines.size(), MAX_ARGS))) args.add(token(line));
        confinePaths(args);
        ParseResult parsed = parse(args);
        if (parsed == null) return args;             // picocli refuses it: the run only prints a usage error
        if (helpRequested(parsed)) return args;
        ParseResult sub = deepest(parsed);
        if (sub == parsed) return args;              // no subcommand: the usage
        String name = sub.commandSpec().name();
        if (!KNOWN.contains(name)) return null;      // a command this test does not know may be slow
        if (name.equals("bench") && !sub.hasMatchedOption("--list")) return withAdded(args, "--list", "bench");
        if (name.equals("info") && !sub.hasMatchedOption("--no-peak")) return withAdded(args, "--no-peak", "info");
        return args;
    }

    /** Adds {@code option} at the end; runs only if the command then still parses with it, or fails to parse. */
    private static List<String> withAdded(List<String> args, String option, String command) {
        List<String> more = new ArrayList<>(args);
        more.add(option);
        ParseResult p = parse(more);
        if (p == null) return more;
        ParseResult sub = deepest(p);
        if (helpRequested(p)) return more;
        return sub.commandSpec().name().equals(command) && sub.hasMatchedOption(option) ? more : null;
    }

    private static String token(String line) {
        if (MARKERS.containsKey(line)) return MARKERS.get(line);
        if (line.equals("$argfile")) return "@" + IN.resolve("args.txt");
        if (line.startsWith("%") && line.length() > 1 && line.length() < 10 && line.substring(1).chars().allMatch(Character::isDigit)) {
            return NAMES.get(Integer.parseInt(line.substring(1)) % NAMES.size());
        }
        if (line.startsWith("@")) return "@" + IN.resolve(fileName(line.substring(1)));  // @files: read only from IN
        return line;
    }

    /** Every value of a Path option, "--out x" or "--out=x", goes into the temp directory. */
    private static void confinePaths(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (PATH_OPTIONS.contains(a) && i + 1 < args.size()) {
                args.set(i + 1, confine(args.get(i + 1)));
                i++;
                continue;
            }
            int eq = a.indexOf('=');
            if (eq > 0 && PATH_OPTIONS.contains(a.substring(0, eq))) args.set(i, a.substring(0, eq + 1) + confine(a.substring(eq + 1)));
        }
    }

    private static String confine(String value) {
        return value.startsWith(ROOT + "/") ? value : OUT.resolve(fileName(value)).toString();
    }

    /** A plain file name made from fuzzed text: no separators, no dot names, at most 40 characters. */
    private static String fileName(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 40; i++) {
            char c = s.charAt(i);
            b.append(Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_' || c == '.' ? c : '_');
        }
        String n = b.toString();
        return n.isEmpty() || n.chars().allMatch(c -> c == '.') ? "x" + n : n;
    }

    /** Parses like Main.run will (a fresh command tree), checking that every matched Path lies under ROOT. */
    private static ParseResult parse(List<String> args) {
        ParseResult p;
        try {
            p = Main.commandLine(CommandLine.defaultFactory()).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            return null;
        }
        for (ParseResult r = p; r != null; r = r.subcommand()) {
            for (OptionSpec o : r.matchedOptions()) {
                if (o.getValue() instanceof Path path && !path.toAbsolutePath().normalize().startsWith(ROOT)) {
                    throw new IllegalStateException("fuzz harness: " + o.longestName() + " " + path + " escapes " + ROOT
                            + " for " + args + "; not run");
                }
            }
        }
        return p;
    }

    private static ParseResult deepest(ParseResult p) {
        while (p.subcommand() != null) p = p.subcommand();
        return p;
    }

    private static boolean helpRequested(ParseResult p) {
        for (ParseResult r = p; r != null; r = r.subcommand()) {
            if (r.isUsageHelpRequested() || r.isVersionHelpRequested() || r.commandSpec().name().equals("help")) return true;
        }
        return false;
    }

    private static String show(String[] argv) {
        StringBuilder b = new StringBuilder("[");
        for (String a : argv) {
            b.append(b.length() > 1 ? ", " : "").append('"');
            for (char c : a.toCharArray()) b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
            b.append('"');
        }
        return b.append(']').toString();
    }

    private static void delete(Path dir, boolean self) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                if (self || !p.equals(dir)) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cleaning " + dir, e);
        }
    }
}
