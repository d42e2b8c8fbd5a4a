package dev.attend.attention;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a mechanism can do: the CAB patterns it computes, the masks it takes, whether it applies score
 * modifiers, handles grouped-query attention ({@code Hq > Hkv}), has a backward pass, decodes over a
 * KV cache ({@link DecodingMechanism}), and decodes with a constant-size state ({@link RecurrentMechanism}).
 * {@link #refusal} turns them into a reason for a given problem.
 */
public record Capabilities(Set<Pattern> patterns, MaskSupport masks, boolean scoreMods, boolean gqa,
                           boolean backward, boolean decode, boolean recurrent) {
    public Capabilities {
        Objects.requireNonNull(masks, "masks");
        if (patterns == null || patterns.isEmpty()) throw new IllegalArgumentException("patterns: expected at least one pattern");
        patterns = Set.copyOf(EnumSet.copyOf(patterns));
    }

    /** Null when the problem is within these capabilities, else the first reason it is not. */
    String refusal(AttentionProblem p) {
        String m = masks.refusal(p.mask());
        if (m != null) return m;
        if (!scoreMods && !p.scoreMod().isIdentity()) {
            return "score mods: expected none, got '" + p.scoreMod().describe() + "'";
        }
        if (!gqa && p.hq() != p.hkv()) {
            return "grouped-query attention: expected Hq == Hkv, got Hq=" + p.hq() + ", Hkv=" + p.hkv();
        }
        if (!patterns.equals(Pattern.ALL)) {
            Pattern pat = Pattern.of(p);
            if (!patterns.contains(pat)) {
                return "patterns: expected " + describePatterns() + ", got " + pat.label()
                        + " (Lq=" + p.lq() + ", Lk=" + p.lk() + ", mask '" + p.mask().describe() + "')";
            }
        }
        return null;
    }

    /** The supported patterns in declaration order, e.g. {@code "noncausal self, noncausal cross"}, or {@code "all"}. */
    public String describePatterns() {
        if (patterns.equals(Pattern.ALL)) return "all";
        return EnumSet.copyOf(patterns).stream().map(Pattern::label).collect(Collectors.joining(", "));
    }
}
