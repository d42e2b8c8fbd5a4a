package dev.attend.attention;

import dev.attend.tensor.Tensor;

import java.util.Objects;

/**
 * The output of a forward pass: {@code out [B, Hq, Lq, D]}, the natural-log log-sum-exp of each query
 * row's scaled scores {@code lse [B, Hq, Lq]} ({@code -inf} for a fully masked row, whose output is 0),
 * and what the mechanism really did ({@link Stats}). Kernel and linear attention compute no log-sum-exp:
 * their results are made with {@link #withoutLse}, say so in {@link #hasLse()}, and {@link #lse()} refuses
 * instead of returning a made-up one.
 */
public record AttentionResult(Tensor out, Tensor lse, Stats stats) {

    public AttentionResult {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(stats, "stats");
    }

    /** A result of a mechanism that computes no log-sum-exp. */
    public static AttentionResult withoutLse(Tensor out, Stats stats) {
        return new AttentionResult(out, null, stats);
    }

    /** True when the mechanism computed a log-sum-exp (softmax attention does; kernel attention does not). */
    public boolean hasLse() {
        return lse != null;
    }

    /** The log-sum-exp {@code [B, Hq, Lq]}; throws IllegalStateException when the mechanism computes none. */
    @Override
    public Tensor lse() {
        if (lse == null) {
            throw new IllegalStateException("lse: this result has no log-sum-exp (the mechanism that made it is not "
                    + "softmax attention); check hasLse() first");
        }
        return lse;
    }

    /**
     * Work a mechanism did, as opposed to the useful work of the exact mask area ({@link Cost}): blocks
     * (tiles, chunks) visited and of those the full ones (no mask work), (query, key) scores computed
     * (masked ones in visited tiles included), FLOPs done, and bytes of K and V loaded (each tile counted as
     * often as it is loaded).
     */
    public record Stats(long blocks, long fullBlocks, long scores, double flops, long kvBytes) {
        public static final Stats NONE = new Stats(0, 0, 0, 0, 0);

        /** Both together, e.g. for two partial results merged by {@link LseMerge}. */
        public Stats plus(Stats o) {
            return new Stats(blocks + o.blocks, fullBlocks + o.fullBlocks, scores + o.scores, flops + o.flops, kvBytes + o.kvBytes);
        }
    }
}
