package dev.attend.attention.linear;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.FlashAttention;
import dev.attend.attention.Gradients;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.attention.Pattern;
import dev.attend.attention.Support;
import dev.attend.attention.mask.Masks;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

/**
 * Nystromformer (Xiong et al., AAAI 2021): softmax attention approximated through m landmarks,
 * <pre>  out = softmax(s Q K~^T) pinv(softmax(s Q~ K~^T)) softmax(s Q~ K^T) V</pre>
 * with {@code Q~}, {@code K~} the means of m contiguous segments of the queries and keys (segment j holds rows
 * {@code [j L / m, (j + 1) L / m)}, so L need not be a multiple of m) and pinv the iterative Moore-Penrose inverse
 * {@code Z <- Z (13 I - A Z (15 I - A Z (7 I - A Z))) / 4} from {@code Z_0 = A^T / (max row sum * max column sum)}.
 * Both outer products are attention and run on the flash kernel: {@code W = pinv(A) flash(Q~, K, V)} ({@code m x D}),
 * then {@code out = flash(Q, K~, W)}; the {@code m x m} middle is double precision. Cost per (b, q head):
 * {@code 4 L m D} for each flash call plus {@code O(iterations m^3)}; memory {@code O(m (m + D))}.
 *
 * <p>Non-causal only (a landmark mixes every position of its segment), mask {@code full}, self or cross; the
 * depthwise-convolution skip of the paper's layer belongs to the layer, not to the attention. No log-sum-exp.
 * At {@code m = L} every landmark is one token and the product is exact up to the inverse's convergence; more
 * landmarks than tokens is refused.
 *
 * <p><b>Backward</b> ({@link #computeBackward}): the forward's intermediates are computed again; both flash calls
 * run their own backward (the second gives {@code dQ}, {@code dK~} and {@code dW}, the first {@code dQ~}, {@code dK},
 * {@code dV}); the middle goes back through {@code W = Z B}, every step of the iteration (reverse mode, the iterates
 * kept) and its start {@code Z_0} (the row and column sums through their maxima), then the landmark softmax; the
 * landmark gradients spread over their segments ({@code 1 / segment length} each).
 */
public final class NystromAttention extends AttentionMechanism {
    public static final String NAME = "nystrom";

