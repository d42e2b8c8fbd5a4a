package dev.attend.attention.linear;

import dev.attend.attention.AttentionProblem;
import dev.attend.tensor.Tensor;

import java.lang.foreign.ValueLayout;

/**
 * The fp64 oracle of kernel attention, written from each paper's weight formula (not from the feature maps):
 * {@code out_i = sum_j w(i, j) v_j / sum_j w(i, j)} over the keys row i sees, O(L^2 D).
 */
final class KernelReference {
    private KernelReference() {}

    /** The weight of key j for query i (positions i, j; rows q, k). */
    interface Weight {
        double of(double[] q, double[] k, int i, int j);
    }

    static Weight elu() {
        return (q, k, i, j) -> {
            double s = 0;
            for (int x = 0; x < q.length; x++) s += phi(q[x]) * phi(k[x]);
            return s;
        };
    }

    private static double phi(double a) {
        return a > 0 ? a + 1 : Math.exp(a);
    }

    static Weight cosformer(int m) {
        return (q, k, i, j) -> {
            double s = 0;
            for (int x = 0; x < q.length; x++) s += Math.max(0, q[x]) * Math.max(0, k[x]);
            return s * Math.cos(Math.PI / 2 * (i - j) / m);
        };
    }

    static Weight taylor(double scale) {
        return (q, k, i, j) -> {
            double s = scale * dot(q, k);
            return 1 + s + s * s / 2;
        };
    }

    static Weight softmax(double scale) {
        return (q, k, i, j) -> Math.exp(scale * dot(q, k));
    }

    /** Performer's estimate with features {@code w}: {@code sum_f exp(w_f . q' - |q'|^2/2) exp(w_f . k' - |k'|^2/2) / m}. */
    static Weight performer(double[][] w, double scale) {
        return (q, k, i, j) -> {
            double rs = Math.sqrt(scale), s = 0, hq = scale * dot(q, q) / 2, hk = scale * dot(k, k) / 2;
            for (double[] f : w) s += Math.exp(rs * dot(f, q) - hq) * Math.exp(rs * dot(f, k) - hk);
            return s / w.length;
        };
    }

    /** The oracle's output {@code [B, Hq, Lq, D]}; causal means Lq == Lk and j <= i. */
    static double[] forward(AttentionProblem p, Weight w, boolean causal) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), lq = p.lq(), lk = p.lk(), d = p.headDim();
        double[] out = new double[b * hq * lq * d];
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < hq; h++) {
                int kv = bi * hkv + h / (hq / hkv);
                for (int i = 0; i < lq; i++) {
                    double[] q = row(p.q(), (long) (bi * hq + h) * lq + i, d), num = new double[d];
                    double den = 0;
                    for (int j = 0; j < (causal ? i + 1 : lk); j++) {
                        double wt = w.of(q, row(p.k(), (long) kv * lk + j, d), i, j);
                        double[] v = row(p.v(), (long) kv * lk + j, d);
                        den += wt;
                        for (int x = 0; x < d; x++) num[x] += wt * v[x];
                    }
                    for (int x = 0; x < d; x++) out[((bi * hq + h) * lq + i) * d + x] = den > 0 ? num[x] / den : 0;
                }
            }
        }
        return out;
    }

    static double[] row(Tensor t, long r, int d) {
        float[] f = new float[d];
        t.readRow(r, f, 0);
        double[] o = new double[d];
        for (int x = 0; x < d; x++) o[x] = f[x];
        return o;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int x = 0; x < a.length; x++) s += a[x] * b[x];
        return s;
    }

    static double maxDiff(double[] want, Tensor got) {
        float[] g = got.toArray();
        double m = 0;
        for (int i = 0; i < g.length; i++) m = Math.max(m, Math.abs(want[i] - g[i]));
        return m;
    }

    /**
     * Largest gap between {@code grad} and central differences of {@code sum(dOut * oracle)} with respect to every
     * {@code stride}-th element of {@code x} (a contiguous input of p, changed in place and restored), relative to
     * {@code 1 + |fd|}.
     */
    static double gradientGap(AttentionProblem p, Weight w, boolean causal, float[] dOut, Tensor x, Tensor grad, int stride) {
        float[] gs = grad.toArray();
        double worst = 0, h = 1e-3;
        for (int i = 0; i < x.size(); i += stride) {
            float keep = x.segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            x.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (keep + h));
            double up = x.segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            double plus = loss(p, w, causal, dOut);
            x.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (keep - h));
            double down = x.segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            double minus = loss(p, w, causal, dOut);
            x.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, keep);
            double fd = (plus - minus) / (up - down);
            worst = Math.max(worst, Math.abs(fd - gs[i]) / (1 + Math.abs(fd)));
        }
        return worst;
    }

    private static double loss(AttentionProblem p, Weight w, boolean causal, float[] dOut) {
        double[] out = forward(p, w, causal);
        double s = 0;
        for (int i = 0; i < out.length; i++) s += dOut[i] * out[i];
        return s;
    }
}
