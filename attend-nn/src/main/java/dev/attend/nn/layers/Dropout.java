package dev.attend.nn.layers;

import dev.attend.nn.autograd.Pointwise;
import dev.attend.nn.autograd.Var;

/**
 * Dropout of one forward pass: probability {@code p} and a seed, from which each site (a fixed number per place in
 * the model) derives its own mask, so two sites never share one and a pass replays bit for bit. {@link #OFF} (and
 * p = 0) returns its input.
 */
public record Dropout(float p, long seed) {
    public static final Dropout OFF = new Dropout(0f, 0);

    public Dropout {
        if (!(p >= 0f && p < 1f)) throw new IllegalArgumentException("dropout: expected a probability in [0, 1), got " + p);
    }

    /** The seed of a training step's dropout, a function of the run's seed and the step (nearby values decorrelate). */
    public static long stepSeed(long runSeed, long step) {
        return mix(mix(runSeed) + step);
    }

    public Var apply(Var x, int site) {
        return p == 0f ? x : Pointwise.dropout(x, p, mix(seed + site));
    }

    // SplitMix64's finaliser: SplittableRandom's streams from seeds s and s + its gamma overlap, so seeds are mixed first.
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