    public static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, NystromAttention::new)
            .summary("Nystromformer: segment-mean landmarks, iterative pseudo-inverse, two flash calls over the landmarks (non-causal)")
            .param(Param.ofInt("landmarks", 16, 1, 1 << 16, "landmarks m (segment means of queries and keys); at most the shorter length"))
            .param(Param.ofInt("iterations", 6, 1, 100, "iterations of the pseudo-inverse (the paper's 6)"))
            .patterns(Pattern.NONCAUSAL_SELF, Pattern.NONCAUSAL_CROSS)
            .masks(MaskSupport.listed("full"))
            .approximate("landmarks", true, false)
            .backward(true)
            .build();

    private final int landmarks, iterations;

    private NystromAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.landmarks = p.getInt("landmarks");
        this.iterations = p.getInt("iterations");
    }

    @Override
    protected Support check(AttentionProblem p) {
        int n = Math.min(p.lq(), p.lk());
        if (landmarks > n) {
            return Support.no("landmarks: expected at most the shorter sequence length " + n + " (Lq=" + p.lq() + ", Lk=" + p.lk()
                    + "), got " + landmarks);
        }
        return Support.YES;
    }

    /** The forward's intermediates: landmarks, {@code B = flash(Q~, K, V)}, {@code W = Z B}, both flash problems and results. */
    private record Pass(Tensor ql, Tensor klq, AttentionProblem first, AttentionResult bv, Tensor w, AttentionProblem second,
                        AttentionResult result) {}

    private Pass run(AttentionProblem p) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), d = p.headDim(), m = landmarks, per = hq / hkv;
        Tensor ql = segmentMeans(p.q(), b, hq, p.lq(), d, m), kl = segmentMeans(p.k(), b, hkv, p.lk(), d, m);
        Tensor klq = Tensor.zeros(b, hq, m, d);   // K~ per q head, as the second flash call reads it
        float[] row = new float[d];
        for (int bh = 0; bh < b * hq; bh++) {
            for (int j = 0; j < m; j++) {
                kl.readRow((long) (bh / hq * hkv + bh % hq / per) * m + j, row, 0);
                klq.writeRow((long) bh * m + j, row, 0);
            }
        }
        FlashAttention flash = Attention.flash();
        AttentionProblem first = new AttentionProblem(ql, p.k(), p.v(), Masks.full(), p.scoreMod(), p.scale());
        AttentionResult bv = flash.forward(first);
        Tensor w = Tensor.zeros(b, hq, m, d);
        Parallel.forEach(b * hq, (bh, worker) -> {
            double[][] z = pinv(landmarkKernel(ql, klq, bh, m, d, p.scale()), iterations);
            double[][] bvRows = rows(bv.out(), bh, m, d), out = new double[m][d];
            mulInto(z, bvRows, out);
            writeRows(w, bh, out);
        });
        AttentionProblem second = new AttentionProblem(p.q(), klq, w, Masks.full(), p.scoreMod(), p.scale());
        return new Pass(ql, klq, first, bv, w, second, flash.forward(second));
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        int b = p.batch(), hq = p.hq(), d = p.headDim(), m = landmarks;
        Pass run = run(p);
        AttentionResult.Stats stats = run.bv().stats().plus(run.result().stats());
        double middle = (double) b * hq * (2.0 * m * m * d + iterations * 8.0 * m * m * m);
        return AttentionResult.withoutLse(run.result().out(), new AttentionResult.Stats(stats.blocks(), stats.fullBlocks(), stats.scores(),
                stats.flops() + middle, stats.kvBytes()));
    }

    @Override
    protected Gradients computeBackward(AttentionProblem p, AttentionResult forward, Tensor dOut) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), d = p.headDim(), m = landmarks, per = hq / hkv;
        float scale = p.scale();
        Pass run = run(p);
        FlashAttention flash = Attention.flash();
        Gradients outer = flash.backward(run.second(), run.result(), dOut);     // dQ, dK~ (per q head), dW
        Tensor dBv = Tensor.zeros(b, hq, m, d), dQl = Tensor.zeros(b, hq, m, d), dKlq = Tensor.zeros(b, hq, m, d);
        Parallel.forEach(b * hq, (bh, worker) -> {
            double[][] a = landmarkKernel(run.ql(), run.klq(), bh, m, d, scale);
            double[][][] zs = iterates(a, iterations);
            double[][] z = zs[iterations], bvRows = rows(run.bv().out(), bh, m, d), dw = rows(outer.dv(), bh, m, d);
            // W = Z B: dZ = dW B^T, dB = Z^T dW.
            double[][] dz = mul(dw, transpose(bvRows)), dbv = mul(transpose(z), dw);
            writeRows(dBv, bh, dbv);
            double[][] da = pinvBackward(a, zs, dz);
            // A = softmax(s Q~ K~^T) by rows: dS = A o (dA - rowsum(dA o A)); dQ~ = s dS K~, dK~ = s dS^T Q~.
            double[][] ql = rows(run.ql(), bh, m, d), kl = rows(run.klq(), bh, m, d), dql = new double[m][d], dkl = new double[m][d];
            for (int i = 0; i < m; i++) {
                double dot = 0;
                for (int j = 0; j < m; j++) dot += da[i][j] * a[i][j];
                for (int j = 0; j < m; j++) {
                    double ds = a[i][j] * (da[i][j] - dot) * scale;
                    for (int x = 0; x < d; x++) {
                        dql[i][x] += ds * kl[j][x];
                        dkl[j][x] += ds * ql[i][x];
                    }
                }
            }
            writeRows(dQl, bh, dql);
            writeRows(dKlq, bh, dkl);
        });
        Gradients inner = flash.backward(run.first(), run.bv(), dBv);            // dQ~, dK, dV
        Tensor dq = outer.dq(), dk = inner.dk();
        // The landmarks' gradients back to their segments; K~ is one per kv head, read by each of its q heads.
        Parallel.forEach(b * hq, (bh, worker) -> {
            double[][] g = rows(inner.dq(), bh, m, d), extra = rows(dQl, bh, m, d);
            for (int j = 0; j < m; j++) for (int x = 0; x < d; x++) g[j][x] += extra[j][x];
            spread(dq, bh, p.lq(), g);
        });
        Parallel.forEach(b * hkv, (bk, worker) -> {
            double[][] g = new double[m][d];
            for (int h = 0; h < per; h++) {
                int bh = bk / hkv * hq + bk % hkv * per + h;
                double[][] a = rows(outer.dk(), bh, m, d), c = rows(dKlq, bh, m, d);
                for (int j = 0; j < m; j++) for (int x = 0; x < d; x++) g[j][x] += a[j][x] + c[j][x];
            }
            spread(dk, bk, p.lk(), g);
        });
        return new Gradients(dq, dk, inner.dv());
    }

    /** Adds landmark j's gradient {@code g[j] / segment length} to every row of its segment of (b, h) {@code bh} of t. */
    private static void spread(Tensor t, int bh, int l, double[][] g) {
        int m = g.length, d = g[0].length;
        float[] row = new float[d];
        for (int j = 0; j < m; j++) {
            long from = (long) j * l / m, to = (long) (j + 1) * l / m;
            for (long i = from; i < to; i++) {
                t.readRow((long) bh * l + i, row, 0);
                for (int x = 0; x < d; x++) row[x] += (float) (g[j][x] / (to - from));
                t.writeRow((long) bh * l + i, row, 0);
            }
        }
    }

    private static double[][] rows(Tensor t, int bh, int n, int d) {
        float[] row = new float[d];
        double[][] out = new double[n][d];
        for (int i = 0; i < n; i++) {
            t.readRow((long) bh * n + i, row, 0);
            for (int x = 0; x < d; x++) out[i][x] = row[x];
        }
        return out;
    }

    private static void writeRows(Tensor t, int bh, double[][] rows) {
        int d = rows[0].length;
        float[] row = new float[d];
        for (int i = 0; i < rows.length; i++) {
            for (int x = 0; x < d; x++) row[x] = (float) rows[i][x];
            t.writeRow((long) bh * rows.length + i, row, 0);
        }
    }

    /** Means of m contiguous segments of every (b, h) of {@code t [B, H, L, D]}: {@code [B, H, m, D]}. */
    static Tensor segmentMeans(Tensor t, int b, int h, int l, int d, int m) {
        Tensor out = Tensor.zeros(b, h, m, d);
        Parallel.forEach(b * h, (bh, worker) -> {
            float[] row = new float[d], mean = new float[d];
            double[] acc = new double[d];
            for (int j = 0; j < m; j++) {
                long from = (long) j * l / m, to = (long) (j + 1) * l / m;
                java.util.Arrays.fill(acc, 0);
                for (long i = from; i < to; i++) {
                    t.readRow((long) bh * l + i, row, 0);
                    for (int x = 0; x < d; x++) acc[x] += row[x];
                }
                for (int x = 0; x < d; x++) mean[x] = (float) (acc[x] / (to - from));
                out.writeRow((long) bh * m + j, mean, 0);
            }
        });
        return out;
    }

    /** {@code softmax(s Q~ K~^T)} of one head, rows over the key landmarks, in double. */
    private static double[][] landmarkKernel(Tensor ql, Tensor kl, int bh, int m, int d, float scale) {
        float[] q = new float[m * d], k = new float[m * d];
        for (int j = 0; j < m; j++) {
            ql.readRow((long) bh * m + j, q, j * d);
            kl.readRow((long) bh * m + j, k, j * d);
        }
        double[][] a = new double[m][m];
        for (int i = 0; i < m; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int x = 0; x < d; x++) s += (double) q[i * d + x] * k[j * d + x];
                a[i][j] = s * scale;
                max = Math.max(max, a[i][j]);
            }
            for (int j = 0; j < m; j++) sum += a[i][j] = Math.exp(a[i][j] - max);
            for (int j = 0; j < m; j++) a[i][j] /= sum;
        }
        return a;
    }

    /** The iterative pseudo-inverse of Nystromformer (Razavi et al.'s cubic iteration), {@code iterations} steps. */
    static double[][] pinv(double[][] a, int iterations) {
        return iterates(a, iterations)[iterations];
    }

    /** {@code Z_0 .. Z_iterations} of the iteration (the backward pass goes back through each). */
    private static double[][][] iterates(double[][] a, int iterations) {
        double[][][] zs = new double[iterations + 1][][];
        int[] at = new int[2];
        double c = startScale(a, at);
        zs[0] = transpose(a);
        for (double[] r : zs[0]) for (int j = 0; j < r.length; j++) r[j] /= c;
        for (int it = 0; it < iterations; it++) {
            double[][] z = zs[it], az = mul(a, z);
            double[][] t = mul(az, shift(7, az));
            t = mul(az, shift(15, t));
            double[][] next = mul(z, shift(13, t));
            for (double[] r : next) for (int j = 0; j < r.length; j++) r[j] *= 0.25;
            zs[it + 1] = next;
        }
        return zs;
    }

    /** {@code max row abs sum * max column abs sum} of a; {@code at} gets the maximising row and column. */
    private static double startScale(double[][] a, int[] at) {
        int m = a.length;
        double rows = -1, cols = -1;
        for (int i = 0; i < m; i++) {
            double r = 0, c = 0;
            for (int j = 0; j < m; j++) {
                r += Math.abs(a[i][j]);
                c += Math.abs(a[j][i]);
            }
            if (r > rows) {
                rows = r;
                at[0] = i;
            }
            if (c > cols) {
                cols = c;
                at[1] = i;
            }
        }
        return rows * cols;
    }

    /** {@code dA} from {@code dZ} of the last iterate, back through every step and the start {@code Z_0 = A^T / c}. */
    private static double[][] pinvBackward(double[][] a, double[][][] zs, double[][] dzLast) {
        int m = a.length;
        double[][] da = new double[m][m], dz = dzLast;
        for (int it = zs.length - 2; it >= 0; it--) {
            double[][] z = zs[it], az = mul(a, z), u1 = shift(7, az), t1 = mul(az, u1), u2 = shift(15, t1), t2 = mul(az, u2), u3 = shift(13, t2);
            // next = Z U3 / 4
            double[][] g = scale(dz, 0.25);
            double[][] dzPrev = mul(g, transpose(u3)), dt2 = neg(mul(transpose(z), g));
            // T2 = AZ U2, U2 = 15 I - T1
            double[][] daz = mul(dt2, transpose(u2)), dt1 = neg(mul(transpose(az), dt2));
            // T1 = AZ U1, U1 = 7 I - AZ
            add(daz, mul(dt1, transpose(u1)));
            add(daz, neg(mul(transpose(az), dt1)));
            // AZ = A Z
            add(da, mul(daz, transpose(z)));
            add(dzPrev, mul(transpose(a), daz));
            dz = dzPrev;
        }
        // Z_0 = A^T / c, c = rows * cols (the maximal row and column abs sums).
        int[] at = new int[2];
        double c = startScale(a, at), dc = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                da[j][i] += dz[i][j] / c;
                dc -= dz[i][j] * a[j][i] / (c * c);
            }
        }
        double rows = 0, cols = 0;
        for (int j = 0; j < m; j++) {
            rows += Math.abs(a[at[0]][j]);
            cols += Math.abs(a[j][at[1]]);
        }
        for (int j = 0; j < m; j++) {
            da[at[0]][j] += dc * cols * Math.signum(a[at[0]][j]);
            da[j][at[1]] += dc * rows * Math.signum(a[j][at[1]]);
        }
        return da;
    }

    private static double[][] transpose(double[][] x) {
        int r = x.length, c = x[0].length;
        double[][] out = new double[c][r];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) out[j][i] = x[i][j];
        return out;
    }

    private static double[][] scale(double[][] x, double f) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i].clone();
            for (int j = 0; j < out[i].length; j++) out[i][j] *= f;
        }
        return out;
    }

    private static double[][] neg(double[][] x) {
        return scale(x, -1);
    }

    private static void add(double[][] into, double[][] x) {
        for (int i = 0; i < into.length; i++) for (int j = 0; j < into[i].length; j++) into[i][j] += x[i][j];
    }

    /** {@code out += x y} for x {@code r x k}, y {@code k x c}. */
    private static void mulInto(double[][] x, double[][] y, double[][] out) {
        for (int i = 0; i < x.length; i++) {
            for (int k = 0; k < y.length; k++) {
                double xik = x[i][k];
                if (xik == 0) continue;
                for (int j = 0; j < y[0].length; j++) out[i][j] += xik * y[k][j];
            }
        }
    }

    /** {@code c I - x}. */
    private static double[][] shift(double c, double[][] x) {
        int m = x.length;
        double[][] out = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) out[i][j] = -x[i][j];
            out[i][i] += c;
        }
        return out;
    }

    private static double[][] mul(double[][] x, double[][] y) {
        double[][] out = new double[x.length][y[0].length];
        mulInto(x, y, out);
        return out;
    }
}
