package dev.attend.attention;

import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

/**
 * The oracle: attention computed row by row with fp64 accumulation straight from the definition
 * ({@code softmax(scoreMod(scale * q k^T) + mask) v}), asking the mask element by element.
 * Cost {@code O(B * Hq * Lq * Lk * D)} time and {@code O(Lk)} memory per row; meant for tests and
 * for checking other mechanisms, not for speed. Parallel over (batch, head) only, so results do not
 * depend on the thread count.
 */
public final class ReferenceAttention extends AttentionMechanism {
    public static final String NAME = "reference";

    static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, ReferenceAttention::new)
            .summary("The fp64-accumulating oracle, row by row from the definition: exact, slow, for tests and checks")
            .scoreMods(true).backward(true).oracle()
            .build();

    private ReferenceAttention(MechanismDescriptor d, Params p) {
        super(d, p);
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        Rows r = new Rows(p);
        Tensor out = Tensor.zeros(p.batch(), p.hq(), p.lq(), p.headDim());
        Tensor lse = Tensor.zeros(p.batch(), p.hq(), p.lq());
        Parallel.forEach(p.batch() * p.hq(), (bh, w) -> {
            int b = bh / p.hq(), h = bh % p.hq();
            double[] prob = new double[p.lk()];
            for (int i = 0; i < p.lq(); i++) {
                double l = r.probabilities(b, h, i, prob, null);
                lse.set((float) l, b, h, i);
                for (int d = 0; d < r.d; d++) {
                    double acc = 0;
                    for (int j = 0; j < p.lk(); j++) if (prob[j] != 0) acc += prob[j] * r.v[r.kvRow(b, h, j) + d];
                    out.set((float) acc, b, h, i, d);
                }
            }
        });
        long scores = p.mask().area(p.batch(), p.hq(), p.lq(), p.lk());  // only visible pairs are scored
        return new AttentionResult(out, lse, new AttentionResult.Stats(0, 0, scores, Cost.attentionFlops(scores, p.headDim()),
                2L * Float.BYTES * p.headDim() * p.batch() * p.hq() * p.lk()));
    }

    /** Exact gradients in fp64; the {@code forward} result is not needed (everything is recomputed). */
    @Override
    protected Gradients computeBackward(AttentionProblem p, AttentionResult forward, Tensor dOut) {
        Rows r = new Rows(p);
        int d = r.d, group = p.hq() / p.hkv();
        double[] dq = new double[p.batch() * p.hq() * p.lq() * d];
        double[] dk = new double[p.batch() * p.hkv() * p.lk() * d];
        double[] dv = new double[dk.length];
        float[] dO = dOut.contiguous().toArray();
        // Parallel over (batch, kv head): each owns its dk, dv rows and its group's dq rows.
        Parallel.forEach(p.batch() * p.hkv(), (bhk, w) -> {
            int b = bhk / p.hkv(), hk = bhk % p.hkv();
            double[] prob = new double[p.lk()], dz = new double[p.lk()], deriv = new double[p.lk()];
            for (int h = hk * group; h < (hk + 1) * group; h++) {
                for (int i = 0; i < p.lq(); i++) {
                    r.probabilities(b, h, i, prob, deriv);
                    int qRow = ((b * p.hq() + h) * p.lq() + i) * d;
                    double rowDot = 0;
                    for (int j = 0; j < p.lk(); j++) {
                        if (prob[j] == 0) { dz[j] = 0; continue; }
                        int kv = r.kvRow(b, h, j);
                        double dp = 0;
                        for (int x = 0; x < d; x++) dp += (double) dO[qRow + x] * r.v[kv + x];
                        dz[j] = dp;
                        rowDot += prob[j] * dp;
                    }
                    for (int j = 0; j < p.lk(); j++) {
                        if (prob[j] == 0) continue;
                        int kv = r.kvRow(b, h, j);
                        double ds = prob[j] * (dz[j] - rowDot) * deriv[j] * p.scale();
                        for (int x = 0; x < d; x++) {
                            dq[qRow + x] += ds * r.k[kv + x];
                            dk[kv + x] += ds * r.q[qRow + x];
                            dv[kv + x] += prob[j] * dO[qRow + x];
                        }
                    }
                }
            }
        });
        return new Gradients(toTensor(dq, p.q().shape()), toTensor(dk, p.k().shape()), toTensor(dv, p.v().shape()));
    }

    private static Tensor toTensor(double[] x, long[] shape) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return Tensor.of(f, shape);
    }

    /** The problem's inputs as flat arrays, and one row of exact probabilities at a time. */
    private static final class Rows {
        final AttentionProblem p;
        final float[] q, k, v;
        final int d, group;
        final Mask mask;
        final ScoreMod mod;

        Rows(AttentionProblem p) {
            this.p = p;
            long n = p.k().size();
            if (p.q().size() > Integer.MAX_VALUE - 8 || n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("reference attention: inputs must have fewer than 2^31 elements, got q "
                        + p.q().size() + ", k " + n);
            }
            this.q = p.q().contiguous().toArray();
            this.k = p.k().contiguous().toArray();
            this.v = p.v().contiguous().toArray();
            this.d = p.headDim();
            this.group = p.hq() / p.hkv();
            this.mask = p.mask();
            this.mod = p.scoreMod();
        }

        int kvRow(int b, int h, int j) {
            return ((b * p.hkv() + h / group) * p.lk() + j) * d;
        }

        /**
         * Fills {@code prob} with the softmax row of query (b, h, i) (0 where masked), and {@code deriv}
         * (if not null) with the score modifier's derivative; returns the row's log-sum-exp.
         */
        double probabilities(int b, int h, int i, double[] prob, double[] deriv) {
            int qRow = ((b * p.hq() + h) * p.lq() + i) * d;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < p.lk(); j++) {
                if (!mask.visible(b, h, i, j, p.lq(), p.lk())) {
                    prob[j] = Double.NEGATIVE_INFINITY;
                    continue;
                }
                int kv = kvRow(b, h, j);
                double s = 0;
                for (int x = 0; x < d; x++) s += (double) q[qRow + x] * k[kv + x];
                float z = (float) (s * p.scale());
                double score = mod.isIdentity() ? s * p.scale() : mod.apply(z, b, h, i, j);
                if (deriv != null) deriv[j] = mod.isIdentity() ? 1 : mod.derivative(z, b, h, i, j);
                prob[j] = score;
                max = Math.max(max, score);
            }
            if (max == Double.NEGATIVE_INFINITY) {
                java.util.Arrays.fill(prob, 0);
                return Double.NEGATIVE_INFINITY;
            }
            double sum = 0;
            for (int j = 0; j < p.lk(); j++) {
                prob[j] = Math.exp(prob[j] - max);
                sum += prob[j];
            }
            for (int j = 0; j < p.lk(); j++) prob[j] /= sum;
            return max + Math.log(sum);
        }
    }
}
