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
        int l = v.length, d = v[0].length;
        double[][] re = new double[l][], im = new double[l][];
        for (int t = 0; t < l; t++) {
            re[t] = v[t].clone();
            im[t] = new double[d];
            Fft.dft(re[t], im[t], false);
        }
        double[] cr = new double[l], ci = new double[l];
        for (int c = 0; c < d; c++) {
            for (int t = 0; t < l; t++) {
                cr[t] = re[t][c];
                ci[t] = im[t][c];
            }
            Fft.dft(cr, ci, false);
            for (int t = 0; t < l; t++) out[t][c] = cr[t];
        }
    }

    @Override
    void mixTransposed(double[][] g, boolean causal, double[][] out) {
        mix(g, causal, out);
    }
}
