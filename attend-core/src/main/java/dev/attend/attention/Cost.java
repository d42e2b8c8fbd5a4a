package dev.attend.attention;

import dev.attend.attention.mask.Mask;
import dev.attend.tensor.DType;

/**
 * The one place that counts useful work, as LongCA-bench does: forward attention costs
 * {@code 4 * area * D} FLOPs (two for each multiply-add of {@code Q K^T} and of {@code P V}), where the
 * area is the number of visible (b, h, q, k) in the exact mask; backward is {@link #BACKWARD_FACTOR} times
 * forward; a decode step must read the whole KV cache once. Kernel stats, the benchmark and the baselines
 * all call it, so their numbers agree.
 */
public final class Cost {
    /** Backward FLOPs per forward FLOP (FlashAttention's convention: five products instead of two). */
    public static final double BACKWARD_FACTOR = 2.5;

    private Cost() {}

    /** {@code 4 * scores * D}: FLOPs of softmax attention over {@code scores} (query, key) pairs. */
    public static double attentionFlops(double scores, int headDim) {
        return 4.0 * scores * headDim;
    }

    /** Useful forward FLOPs of a problem, from its mask's exact area. */
    public static double forwardFlops(AttentionProblem p) {
        return forwardFlops(p.mask(), p.batch(), p.hq(), p.lq(), p.lk(), p.headDim());
    }

    /** Useful forward FLOPs of a mask over {@code [batch, heads, lq, lk]} at head dimension {@code d}. */
    public static double forwardFlops(Mask mask, int batch, int heads, int lq, int lk, int d) {
        return attentionFlops(mask.area(batch, heads, lq, lk), d);
    }

    /** Useful backward FLOPs: {@link #BACKWARD_FACTOR} x forward. */
    public static double backwardFlops(AttentionProblem p) {
        return BACKWARD_FACTOR * forwardFlops(p);
    }

    /** Bytes of keys and values a decode step reads from a cache of {@code tokens} tokens stored as {@code format}. */
    public static long kvCacheBytes(DType format, long batch, long kvHeads, long tokens, int headDim) {
        return Math.multiplyExact(2L * batch * kvHeads, format.byteSize(Math.multiplyExact(tokens, (long) headDim)));
    }
}
