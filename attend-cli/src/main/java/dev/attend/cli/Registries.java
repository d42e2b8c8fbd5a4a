package dev.attend.cli;

import dev.attend.attention.Attention;
import dev.attend.attention.Capabilities;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.mask.MaskParam;
import dev.attend.attention.mask.MaskRegistry;
import dev.attend.attention.mask.MaskType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The mechanism and mask registries rendered for people: the text of {@code attend mechanisms} and
 * {@code attend masks}, their JSON, the help footer of {@code attend attention}, and the README's tables
 * (which a test checks against this output, so they cannot drift from the registries).
 */
final class Registries {
    private Registries() {}

    // ---------------------------------------------------------------- mechanisms

    static String mechanismsText() {
        StringBuilder b = new StringBuilder();
        for (MechanismDescriptor d : Attention.descriptors()) {
            Capabilities c = d.capabilities();
            b.append(d.name()).append(" (").append(kind(d)).append(")\n");
            b.append("  ").append(d.summary()).append('\n');
            b.append("  patterns: ").append(c.describePatterns()).append("; masks: ").append(c.masks().describe())
                    .append("; score mods: ").append(yes(c.scoreMods())).append("; GQA: ").append(yes(c.gqa()))
                    .append("; backward: ").append(yes(c.backward())).append("; decode: ").append(decodes(c)).append('\n');
            if (d.params().isEmpty()) {
                b.append("  parameters: none\n");
            } else {
                b.append("  parameters:\n");
                int w = d.params().stream().mapToInt(p -> p.name().length()).max().orElse(0);
                for (Param p : d.params()) {
                    b.append(String.format("    %-" + w + "s  default %s, %s: %s%n", p.name(), p.format(p.defaultValue()), p.allowed(), p.doc()));
                }
            }
            b.append('\n');
        }
        b.append("Use a mechanism as NAME or NAME:param=value,param=value (e.g. --mechanism flash:blockQ=64).\n");
        return b.toString();
    }

