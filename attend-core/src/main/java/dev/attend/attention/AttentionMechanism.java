package dev.attend.attention;

import dev.attend.tensor.Tensor;

/**
 * A way to compute attention. Exact mechanisms return the softmax attention of the problem up to
 * float rounding; approximate ones say in their Javadoc what they approximate and how the error is bounded.
 */
public interface AttentionMechanism {
    /** The registry name, as used by {@link Attention#of(String)} and the CLI's {@code --mechanism}. */
    String name();

    /** Computes {@code out} and {@code lse} for the problem. */
    AttentionResult forward(AttentionProblem problem);

    /** Whether {@link #backward} is available. */
    default boolean supportsBackward() {
        return false;
    }

    /**
     * Gradients of {@code sum(dOut * out)} with respect to q, k and v, given the {@code forward}
     * result of the same problem (its output and LSE are reused, not recomputed).
     */
    default Gradients backward(AttentionProblem problem, AttentionResult forward, Tensor dOut) {
        throw new UnsupportedOperationException("mechanism '" + name() + "' has no backward pass");
    }
}
