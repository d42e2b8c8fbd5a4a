package dev.attend.attention.linear;

import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Params;
import dev.attend.attention.Pattern;
import dev.attend.attention.RecurrentMechanism;
import dev.attend.attention.RecurrentState;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

/**
 * The "Non-approximate" variant of Deconstructing Attention (Xue et al. 2025): a softmax over time whose score depends
 * on the key position only, {@code s_j = scale (q_j * k_j) . 1} (the query and key of the same position j), so
 * <pre>  out_i = sum_{j visible} e^{s_j} v_j / sum_{j visible} e^{s_j},   lse_i = log sum_{j visible} e^{s_j}</pre>
 * Causal, every row is a prefix of one online softmax (linear time, the recurrence {@link #newState} holds
 * {@code D + 2} floats per head); non-causal, every row is the same full softmax. Self attention only (the score
 * pairs q_j with k_j), masks {@code full}, {@code causal}, {@code causal-br}. Cost {@code O(L D)} per head; a true
 * log-sum-exp; backward by suffix sums in double, {@code O(L D)}.
 */
public final class KeyPositionAttention extends AttentionMechanism implements RecurrentMechanism {
    public static final String NAME = "keypos";

    public static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, KeyPositionAttention::new)
            .summary("Deconstructing Attention 'Non-approximate': softmax over time of scale q_j . k_j (score by key position only), linear time")
            .patterns(Pattern.NONCAUSAL_SELF, Pattern.CAUSAL_SELF)
            .masks(MaskSupport.listed("full", "causal", "causal-br"))
            .backward(true)
            .approximate()
            .recurrent()
            .build();

    private KeyPositionAttention(MechanismDescriptor d, Params p) {
        super(d, p);
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), l = p.lq(), d = p.headDim(), per = hq / hkv;
        boolean causal = KernelAttention.causal(p);
        Tensor out = Tensor.zeros(b, hq, l, d), lse = Tensor.zeros(b, hq, l);
        Parallel.forEach(b * hq, (bh, worker) -> {
            long base = (long) bh * l, kvBase = (long) (bh / hq * hkv + bh % hq / per) * l;
            RecurrentState s = newState(d, p.scale(), l);
            float[] q = new float[d], k = new float[d], v = new float[d], o = new float[d];
            OnlineSoftmax state = (OnlineSoftmax) s;
            for (int j = 0; j < l; j++) {
                p.q().readRow(base + j, q, 0);
                p.k().readRow(kvBase + j, k, 0);
                p.v().readRow(kvBase + j, v, 0);
                s.step(q, k, v, o);
                if (causal) {
                    out.writeRow(base + j, o, 0);
                    lse.set(state.lse(), bh / hq, bh % hq, j);
                }
            }
            if (!causal) {
                for (int i = 0; i < l; i++) {
                    out.writeRow(base + i, o, 0);
                    lse.set(state.lse(), bh / hq, bh % hq, i);
                }
            }
        });
        return new AttentionResult(out, lse, new AttentionResult.Stats(b * hq, 0, (long) b * hq * l, 4.0 * b * hq * l * d, 0));
    }

    /**
     * Gradients of {@code sum(dOut * out)}: with {@code p_ij = e^{s_j - lse_i}}, {@code U_j = sum_{i sees j} e^{-lse_i} dO_i}
     * and {@code w_j = sum_{i sees j} e^{-lse_i} dO_i . out_i}, {@code dv_j = e^{s_j} U_j},
     * {@code ds_j = e^{s_j} (U_j . v_j - w_j)}, {@code dq_j = scale ds_j k_j}, {@code dk_j = scale ds_j q_j}.
     */
    @Override
    protected Gradients computeBackward(AttentionProblem p, AttentionResult forward, Tensor dOut) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), l = p.lq(), d = p.headDim(), per = hq / hkv;
        boolean causal = KernelAttention.causal(p);
        Tensor dq = Tensor.zeros(b, hq, l, d), dk = Tensor.zeros(b, hkv, l, d), dv = Tensor.zeros(b, hkv, l, d);
        double scale = p.scale();
        Parallel.forEach(b * hkv, (bk, worker) -> {
            double[][] k = rows(p.k(), (long) bk * l, l, d), v = rows(p.v(), (long) bk * l, l, d);
            double[][] gk = new double[l][d], gv = new double[l][d];
            for (int h = bk % hkv * per; h < (bk % hkv + 1) * per; h++) {
                long base = (long) (bk / hkv * hq + h) * l;
                double[][] q = rows(p.q(), base, l, d), o = rows(forward.out(), base, l, d), dO = rows(dOut, base, l, d);
                double[] lse = new double[l];
                for (int i = 0; i < l; i++) lse[i] = forward.lse().get(bk / hkv, h, i);
                double[] u = new double[d];
                double w = 0;
                if (!causal) {
                    for (int i = 0; i < l; i++) {
                        double e = Math.exp(-lse[i]);
                        for (int x = 0; x < d; x++) u[x] += e * dO[i][x];
                        w += e * dot(dO[i], o[i]);
                    }
                }
                float[] gq = new float[d];
                for (int j = l - 1; j >= 0; j--) {
                    if (causal) {
                        double e = Math.exp(-lse[j]);
                        for (int x = 0; x < d; x++) u[x] += e * dO[j][x];
                        w += e * dot(dO[j], o[j]);
                    }
                    double es = Math.exp(scale * dot(q[j], k[j]));
                    double ds = es * (dot(u, v[j]) - w);
                    for (int x = 0; x < d; x++) {
                        gv[j][x] += es * u[x];
                        gk[j][x] += scale * ds * q[j][x];
                        gq[x] = (float) (scale * ds * k[j][x]);
                    }
                    dq.writeRow(base + j, gq, 0);
                }
            }
            write(dk, (long) bk * l, gk);
            write(dv, (long) bk * l, gv);
        });
        return new Gradients(dq, dk, dv);
    }

    /** The recurrence for one head: an online softmax over {@code s_j = scale q_j . k_j}, {@code D + 2} floats. */
    @Override
    public RecurrentState newState(int d, float scale, int horizon) {
        if (d < 1 || d > AttentionProblem.MAX_HEAD_DIM) {
            throw new IllegalArgumentException("d: expected a head dimension in [1, " + AttentionProblem.MAX_HEAD_DIM + "], got " + d);
        }
        return new OnlineSoftmax(d, scale);
    }

    /** Running maximum, sum and weighted sum of values: {@code out = acc / sum}. */
    static final class OnlineSoftmax implements RecurrentState {
        private final int d;
        private final float scale;
        private final float[] acc;
        private float max = Float.NEGATIVE_INFINITY, sum;
        private long tokens;

        OnlineSoftmax(int d, float scale) {
            this.d = d;
            this.scale = scale;
            this.acc = new float[d];
        }

        @Override
        public void step(float[] q, float[] k, float[] v, float[] out) {
            tokens++;
            float s = scale * LinearKernel.dot(q, 0, k, 0, d);
            if (s > max) {
                float f = (float) Math.exp(max - s);
                for (int x = 0; x < d; x++) acc[x] *= f;
                sum *= f;
                max = s;
            }
            float e = (float) Math.exp(s - max);   // a NaN score stays NaN here and poisons the later rows, which see it
            sum += e;
            LinearKernel.axpy(e, v, 0, acc, 0, d);
            for (int x = 0; x < d; x++) out[x] = acc[x] / sum;
        }

        float lse() {
            return (float) (max + Math.log(sum));
        }

        @Override
        public long tokens() {
            return tokens;
        }

        @Override
        public long stateFloats() {
            return d + 2;
        }
    }

    private static double[][] rows(Tensor t, long from, int n, int d) {
        float[] f = new float[d];
        double[][] out = new double[n][d];
        for (int i = 0; i < n; i++) {
            t.readRow(from + i, f, 0);
            for (int x = 0; x < d; x++) out[i][x] = f[x];
        }
        return out;
    }

    private static void write(Tensor t, long from, double[][] rows) {
        float[] f = new float[rows.length == 0 ? 0 : rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            for (int x = 0; x < f.length; x++) f[x] = (float) rows[i][x];
            t.writeRow(from + i, f, 0);
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int x = 0; x < a.length; x++) s += a[x] * b[x];
        return s;
    }
}