    static List<Map<String, Object>> mechanismsJson() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (MechanismDescriptor d : Attention.descriptors()) {
            Capabilities c = d.capabilities();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", d.name());
            m.put("summary", d.summary());
            m.put("exact", d.isExact());
            m.put("budget", d.budget().map(MechanismDescriptor.Budget::param).orElse(null));
            m.put("seeded", d.isSeeded());
            m.put("patterns", c.patterns().stream().map(Enum::name).sorted().toList());
            m.put("masks", c.masks().describe());
            m.put("score_mods", c.scoreMods());
            m.put("gqa", c.gqa());
            m.put("backward", c.backward());
            m.put("decode", c.decode());
            m.put("recurrent", c.recurrent());
            List<Map<String, Object>> params = new ArrayList<>();
            for (Param p : d.params()) {
                Map<String, Object> pm = new LinkedHashMap<>();
                pm.put("name", p.name());
                pm.put("type", p.type().name());
                pm.put("default", p.defaultValue());
                pm.put("allowed", p.allowed());
                pm.put("doc", p.doc());
                params.add(pm);
            }
            m.put("params", params);
            out.add(m);
        }
        return out;
    }

    /** The README's mechanism table. */
    static String mechanismsMarkdown() {
        StringBuilder b = new StringBuilder();
        b.append("| mechanism | kind | patterns | masks | score mods | GQA | backward | decode | parameters (default) |\n");
        b.append("|---|---|---|---|---|---|---|---|---|\n");
        for (MechanismDescriptor d : Attention.descriptors()) {
            Capabilities c = d.capabilities();
            String params = d.params().isEmpty() ? "none"
                    : d.params().stream().map(p -> "`" + p.name() + "` (" + p.format(p.defaultValue()) + ")").collect(Collectors.joining(", "));
            b.append("| `").append(d.name()).append("` | ").append(kind(d)).append(" | ").append(c.describePatterns()).append(" | ")
                    .append(c.masks().describe()).append(" | ").append(yes(c.scoreMods())).append(" | ").append(yes(c.gqa()))
                    .append(" | ").append(yes(c.backward())).append(" | ").append(decodes(c)).append(" | ").append(params).append(" |\n");
        }
        return b.toString();
    }

    /** How a mechanism decodes: over a KV cache, with a constant-size recurrent state, or not at all. */
    private static String decodes(Capabilities c) {
        return c.decode() ? "KV cache" : c.recurrent() ? "recurrent state" : "no";
    }

    private static String kind(MechanismDescriptor d) {
        if (d.isExact()) return "exact";
        return "approximate" + d.budget().map(x -> ", " + (x.exactAtEnd() ? "towards exact" : "closer") + " as `" + x.param() + "` "
                        + (x.higherIsMoreExact() ? "grows" : "shrinks")).orElse("")
                + (d.isSeeded() ? ", seeded" : "");
    }

    private static String yes(boolean b) {
        return b ? "yes" : "no";
    }

    // ---------------------------------------------------------------- masks

    static String masksText() {
        StringBuilder b = new StringBuilder();
        int w = MaskRegistry.all().stream().mapToInt(t -> t.syntax().length()).max().orElse(0);
        for (MaskType t : MaskRegistry.all()) {
            b.append(String.format("%-" + w + "s  %s  (%s)%n", t.syntax(), plain(t.visibleWhen()), t.anyLengths() ? "any Lq, Lk" : "self attention, Lq == Lk"));
            for (MaskParam p : t.params()) b.append(String.format("%-" + w + "s    %s: %s, %s%n", "", p.name(), p.doc(), p.allowed()));
        }
        b.append("\nCombine with & (and), | (or) and parentheses, e.g. 'document:512,512&causal'. Positions q, k count from 0.\n");
        return b.toString();
    }

    static List<Map<String, Object>> masksJson() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (MaskType t : MaskRegistry.all()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", t.name());
            m.put("syntax", t.syntax());
            m.put("java", t.javaCall());
            m.put("visible_when", plain(t.visibleWhen()));
            m.put("any_lengths", t.anyLengths());
            List<Map<String, Object>> params = new ArrayList<>();
            for (MaskParam p : t.params()) {
                Map<String, Object> pm = new LinkedHashMap<>();
                pm.put("name", p.name());
                pm.put("kind", p.kind().name());
                pm.put("doc", p.doc());
                params.add(pm);
            }
            m.put("params", params);
            out.add(m);
        }
        return out;
    }

    /** The README's mask table. */
    static String masksMarkdown() {
        StringBuilder b = new StringBuilder("| spec | Java | visible when | lengths |\n|---|---|---|---|\n");
        for (MaskType t : MaskRegistry.all()) {
            b.append("| `").append(t.syntax()).append("` | `").append(t.javaCall()).append("` | ").append(t.visibleWhen().replace("|", "\\|"))
                    .append(" | ").append(t.anyLengths() ? "any" : "Lq == Lk").append(" |\n");
        }
        return b.toString();
    }

    /** The help footer of {@code attend attention}: every mask spec, from the registry. */
    static String[] maskFooter() {
        List<String> lines = new ArrayList<>(List.of("", "Mask specs (see 'attend masks'):"));
        StringBuilder line = new StringBuilder(" ");
        for (MaskType t : MaskRegistry.all()) {
            if (line.length() + t.syntax().length() + 2 > 76) {  // picocli wraps at 80
                lines.add(line.toString());
                line = new StringBuilder(" ");
            }
            line.append(' ').append(t.syntax());
        }
        lines.add(line.toString());
        lines.add("Combine with & and | and parentheses, e.g. 'document:512,512&causal'.");
        lines.add("Mechanisms (see 'attend mechanisms'):");
        lines.add("  " + String.join(", ", Attention.names()) + ".");
        return lines.toArray(String[]::new);
    }

    private static String plain(String markdown) {
        return markdown.replace("`", "");
    }
}
