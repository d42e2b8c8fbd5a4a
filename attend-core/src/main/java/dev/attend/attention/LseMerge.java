package dev.attend.attention;

import dev.attend.tensor.Tensor;

import java.util.Arrays;

/**
 * Exact merge of attention over disjoint key sets. If {@code (o1, l1)} and {@code (o2, l2)} are the
 * outputs and log-sum-exps of the same queries over two disjoint sets of keys, then attention over the
 * union is {@code lse = logaddexp(l1, l2)}, {@code out = exp(l1 - lse) o1 + exp(l2 - lse) o2}.
 * A side that saw no key ({@code l = -inf}) is left out; if neither did, the row stays 0 with
 * LSE {@code -inf}; a NaN LSE on either side makes the merged row and LSE NaN. Split-K decode, HyperAttention and context parallelism all reduce with this.
 */
public final class LseMerge {
    private LseMerge() {}

    /** {@code logaddexp} that is exact at {@code -inf}. */
    public static float logAddExp(float a, float b) {
        if (a == Float.NEGATIVE_INFINITY) return b;
        if (b == Float.NEGATIVE_INFINITY) return a;
        float m = Math.max(a, b);
        return m + (float) Math.log1p(Math.exp(-Math.abs(a - b)));
    }

    /**
     * Merges partial row {@code (o2, l2)} into the accumulator {@code (acc, lAcc)}: {@code acc[aOff..aOff+n)}
     * is rewritten in place and the merged LSE returned.
     */
    public static float mergeInto(float[] acc, int aOff, float lAcc, float[] o2, int oOff, float l2, int n) {
        // A side that saw no key is left out entirely (not weighted by 0: its row may hold anything, 0 * NaN is NaN).
        if (l2 == Float.NEGATIVE_INFINITY) return lAcc;
        if (lAcc == Float.NEGATIVE_INFINITY) {
            System.arraycopy(o2, oOff, acc, aOff, n);
            return l2;
        }
        float l = logAddExp(lAcc, l2);  // NaN on either side: NaN weights, so the row says NaN
        float w1 = (float) Math.exp(lAcc - l), w2 = (float) Math.exp(l2 - l);
        for (int x = 0; x < n; x++) acc[aOff + x] = w1 * acc[aOff + x] + w2 * o2[oOff + x];
        return l;
    }

    /**
     * Merges two results of the same queries over disjoint keys; shapes must agree and both must carry a
     * log-sum-exp (kernel and linear attention have none, so they cannot be merged this way).
     */
    public static AttentionResult merge(AttentionResult a, AttentionResult b) {
        if (a == null || b == null) {
            throw new IllegalArgumentException((a == null ? "a" : "b") + ": expected an AttentionResult, got null");
        }
        if (!a.hasLse() || !b.hasLse()) {
            throw new IllegalArgumentException((a.hasLse() ? "b" : "a") + ": expected a result with a log-sum-exp, got one without "
                    + "(kernel and linear attention compute none, so their results cannot be merged exactly)");
        }
        long[] shape = a.out().shape();
        if (!Arrays.equals(shape, b.out().shape())) {
            throw new IllegalArgumentException("b.out: expected shape " + Arrays.toString(shape) + ", got "
                    + Arrays.toString(b.out().shape()));
        }
        if (shape.length == 0 || !Arrays.equals(a.lse().shape(), Arrays.copyOf(shape, shape.length - 1))
                || !Arrays.equals(a.lse().shape(), b.lse().shape())) {
            throw new IllegalArgumentException("lse: expected shape " + Arrays.toString(Arrays.copyOf(shape, Math.max(0, shape.length - 1)))
                    + " for both sides, got " + Arrays.toString(a.lse().shape()) + " and " + Arrays.toString(b.lse().shape()));
        }
        int d = (int) shape[shape.length - 1];
        float[] lseA = a.lse().toArray(), lseB = b.lse().toArray();
        Tensor oa = a.out(), ob = b.out();
        Tensor out = Tensor.zeros(shape);
        float[] lse = new float[lseA.length];
        float[] ra = new float[d], rb = new float[d];
        for (int r = 0; r < lse.length; r++) {
            oa.readRow(r, ra, 0);
            ob.readRow(r, rb, 0);
            float l = mergeInto(ra, 0, lseA[r], rb, 0, lseB[r], d);
            if (l == Float.NEGATIVE_INFINITY) Arrays.fill(ra, 0f);
            out.writeRow(r, ra, 0);
            lse[r] = l;
        }
        return new AttentionResult(out, Tensor.of(lse, a.lse().shape()), a.stats().plus(b.stats()));
    }
}
