package dev.attend.spark;

import dev.attend.attention.LseMerge;

import java.io.Serializable;

/**
 * Attention of one output part's queries over some of the keys: {@code out [B, heads, rows, D]} and its natural-log
 * {@code lse [B, heads, rows]} ({@code -inf} for a row that saw no key yet, whose output is 0), over the keys of key shard
 * {@code keyShard}. Partials of the same part over disjoint keys merge exactly ({@link LseMerge}); {@link #mergeAll} merges
 * them in key-shard order, so the answer has the same bits whatever order the shuffle delivers them in, and after a retry.
 */
record Partial(int part, int keyShard, int d, float[] out, float[] lse) implements Serializable {

    /** A part that has seen no key: every row 0 with LSE {@code -inf}. */
    static Partial empty(int part, int keyShard, int rows, int d) {
        float[] lse = new float[rows];
        java.util.Arrays.fill(lse, Float.NEGATIVE_INFINITY);
        return new Partial(part, keyShard, d, new float[Math.multiplyExact(rows, d)], lse);
    }

    /** Merges {@code o} (the same part over other keys) into this one, in place, and returns this. */
    Partial mergeFrom(Partial o) {
        if (o.part != part || o.lse.length != lse.length || o.d != d) {
            throw new IllegalArgumentException("partial: expected part " + part + " with " + lse.length + " rows of " + d
                    + ", got part " + o.part + " with " + o.lse.length + " rows of " + o.d);
        }
        for (int r = 0; r < lse.length; r++) lse[r] = LseMerge.mergeInto(out, r * d, lse[r], o.out, r * d, o.lse[r], d);
        return this;
    }

    /** The partials of one part merged in key-shard order (into the first, which Spark's shuffle gave us as a fresh copy). */
    static Partial mergeAll(Iterable<Partial> partials) {
        java.util.List<Partial> all = new java.util.ArrayList<>();
        partials.forEach(all::add);
        all.sort(java.util.Comparator.comparingInt(Partial::keyShard));
        Partial acc = all.getFirst();
        for (int i = 1; i < all.size(); i++) acc.mergeFrom(all.get(i));
        return acc;
    }
}
