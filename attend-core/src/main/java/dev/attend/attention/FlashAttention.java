package dev.attend.attention;

import dev.attend.tensor.Tensor;

/**
 * Exact attention with FlashAttention-2's tiling: {@link FlashForward} (online softmax, saves the LSE)
 * and {@link FlashBackward} (recomputes P from the LSE). Time follows the mask's area: empty tiles are
 * never visited and full tiles skip mask work. Memory beyond inputs and outputs: a few tiles per
 * thread (forward), plus one dQ accumulator per thread (backward).
 */
public final class FlashAttention implements AttentionMechanism {
    public static final String NAME = "flash";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public AttentionResult forward(AttentionProblem problem) {
        return FlashForward.run(problem);
    }

    @Override
    public boolean supportsBackward() {
        return true;
    }

    @Override
    public Gradients backward(AttentionProblem problem, AttentionResult forward, Tensor dOut) {
        return FlashBackward.run(problem, forward, dOut);
    }
}
