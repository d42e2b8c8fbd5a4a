package dev.attend.nn.autograd;

import jdk.incubator.vector.FloatVector;

import java.util.Arrays;

/**
 * Normalisations over the last dimension: LayerNorm ({@code (x - mean) / sqrt(var + eps) * gamma + beta}), RMSNorm
 * ({@code x / sqrt(mean(x^2) + eps) * gamma}), and BatchNorm (statistics of each channel, the last dimension, over
 * all other positions; running statistics for evaluation).
 *
 * <p>Forward keeps only the per-row mean and reciprocal deviation; backward recomputes the normalised row from
 * them. Rows are vectorised and split over workers; the gamma/beta gradients are summed per worker chunk in a
 * fixed order (bit-reproducible for a given thread count).
 */
public final class Norms {
    private Norms() {}

    public static Var layerNorm(Var x, Var gamma, Var beta, float eps) {
        int d = checkLast("layerNorm", x, gamma, beta);
        float[] a = x.data(), w = gamma.data(), b = beta == null ? null : beta.data();
        int rows = d == 0 ? 0 : a.length / d;
        float[] y = new float[a.length], mean = new float[rows], rstd = new float[rows];
        Buf.chunks(rows, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * d;
                float mu = Reductions.sum(a, o, d) / d;
                float var = 0f;
                for (int j = 0; j < d; j++) {
                    float c = a[o + j] - mu;
                    var += c * c;
                }
                float rs = (float) (1.0 / Math.sqrt(var / d + eps));
                mean[r] = mu;
                rstd[r] = rs;
                FloatVector m = FloatVector.broadcast(Buf.F, mu), s = FloatVector.broadcast(Buf.F, rs);
                int j = 0, ub = Buf.F.loopBound(d);
                for (; j < ub; j += Buf.L) {
                    FloatVector v = FloatVector.fromArray(Buf.F, a, o + j).sub(m).mul(s).mul(FloatVector.fromArray(Buf.F, w, j));
                    if (b != null) v = v.add(FloatVector.fromArray(Buf.F, b, j));
                    v.intoArray(y, o + j);
                }
                for (; j < d; j++) y[o + j] = (a[o + j] - mu) * rs * w[j] + (b == null ? 0f : b[j]);
            }
        });
        Var[] in = beta == null ? new Var[] {x, gamma} : new Var[] {x, gamma, beta};
        return Var.of("layerNorm", Buf.wrap(y, x.shape()), g -> backward(x, gamma, beta, a, w, g, mean, rstd, rows, d), in);
    }

    public static Var rmsNorm(Var x, Var gamma, float eps) {
        int d = checkLast("rmsNorm", x, gamma, null);
        float[] a = x.data(), w = gamma.data();
        int rows = d == 0 ? 0 : a.length / d;
        float[] y = new float[a.length], rstd = new float[rows];
        Buf.chunks(rows, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * d;
                float rs = (float) (1.0 / Math.sqrt(Reductions.dot(a, a, o, d) / d + eps));
                rstd[r] = rs;
                for (int j = 0; j < d; j++) y[o + j] = a[o + j] * rs * w[j];
            }
        });
        return Var.of("rmsNorm", Buf.wrap(y, x.shape()), g -> backward(x, gamma, null, a, w, g, null, rstd, rows, d), x, gamma);
    }

    /**
     * Shared backward of the row norms. With {@code xhat = (x - mean) * rstd} (mean 0 for RMSNorm) and
     * {@code h = g * gamma}: {@code dx = rstd * (h - mean(h) - xhat * mean(h * xhat))}, where RMSNorm drops
     * the {@code mean(h)} term; {@code dgamma += sum g * xhat}, {@code dbeta += sum g}.
     */
    private static void backward(Var x, Var gamma, Var beta, float[] a, float[] w, float[] g, float[] mean, float[] rstd,
                                 int rows, int d) {
        boolean wantX = x.requiresGrad(), wantW = gamma.requiresGrad(), wantB = beta != null && beta.requiresGrad();
        float[] gx = wantX ? x.gradData() : null;
        int workers = Math.max(1, Math.min(dev.attend.simd.Parallel.workers(), rows / 64));
        float[][] gw = new float[workers][d], gb = new float[workers][d];
        dev.attend.simd.Parallel.run(workers, (wk, t) -> {
            int from = (int) ((long) rows * wk / t), to = (int) ((long) rows * (wk + 1) / t);
            float[] xh = new float[d], h = new float[d];
            for (int r = from; r < to; r++) {
                int o = r * d;
                float mu = mean == null ? 0f : mean[r], rs = rstd[r];
                float sh = 0f, shx = 0f;
                for (int j = 0; j < d; j++) {
                    xh[j] = (a[o + j] - mu) * rs;
                    h[j] = g[o + j] * w[j];
                    sh += h[j];
                    shx += h[j] * xh[j];
                }
                if (wantX) {
                    float mh = mean == null ? 0f : sh / d, mhx = shx / d;
                    for (int j = 0; j < d; j++) gx[o + j] += rs * (h[j] - mh - xh[j] * mhx);
                }
                if (wantW) for (int j = 0; j < d; j++) gw[wk][j] += g[o + j] * xh[j];
                if (wantB) Buf.addInto(gb[wk], 0, g, o, d);
            }
        });
        for (int wk = 0; wk < workers; wk++) {
            if (wantW) Buf.addInto(gamma.gradData(), gw[wk]);
            if (wantB) Buf.addInto(beta.gradData(), gb[wk]);
        }
    }

    /**
     * BatchNorm over the last dimension (C channels): in training, each channel is normalised by the mean and
     * (biased) variance over all other positions, and {@code runningMean, runningVar} (length C, updated in place
     * with the unbiased variance, PyTorch's convention) move by {@code momentum}; in evaluation the running statistics
     * are used and the op is affine.
     */
    public static Var batchNorm(Var x, Var gamma, Var beta, float[] runningMean, float[] runningVar, float momentum,
                                float eps, boolean training) {
        int c = checkLast("batchNorm", x, gamma, beta);
        if (runningMean.length != c || runningVar.length != c) {
            throw new IllegalArgumentException("batchNorm: running statistics must have " + c + " channels, got "
                    + runningMean.length + " and " + runningVar.length);
        }
        float[] a = x.data(), w = gamma.data(), b = beta.data();
        int n = c == 0 ? 0 : a.length / c;
        float[] mean = new float[c], rstd = new float[c];
        if (training) {
            if (n < 2) throw new IllegalArgumentException("batchNorm: training needs at least 2 positions per channel, got " + n);
            double[] s = new double[c], s2 = new double[c];
            for (int r = 0; r < n; r++) for (int j = 0; j < c; j++) s[j] += a[r * c + j];
            for (int j = 0; j < c; j++) mean[j] = (float) (s[j] / n);
            for (int r = 0; r < n; r++) for (int j = 0; j < c; j++) {
                double dv = a[r * c + j] - mean[j];
                s2[j] += dv * dv;
            }
            for (int j = 0; j < c; j++) {
                rstd[j] = (float) (1.0 / Math.sqrt(s2[j] / n + eps));
                runningMean[j] = (1 - momentum) * runningMean[j] + momentum * mean[j];
                runningVar[j] = (1 - momentum) * runningVar[j] + momentum * (float) (s2[j] / (n - 1));
            }
        } else {
            for (int j = 0; j < c; j++) {
                mean[j] = runningMean[j];
                rstd[j] = (float) (1.0 / Math.sqrt(runningVar[j] + eps));
            }
        }
        float[] y = new float[a.length];
        for (int r = 0; r < n; r++) for (int j = 0; j < c; j++) y[r * c + j] = (a[r * c + j] - mean[j]) * rstd[j] * w[j] + b[j];
        return Var.of("batchNorm", Buf.wrap(y, x.shape()), g -> {
            float[] sg = new float[c], sgx = new float[c];
            for (int r = 0; r < n; r++) for (int j = 0; j < c; j++) {
                float xh = (a[r * c + j] - mean[j]) * rstd[j];
                sg[j] += g[r * c + j];
                sgx[j] += g[r * c + j] * xh;
            }
            if (gamma.requiresGrad()) Buf.addInto(gamma.gradData(), sgx);
            if (beta.requiresGrad()) Buf.addInto(beta.gradData(), sg);
            if (x.requiresGrad()) {
                float[] gx = x.gradData();
                for (int r = 0; r < n; r++) for (int j = 0; j < c; j++) {
                    float k = w[j] * rstd[j];
                    if (training) {
                        float xh = (a[r * c + j] - mean[j]) * rstd[j];
                        gx[r * c + j] += k * (g[r * c + j] - sg[j] / n - xh * sgx[j] / n);
                    } else {
                        gx[r * c + j] += k * g[r * c + j];
                    }
                }
            }
        }, x, gamma, beta);
    }

    private static int checkLast(String op, Var x, Var gamma, Var beta) {
        if (x.rank() < 1) throw new IllegalArgumentException(op + ": expected at least one dimension, got a scalar");
        int d = x.dim(-1);
        if (gamma.rank() != 1 || gamma.dim(0) != d) {
            throw new IllegalArgumentException(op + ": gamma must be [" + d + "] (the last dimension of x), got " + Arrays.toString(gamma.shape()));
        }
        if (beta != null && (beta.rank() != 1 || beta.dim(0) != d)) {
            throw new IllegalArgumentException(op + ": beta must be [" + d + "], got " + Arrays.toString(beta.shape()));
        }
        return d;
    }
}
