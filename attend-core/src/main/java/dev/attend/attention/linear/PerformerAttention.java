package dev.attend.attention.linear;

import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.simd.Gemm;
import dev.attend.simd.MatMul;
import dev.attend.simd.VMath;
import jdk.incubator.vector.FloatVector;

import java.util.SplittableRandom;

/**
 * Performer's FAVOR+ (Choromanski et al., ICLR 2021): softmax attention through positive orthogonal random features,
 * in linear time. With {@code x' = sqrt(scale) x} the softmax kernel is {@code exp(q' . k') = E[phi(q) . phi(k)]} for
 * <pre>  phi(x) = exp(W x' - |x'|^2 / 2) / sqrt(m),   W [m x D]</pre>
 * whose rows are orthogonal within each block of D (Gram-Schmidt of a Gaussian matrix) and scaled by the norms of
 * independent Gaussian vectors, so that each row is marginally N(0, I): every feature is an unbiased estimate and
 * orthogonality lowers the variance. The features are positive, so the normaliser never vanishes (trigonometric
 * features can). {@code W} is a function of {@code seed}, D and m only, shared by every head: redrawing the features
 * (Performer's feature_redraw_interval during training) is a new seed, {@code Attention.of("performer:seed=...")}.
 *
 * <p>Stabilisers: each query row is divided by {@code exp} of its largest exponent (cancels in the ratio); keys carry
 * theirs as log scales, made common by {@link LinearKernel}'s running maximum, so exponents never overflow.
 * Runs on {@link KernelAttention}: non-causal and the causal prefix-sum form, a backward pass, and the recurrence
 * ({@code m (D + 1) + 1} floats per head). The feature map is one GEMM ({@code L D m}) and an exp per feature.
 * Approximate with no exact setting: the error falls as {@code 1/sqrt(m)}.
 */
public final class PerformerAttention extends KernelAttention {
    public static final String NAME = "performer";

    public static final MechanismDescriptor DESCRIPTOR = builder(NAME, PerformerAttention::new)
            .summary("Performer FAVOR+: positive orthogonal random features of the softmax kernel, linear time, causal by prefix sums")
            .param(Param.ofInt("features", 256, 1, 1 << 14, "random features m (error falls as 1/sqrt(m); cost 4 m D per token)"))
            .param(Param.ofLong("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE, "seed of the random features (a new seed redraws them)"))
            .seeded("seed")
            .approximate("features", true, false)
            .build();

    private final int features;
    private final long seed;

    private PerformerAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.features = p.getInt("features");
        this.seed = p.getLong("seed");
    }

    @Override
    FeatureMap featureMap(int d, float scale, int horizon) {
        return new Favor(randomFeatures(features, d, seed), features, d, scale);
    }

    /**
     * {@code W [m x d]} row-major: blocks of d orthonormal rows (Gram-Schmidt in double precision), each row scaled by
     * the norm of an independent standard Gaussian d-vector.
     */
    static double[][] randomFeatures(int m, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] w = new double[m][];
        for (int b0 = 0; b0 < m; b0 += d) {
            double[][] block = new double[d][d];
            for (double[] row : block) for (int x = 0; x < d; x++) row[x] = r.nextGaussian();
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < i; j++) {
                    double dot = 0;
                    for (int x = 0; x < d; x++) dot += block[i][x] * block[j][x];
                    for (int x = 0; x < d; x++) block[i][x] -= dot * block[j][x];
                }
                double norm = 0;
                for (int x = 0; x < d; x++) norm += block[i][x] * block[i][x];
                norm = Math.sqrt(norm);
                for (int x = 0; x < d; x++) block[i][x] /= norm;
            }
            for (int i = 0; i < d && b0 + i < m; i++) {
                double chi = 0;
                for (int x = 0; x < d; x++) {
                    double g = r.nextGaussian();
                    chi += g * g;
                }
                chi = Math.sqrt(chi);
                w[b0 + i] = new double[d];
                for (int x = 0; x < d; x++) w[b0 + i][x] = block[i][x] * chi;
            }
        }
        return w;
    }

    /** The FAVOR+ map: one GEMM against {@code sqrt(scale) W^T}, then {@code exp(. - scale |x|^2 / 2 - max)}. */
    static final class Favor implements FeatureMap {
        private final int m, mp;
        private final float scale, norm;
        private final float[] wt, w;   // sqrt(scale) W^T [d x mp] for the GEMM, sqrt(scale) W [m x d] for the backward

        Favor(double[][] features, int m, int d, float scale) {
            this.m = m;
            this.mp = Gemm.pad(m);
            this.scale = scale;
            this.norm = (float) (1 / Math.sqrt(m));
            double rs = Math.sqrt(scale);
            wt = new float[d * mp];
            w = new float[m * d];
            for (int f = 0; f < m; f++) {
                for (int x = 0; x < d; x++) {
                    wt[x * mp + f] = (float) (features[f][x] * rs);
                    w[f * d + x] = (float) (features[f][x] * rs);
                }
            }
        }

        @Override public int features() { return m; }
        @Override public int stride() { return mp; }
        @Override public boolean scaled() { return true; }
        /** The projection GEMM, the squared norm, and a shift, an exp and a scale per feature. */
        @Override public double flopsPerRow(int d) { return 2.0 * d * m + 2.0 * d + 3.0 * m; }

        @Override
        public void map(Side side, float[] x, int rows, int d, int pos0, float[] out, float[] logScale) {
            MatMul.gemmSerial(false, false, rows, mp, d, 1f, x, 0, d, wt, 0, mp, 0f, out, 0, mp);
            for (int r = 0; r < rows; r++) {
                float half = 0.5f * scale * LinearKernel.dot(x, r * d, x, r * d, d), max = Float.NEGATIVE_INFINITY;
                int o = r * mp;
                for (int f = 0; f < m; f++) if (out[o + f] > max) max = out[o + f];   // NaN ignored
                FloatVector shift = FloatVector.broadcast(Gemm.F, max);
                for (int f = 0; f < mp; f += Gemm.LANES) {
                    VMath.exp(FloatVector.fromArray(Gemm.F, out, o + f).sub(shift)).mul(norm).intoArray(out, o + f);
                }
                for (int f = m; f < mp; f++) out[o + f] = 0f;
                if (logScale != null) logScale[r] = max - half;   // a query's scale cancels: it is dropped
            }
        }

        @Override
        public void backward(Side side, float[] x, int rows, int d, int pos0, float[] phi, float[] dphi, float[] dx) {
            // d phi_f / d x = phi_f (sqrt(s) w_f - s x): dx = sqrt(s) W^T (phi * dphi) - s x sum_f phi_f dphi_f
            for (int r = 0; r < rows; r++) {
                double total = 0;
                double[] acc = new double[d];
                for (int f = 0; f < m; f++) {
                    double pd = (double) phi[r * mp + f] * dphi[r * mp + f];
                    if (pd == 0) continue;
                    total += pd;
                    for (int c = 0; c < d; c++) acc[c] += pd * w[f * d + c];
                }
                for (int c = 0; c < d; c++) dx[r * d + c] = (float) (acc[c] - scale * x[r * d + c] * total);
            }
        }
    }
}
