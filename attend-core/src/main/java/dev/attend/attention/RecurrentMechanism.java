package dev.attend.attention;

/**
 * A mechanism with a recurrent (decoding) form: its causal self attention runs one token at a time on a
 * {@link RecurrentState} of constant size, so that a token costs the same at position 100 and at position 1,000,000.
 * Its descriptor declares {@code recurrent}; a run of {@link RecurrentState#step}s equals its parallel causal form
 * within fp32 rounding (checked for every registered one by the mechanism contract tests).
 */
public interface RecurrentMechanism {

    /**
     * An empty state for one head of dimension {@code headDim} at score scale {@code scale}, for up to {@code horizon}
     * positions (only position-aware forms use it, e.g. cosFormer's re-weighting; pass {@code Integer.MAX_VALUE} for
     * no limit where the form allows it).
     */
    RecurrentState newState(int headDim, float scale, int horizon);
}
