package dev.attend.attention.linear;

import dev.attend.attention.AttentionProblem;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.attention.Support;
import dev.attend.simd.Gemm;

/**
 * cosFormer (Qin et al., ICLR 2022): ReLU features with a cos re-weighting of the distance,
 * {@code w_ij = relu(q_i) . relu(k_j) cos(pi/2 (i - j) / M)}, which decomposes as
 * {@code cos(a_i) cos(a_j) + sin(a_i) sin(a_j)} with {@code a_i = pi/2 i / M}: the feature map
 * {@code phi(x_i) = [relu(x_i) cos a_i, relu(x_i) sin a_i]}, m = 2D. Positions count from 0 for queries and keys
 * alike; M is {@code horizon}, or the longer length when it is 0 (the paper's M). With positions below M every
 * weight is non-negative and nearby tokens weigh more. The scale is not used (ReLU is scale-equivariant: a scale
 * would cancel in the ratio). A row whose features are all zero (every entry of q_i or of its keys non-positive)
 * has a zero denominator: it is floored at 1e-6, the paper's epsilon, so the row gives 0, never NaN.
 *
 * <p>Causal with {@code horizon = 0}: M is the sequence length, so row i depends on L; with a fixed horizon the
 * CAB prefix property holds and the recurrence ({@link #newState}, {@code 2D (D + 1) + 1} floats per head) needs one.
 */
public final class CosformerAttention extends KernelAttention {
    public static final String NAME = "cosformer";

    public static final MechanismDescriptor DESCRIPTOR = builder(NAME, CosformerAttention::new)
            .summary("cosFormer: ReLU features re-weighted by cos(pi/2 (i-j)/M), linear time, causal by prefix sums")
            .param(Param.ofInt("horizon", 0, 0, 1 << 30, "M of the cos re-weighting, at least every position; 0: the longer sequence length"))
            .approximate()
            .build();

    private final int horizon;

    private CosformerAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.horizon = p.getInt("horizon");
    }

    @Override
    protected Support check(AttentionProblem p) {
        if (horizon > 0 && Math.max(p.lq(), p.lk()) > horizon) {
            return Support.no("horizon: expected at least the sequence length " + Math.max(p.lq(), p.lk()) + ", got " + horizon);
        }
        return Support.YES;
    }

    @Override
    int horizon(AttentionProblem p) {
        return horizon > 0 ? horizon : super.horizon(p);
    }

    @Override
    float denominatorFloor() {
        return 1e-6f;
    }

    @Override
    FeatureMap featureMap(int d, float scale, int given) {
        return new CosRelu(d, horizon > 0 ? horizon : given);
    }

    /** {@code [relu(x) cos a, relu(x) sin a]} at {@code a = pi/2 pos / M}. */
    record CosRelu(int d, int m) implements FeatureMap {
        @Override public int features() { return 2 * d; }
        @Override public int stride() { return Gemm.pad(2 * d); }
        @Override public boolean scaled() { return false; }
        /** ReLU, then the cos and sin re-weightings: three per element. */
        @Override public double flopsPerRow(int dim) { return 3.0 * dim; }

        @Override
        public void map(Side side, float[] x, int rows, int dim, int pos0, float[] out, float[] logScale) {
            int mp = stride();
            for (int r = 0; r < rows; r++) {
                double a = Math.PI / 2 * (pos0 + r) / m;
                float c = (float) Math.cos(a), s = (float) Math.sin(a);
                for (int j = 0; j < d; j++) {
                    float v = x[r * d + j];
                    float relu = v > 0 ? v : v == v ? 0f : v;   // NaN stays NaN
                    out[r * mp + j] = relu * c;
                    out[r * mp + d + j] = relu * s;
                }
                for (int j = 2 * d; j < mp; j++) out[r * mp + j] = 0f;
            }
        }

        @Override
        public void backward(Side side, float[] x, int rows, int dim, int pos0, float[] phi, float[] dphi, float[] dx) {
            int mp = stride();
            for (int r = 0; r < rows; r++) {
                double a = Math.PI / 2 * (pos0 + r) / m;
                float c = (float) Math.cos(a), s = (float) Math.sin(a);
                for (int j = 0; j < d; j++) {
                    dx[r * d + j] = x[r * d + j] > 0 ? dphi[r * mp + j] * c + dphi[r * mp + d + j] * s : 0f;
                }
            }
        }
    }
}
