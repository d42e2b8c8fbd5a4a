package dev.attend.attention;

import dev.attend.tensor.Tensor;

/**
 * The output of a forward pass: {@code out [B, Hq, Lq, D]}, the natural-log log-sum-exp of each query
 * row's scaled scores {@code lse [B, Hq, Lq]} ({@code -inf} for a fully masked row, whose output is 0),
 * and what the mechanism did.
 */
public record AttentionResult(Tensor out, Tensor lse, Stats stats) {
    /** Work done: tiles visited, of which full (no mask work), and the FLOPs of the visited area. */
    public record Stats(long visitedTiles, long fullTiles, double flops) {
        public static final Stats NONE = new Stats(0, 0, 0);
    }
}
