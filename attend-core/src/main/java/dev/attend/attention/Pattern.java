package dev.attend.attention;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * CAB's four attention patterns. A problem is <em>self</em> attention when {@code Lq == Lk} (Attend cannot
 * know where q and k came from, so equal lengths are taken as one sequence) and <em>cross</em> otherwise;
 * it is <em>causal</em> when its mask hides every key after the query's position (top-left, or
 * bottom-right alignment for cross attention; {@link dev.attend.attention.mask.Mask#isCausal}).
 */
public enum Pattern {
    NONCAUSAL_SELF, CAUSAL_SELF, NONCAUSAL_CROSS, CAUSAL_CROSS;

    /** All four. */
    public static final Set<Pattern> ALL = Set.copyOf(EnumSet.allOf(Pattern.class));

    /** The pattern of a problem: O(Lq) for slice masks, a scan of the masked-above-diagonal pairs for predicates. */
    public static Pattern of(AttentionProblem p) {
        boolean causal = p.mask().isCausal(p.batch(), p.hq(), p.lq(), p.lk());
        boolean self = p.lq() == p.lk();
        return self ? (causal ? CAUSAL_SELF : NONCAUSAL_SELF) : (causal ? CAUSAL_CROSS : NONCAUSAL_CROSS);
    }

    public boolean causal() {
        return this == CAUSAL_SELF || this == CAUSAL_CROSS;
    }

    public boolean self() {
        return this == NONCAUSAL_SELF || this == CAUSAL_SELF;
    }

    /** {@code "causal self"}, {@code "noncausal cross"}, ... */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
