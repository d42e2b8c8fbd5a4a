package dev.attend.attention.linear;

import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Params;
import dev.attend.simd.Gemm;

/**
 * The "Approximate" variant of Deconstructing Attention (Xue et al. 2025): softmax with {@code exp} replaced by its
 * 2nd-order Taylor series, {@code w_ij = 1 + s + s^2 / 2} with {@code s = scale q_i . k_j}, which is positive for
 * every s (its discriminant is negative) and a feature-map kernel, so it runs in linear time with a recurrent form:
 * <pre>  phi(x) = [1, sqrt(scale) x, scale x_a^2 / sqrt(2) (a), scale x_a x_b (a < b)],   m = 1 + D + D (D + 1) / 2</pre>
 * ({@code (x . y)^2} over the upper triangle of {@code x x^T}). Error against softmax: each weight is within
 * {@code |s|^3 / 6 e^max(s, 0)} of {@code e^s}, small for small-norm inputs. m grows as D^2/2 (2145 at D = 64): the
 * state is {@code m (D + 1) + 1} floats per head and a token costs {@code 4 m D} FLOPs, so it pays at long lengths and
 * small heads. Runs on {@link KernelAttention}: non-causal, causal, backward, {@link #newState}.
 */
public final class TaylorAttention extends KernelAttention {
    public static final String NAME = "taylor";

    public static final MechanismDescriptor DESCRIPTOR = builder(NAME, TaylorAttention::new)
            .summary("Deconstructing Attention 'Approximate': 2nd-order Taylor softmax as a feature map, linear time, recurrent")
            .approximate()
            .build();

    private TaylorAttention(MechanismDescriptor d, Params p) {
        super(d, p);
    }

    @Override
    FeatureMap featureMap(int d, float scale, int horizon) {
        return new Taylor2(d, scale);
    }

    /** {@code 1 + s + s^2/2} as {@code phi(q) . phi(k)}. */
    record Taylor2(int d, float scale) implements FeatureMap {
        @Override public int features() { return 1 + d + d * (d + 1) / 2; }
        @Override public int stride() { return Gemm.pad(features()); }
        @Override public boolean scaled() { return false; }
        /** A product and a scale per quadratic feature, a scale per linear one. */
        @Override public double flopsPerRow(int dim) { return dim * (dim + 1.0) + dim; }

        @Override
        public void map(Side side, float[] x, int rows, int dim, int pos0, float[] out, float[] logScale) {
            int mp = stride();
            float rs = (float) Math.sqrt(scale), diag = (float) (scale / Math.sqrt(2));
            for (int r = 0; r < rows; r++) {
                int o = r * mp, xo = r * d;
                out[o] = 1f;
                for (int a = 0; a < d; a++) out[o + 1 + a] = rs * x[xo + a];
                int f = o + 1 + d;
                for (int a = 0; a < d; a++) {
                    out[f++] = diag * x[xo + a] * x[xo + a];
                    for (int b = a + 1; b < d; b++) out[f++] = scale * x[xo + a] * x[xo + b];
                }
                for (; f < o + mp; f++) out[f] = 0f;
            }
        }

        @Override
        public void backward(Side side, float[] x, int rows, int dim, int pos0, float[] phi, float[] dphi, float[] dx) {
            int mp = stride();
            float rs = (float) Math.sqrt(scale), diag = (float) (scale / Math.sqrt(2));
            for (int r = 0; r < rows; r++) {
                int o = r * mp, xo = r * d;
                double[] g = new double[d];
                for (int a = 0; a < d; a++) g[a] = rs * dphi[o + 1 + a];
                int f = o + 1 + d;
                for (int a = 0; a < d; a++) {
                    g[a] += 2.0 * diag * x[xo + a] * dphi[f++];
                    for (int b = a + 1; b < d; b++) {
                        double df = scale * (double) dphi[f++];
                        g[a] += df * x[xo + b];
                        g[b] += df * x[xo + a];
                    }
                }
                for (int a = 0; a < d; a++) dx[xo + a] = (float) g[a];
            }
        }
    }
}
