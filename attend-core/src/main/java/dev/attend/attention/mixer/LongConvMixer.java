package dev.attend.attention.mixer;

import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;

import java.util.SplittableRandom;

/**
 * Long convolution (the unified view's Toeplitz mixer; a Hyena- or CKConv-style kernel as long as the sequence):
 * {@code h_c[t] = g_{c,t} e^{-decay t} sqrt(1 - e^{-2 decay})} with {@code g} standard normal from {@code seed},
 * a random kernel of unit expected energy that decays with the lag. Causal and non-causal (symmetric) forms, by FFT:
 * {@code O(L log L D)} per head. Stands in for a trained kernel, which a layer would pass instead.
 */
public final class LongConvMixer extends ConvolutionMixer {
    public static final String NAME = "long-conv";

    public static final MechanismDescriptor DESCRIPTOR = builder(NAME, LongConvMixer::new, true)
            .summary("Token mixer: long convolution (Toeplitz P) with a seeded decaying kernel as long as the sequence, by FFT")
            .param(Param.ofDouble("decay", 0.01, 0, 10, "decay rate of the kernel with the lag (0: no decay)"))
            .param(Param.ofLong("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE, "seed of the kernel"))
            .seeded("seed")
            .build();

    private final double decay;
    private final long seed;

    private LongConvMixer(MechanismDescriptor d, Params p) {
        super(d, p);
        this.decay = p.getDouble("decay");
        this.seed = p.getLong("seed");
    }

    @Override
    double[] kernel(int c, int d, int l) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + c);
        double[] h = new double[l];
        // Unit energy over all lags, sum_t e^{-2 decay t} = 1 / (1 - e^{-2 decay}): independent of L, so a prefix of
        // the sequence sees a prefix of the same kernel (the causal form is prefix-invariant).
        double norm = decay > 0 ? Math.sqrt(-Math.expm1(-2 * decay)) : 1;
        for (int t = 0; t < l; t++) h[t] = r.nextGaussian() * Math.exp(-decay * t) * norm;
        return h;
    }
}
