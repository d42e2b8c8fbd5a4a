package dev.attend.attention.mixer;

import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Params;

/**
 * FNet (Lee-Thorp et al., NAACL 2022): the real part of the 2-D DFT, over the hidden dimension and then over the
 * sequence, {@code out = Re(F_L v F_D)}: a fixed, parameter-free mixer, unnormalised as in the paper (the layer's
 * LayerNorm follows it), {@code O(L D (log L + log D))} per head by {@link Fft} (any length). Non-causal only: every
 * output mixes every position. The map is its own adjoint ({@code F} is symmetric: {@code <g, Re(F v F)> = <Re(F g F), v>}
 * for real g and v), so the backward pass is the forward applied to the gradients.
 */
public final class FnetMixer extends TokenMixer {
    public static final String NAME = "fnet";

    public static final MechanismDescriptor DESCRIPTOR = builder(NAME, FnetMixer::new, false)
            .summary("Token mixer: FNet, the real part of the 2-D DFT over hidden and sequence dimensions (non-causal)")
            .build();

    private FnetMixer(MechanismDescriptor d, Params p) {
        super(d, p);
    }

    @Override
    void mix(double[][] v, boolean causal, double[][] out) {
        int d = v.length, l = v[0].length;
        // Over the sequence, channel by channel, then over the channels, token by token (the 2-D DFT is separable).
        double[][] re = new double[d][], im = new double[d][];
        for (int c = 0; c < d; c++) {
            re[c] = v[c].clone();
            im[c] = new double[l];
            Fft.dft(re[c], im[c], false);
        }
        double[] rr = new double[d], ri = new double[d];
        for (int t = 0; t < l; t++) {
            for (int c = 0; c < d; c++) {
                rr[c] = re[c][t];
                ri[c] = im[c][t];
            }
            Fft.dft(rr, ri, false);
            for (int c = 0; c < d; c++) out[c][t] = rr[c];
        }
    }

    /** A DFT of length D per row and of length L per column. */
    @Override
    double mixFlops(int l, int d, boolean causal) {
        return (double) l * Fft.dftFlops(d) + (double) d * Fft.dftFlops(l);
    }

    @Override
    void mixTransposed(double[][] g, boolean causal, double[][] out) {
        mix(g, causal, out);
    }
}
