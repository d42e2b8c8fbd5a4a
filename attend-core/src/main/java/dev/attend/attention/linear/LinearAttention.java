package dev.attend.attention.linear;

import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Params;
import dev.attend.simd.Gemm;
import dev.attend.simd.VMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Linear attention (Katharopoulos et al., ICML 2020, "Transformers are RNNs"): the feature map
 * {@code phi(x) = elu(x) + 1} (x + 1 for x > 0, e^x otherwise), positive, so {@code w_ij = phi(q_i) . phi(k_j) > 0}
 * and every row's weights are a distribution over its keys. m = D features; the scale is not used (the paper has
 * none: a scaled x would change the map's shape, not only its temperature). Runs on {@link KernelAttention}:
 * non-causal and causal (the paper's RNN form is {@link #newState}, {@code D (D + 1) + 1} floats per head), backward.
 * Not an approximation of softmax attention with a knob: its own kernel.
 */
public final class LinearAttention extends KernelAttention {
    public static final String NAME = "linear";

    public static final MechanismDescriptor DESCRIPTOR = builder(NAME, LinearAttention::new)
            .summary("Linear attention: elu(x)+1 feature maps, linear time, causal by prefix sums (Transformers are RNNs)")
            .approximate()
            .build();

    private LinearAttention(MechanismDescriptor d, Params p) {
        super(d, p);
    }

    @Override
    FeatureMap featureMap(int d, float scale, int horizon) {
        return new Elu(d);
    }

    /** {@code elu(x) + 1}, element by element. */
    record Elu(int d) implements FeatureMap {
        @Override public int features() { return d; }
        @Override public int stride() { return Gemm.pad(d); }
        @Override public boolean scaled() { return false; }
        /** elu + 1: a compare, an exp and an add per element. */
        @Override public double flopsPerRow(int dim) { return 3.0 * dim; }

        @Override
        public void map(Side side, float[] x, int rows, int dim, int pos0, float[] out, float[] logScale) {
            int mp = stride();
            for (int r = 0; r < rows; r++) {
                int c = 0;
                for (int bound = Gemm.F.loopBound(d); c < bound; c += Gemm.LANES) {
                    FloatVector a = FloatVector.fromArray(Gemm.F, x, r * d + c);
                    VMath.exp(a.min(0f)).blend(a.add(1f), a.compare(VectorOperators.GT, 0f)).intoArray(out, r * mp + c);
                }
                for (; c < d; c++) {
                    float a = x[r * d + c];
                    out[r * mp + c] = a > 0 ? a + 1 : (float) Math.exp(a);
                }
                for (c = d; c < mp; c++) out[r * mp + c] = 0f;
            }
        }

        @Override
        public void backward(Side side, float[] x, int rows, int dim, int pos0, float[] phi, float[] dphi, float[] dx) {
            int mp = stride();
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < d; c++) {
                    float a = x[r * d + c];
                    dx[r * d + c] = dphi[r * mp + c] * (a > 0 ? 1f : phi[r * mp + c]);
                }
            }
        }
    }
}
