package dev.attend.attention;

/**
 * The recurrent (decoding) form of a mechanism for one head: a state of constant size, so that token number
 * 1,000,000 costs what token number 100 does. {@link #step} appends one token's key and value and returns the
 * output of its query over every token appended so far (causal self attention, one row at a time); a run of steps
 * equals the mechanism's parallel causal form on the same rows within fp32 rounding.
 */
public interface RecurrentState {

    /** Appends {@code k} and {@code v} (length D each) and writes the output of {@code q} (length D) into {@code out}. */
    void step(float[] q, float[] k, float[] v, float[] out);

    /** Tokens appended so far. */
    long tokens();

    /** Floats the state holds, whatever {@link #tokens()} is (the per-head state size to report). */
    long stateFloats();
}
