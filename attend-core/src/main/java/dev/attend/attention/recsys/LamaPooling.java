package dev.attend.attention.recsys;

import dev.attend.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * LAMA's low-rank factorised multi-head pooling attention (Liu et al., "LAMA: Low-rank Multi-head Attention", text
 * classification): K heads pool a sequence {@code H [T, d]} by a global context query,
 * <pre>  c = mean of the valid h_t,   f_t = tanh((P^T c) * (Q^T h_t))  (K values, elementwise product)
 *  f_t <- f_t / |f_t|  (L2 over heads),   A[k, :] = softmax over valid t of f_t[k],   M = A H  [K x d]</pre>
 * so head k's weights are a distribution over the valid positions (padding gets weight 0). {@code P, Q [d x K]} are the
 * rank-K factorisation of the K bilinear heads {@code c^T W_k h}; 2dK parameters, {@code O(T d K)} per sequence. Without
 * trained weights they are drawn from a seed (scaled by {@code 1/sqrt(d)}); a trainer sets them with {@link #of} and
 * takes their gradients, and the sequence's, from {@link #backward}.
 */
public final class LamaPooling {
    private final int d, heads;
    private final float[] p, q;   // [d x K] row-major

    private LamaPooling(int d, int heads, float[] p, float[] q) {
        this.d = d;
        this.heads = heads;
        this.p = p;
        this.q = q;
    }

    /** Random {@code P, Q} (N(0, 1/d)) from {@code seed}. */
    public static LamaPooling random(int d, int heads, long seed) {
        check(d, heads);
        SplittableRandom r = new SplittableRandom(seed);
        float[] p = new float[d * heads], q = new float[d * heads];
        double s = 1 / Math.sqrt(d);
        for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextGaussian() * s);
        for (int i = 0; i < q.length; i++) q[i] = (float) (r.nextGaussian() * s);
        return new LamaPooling(d, heads, p, q);
    }

    /** Given {@code P, Q [d x K]} row-major (copied). */
    public static LamaPooling of(int d, int heads, float[] p, float[] q) {
        check(d, heads);
        if (p == null || p.length != d * heads) throw new IllegalArgumentException("p: expected d x K = " + d * heads + " floats, got " + (p == null ? "null" : p.length));
        if (q == null || q.length != d * heads) throw new IllegalArgumentException("q: expected d x K = " + d * heads + " floats, got " + (q == null ? "null" : q.length));
        return new LamaPooling(d, heads, p.clone(), q.clone());
    }

    private static void check(int d, int heads) {
        if (d < 1) throw new IllegalArgumentException("d: expected at least 1, got " + d);
        if (heads < 1) throw new IllegalArgumentException("heads: expected at least 1 (LAMA uses 8), got " + heads);
    }

    /** The attention weights {@code A [B, K, T]} of {@code h [B, T, d]} with {@code valid[b]} valid positions each. */
    public Tensor weights(Tensor h, int[] valid) {
        checkInputs(h, valid);
        int b = (int) h.dim(0), t = (int) h.dim(1);
        Tensor a = Tensor.zeros(b, heads, t);
        for (int bi = 0; bi < b; bi++) {
            Entry e = entry(h, bi, valid[bi]);
            for (int k = 0; k < heads; k++) for (int i = 0; i < valid[bi]; i++) a.set((float) e.a[k][i], bi, k, i);
        }
        return a;
    }

    /** {@code h [B, T, d]} and one valid length in [1, T] per batch entry, or an error naming what is wrong. */
    private void checkInputs(Tensor h, int[] valid) {
        long[] s = h.shape();
        if (s.length != 3 || s[2] != d) {
            throw new IllegalArgumentException("h: expected [B, T, " + d + "], got " + java.util.Arrays.toString(s));
        }
        int b = (int) s[0], t = (int) s[1];
        if (valid == null || valid.length != b) {
            throw new IllegalArgumentException("valid: expected one length per batch entry (" + b + "), got " + (valid == null ? "null" : valid.length));
        }
        for (int bi = 0; bi < b; bi++) {
            if (valid[bi] < 1 || valid[bi] > t) {
                throw new IllegalArgumentException("valid[" + bi + "]: expected a length in [1, " + t + "], got " + valid[bi]);
            }
        }
    }

    /**
     * One batch entry's forward intermediates over its {@code n} valid positions: the rows {@code x}, the mean context
     * {@code c}, {@code P^T c}, {@code Q^T x_i}, {@code e = tanh}, its norms, {@code f = e / |e|} and the weights
     * {@code a [K][n]}: what {@link #weights} returns and {@link #backward} differentiates.
     */
    private record Entry(double[][] x, double[] c, double[] pc, double[][] qh, double[][] e, double[] norm, double[][] f, double[][] a) {}

    private Entry entry(Tensor h, int bi, int n) {
        int t = (int) h.dim(1);
        float[] row = new float[d];
        double[][] x = new double[n][d];
        double[] c = new double[d];
        for (int i = 0; i < n; i++) {
            h.readRow((long) bi * t + i, row, 0);
            for (int j = 0; j < d; j++) {
                x[i][j] = row[j];
                c[j] += row[j] / (double) n;
            }
        }
        double[] pc = new double[heads];
        for (int k = 0; k < heads; k++) for (int j = 0; j < d; j++) pc[k] += p[j * heads + k] * c[j];
        double[][] qh = new double[n][heads], e = new double[n][heads], f = new double[n][heads];
        double[] norm = new double[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < heads; k++) {
                for (int j = 0; j < d; j++) qh[i][k] += q[j * heads + k] * x[i][j];
                e[i][k] = Math.tanh(pc[k] * qh[i][k]);
                norm[i] += e[i][k] * e[i][k];
            }
            norm[i] = Math.sqrt(norm[i]);
            for (int k = 0; k < heads; k++) f[i][k] = norm[i] > 0 ? e[i][k] / norm[i] : e[i][k];
        }
        double[][] a = new double[heads][n];
        for (int k = 0; k < heads; k++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < n; i++) max = Math.max(max, f[i][k]);
            for (int i = 0; i < n; i++) sum += Math.exp(f[i][k] - max);
            for (int i = 0; i < n; i++) a[k][i] = Math.exp(f[i][k] - max) / sum;
        }
        return new Entry(x, c, pc, qh, e, norm, f, a);
    }

    /** The pooled matrix {@code M = A H [B, K, d]}. */
    public Tensor pool(Tensor h, int[] valid) {
        Tensor a = weights(h, valid);
        int b = (int) h.dim(0), t = (int) h.dim(1);
        Tensor m = Tensor.zeros(b, heads, d);
        float[] row = new float[d];
        for (int bi = 0; bi < b; bi++) {
            double[][] acc = new double[heads][d];
            for (int i = 0; i < valid[bi]; i++) {
                h.readRow((long) bi * t + i, row, 0);
                for (int k = 0; k < heads; k++) {
                    double w = a.get(bi, k, i);
                    for (int x = 0; x < d; x++) acc[k][x] += w * row[x];
                }
            }
            for (int k = 0; k < heads; k++) for (int x = 0; x < d; x++) m.set((float) acc[k][x], bi, k, x);
        }
        return m;
    }

    /** The gradients of a loss with respect to the pooled sequence {@code h [B, T, d]} and to {@code P, Q [d x K]}. */
    public record Gradients(Tensor dh, float[] dp, float[] dq) {}

    /**
     * The backward pass of {@link #pool}: from {@code dM [B, K, d]} back through {@code M = A H}, the softmax over
     * positions, the L2 normalisation over heads, tanh, the two factors and the mean context (padding gets 0).
     */
    public Gradients backward(Tensor h, int[] valid, Tensor dM) {
        checkInputs(h, valid);
        int b = (int) h.dim(0), t = (int) h.dim(1);
        if (dM == null || !java.util.Arrays.equals(dM.shape(), new long[] {b, heads, d})) {
            throw new IllegalArgumentException("dM: expected [" + b + ", " + heads + ", " + d + "], got "
                    + (dM == null ? "null" : java.util.Arrays.toString(dM.shape())));
        }
        Tensor dh = Tensor.zeros(b, t, d);
        double[] dp = new double[d * heads], dq = new double[d * heads];
        float[] row = new float[d];
        for (int bi = 0; bi < b; bi++) {
            int n = valid[bi];
            Entry en = entry(h, bi, n);
            double[][] x = en.x, qh = en.qh, e = en.e, f = en.f, g = new double[n][d];
            double[] c = en.c, pc = en.pc, norm = en.norm;
            // M = A H: dA and the direct part of dH.
            double[][] df = new double[n][heads];
            for (int k = 0; k < heads; k++) {
                double[] dmk = new double[d];
                for (int j = 0; j < d; j++) dmk[j] = dM.get(bi, k, j);
                double[] da = new double[n];
                double dot = 0;
                for (int i = 0; i < n; i++) {
                    double w = en.a[k][i];
                    for (int j = 0; j < d; j++) {
                        da[i] += dmk[j] * x[i][j];
                        g[i][j] += w * dmk[j];
                    }
                    dot += w * da[i];
                }
                for (int i = 0; i < n; i++) df[i][k] = en.a[k][i] * (da[i] - dot);   // softmax over positions
            }
            double[] dpc = new double[heads];
            for (int i = 0; i < n; i++) {
                double fd = 0;
                for (int k = 0; k < heads; k++) fd += f[i][k] * df[i][k];
                for (int k = 0; k < heads; k++) {
                    double de = norm[i] > 0 ? (df[i][k] - f[i][k] * fd) / norm[i] : df[i][k];   // f = e / |e|
                    double dg = de * (1 - e[i][k] * e[i][k]);                                  // e = tanh(g)
                    dpc[k] += dg * qh[i][k];                                                   // g = (P^T c)_k (Q^T h_i)_k
                    double dqh = dg * pc[k];
                    for (int j = 0; j < d; j++) {
                        dq[j * heads + k] += dqh * x[i][j];
                        g[i][j] += q[j * heads + k] * dqh;
                    }
                }
            }
            for (int j = 0; j < d; j++) {
                double dc = 0;
                for (int k = 0; k < heads; k++) {
                    dp[j * heads + k] += dpc[k] * c[j];
                    dc += p[j * heads + k] * dpc[k];
                }
                for (int i = 0; i < n; i++) g[i][j] += dc / n;                                 // c = mean of the valid h_i
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) row[j] = (float) g[i][j];
                dh.writeRow((long) bi * t + i, row, 0);
            }
        }
        float[] dpf = new float[dp.length], dqf = new float[dq.length];
        for (int i = 0; i < dp.length; i++) {
            dpf[i] = (float) dp[i];
            dqf[i] = (float) dq[i];
        }
        return new Gradients(dh, dpf, dqf);
    }

    /** {@code 2 d K}. */
    public long parameters() {
        return 2L * d * heads;
    }
}
