package dev.attend.attention.linear;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.FlashAttention;
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
 * landmarks than tokens is refused. No backward pass yet.
 */
public final class NystromAttention extends AttentionMechanism {
    public static final String NAME = "nystrom";

    public static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, NystromAttention::new)
            .summary("Nystromformer: segment-mean landmarks, iterative pseudo-inverse, two flash calls over the landmarks (non-causal)")
            .param(Param.ofInt("landmarks", 16, 1, 1 << 16, "landmarks m (segment means of queries and keys); at most the shorter length"))
            .param(Param.ofInt("iterations", 6, 1, 100, "iterations of the pseudo-inverse (the paper's 6)"))
            .patterns(Pattern.NONCAUSAL_SELF, Pattern.NONCAUSAL_CROSS)
            .masks(MaskSupport.listed("full"))
            .approximate()
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

    @Override
    protected AttentionResult compute(AttentionProblem p) {
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
        AttentionResult bv = flash.forward(new AttentionProblem(ql, p.k(), p.v(), Masks.full(), p.scoreMod(), p.scale()));
        Tensor w = Tensor.zeros(b, hq, m, d);
        Parallel.forEach(b * hq, (bh, worker) -> {
            double[][] a = landmarkKernel(ql, klq, bh, m, d, p.scale());
            double[][] z = pinv(a, iterations);
            float[] in = new float[m * d], out = new float[d];
            for (int j = 0; j < m; j++) bv.out().readRow((long) bh * m + j, in, j * d);
            for (int i = 0; i < m; i++) {
                for (int x = 0; x < d; x++) {
                    double s = 0;
                    for (int j = 0; j < m; j++) s += z[i][j] * in[j * d + x];
                    out[x] = (float) s;
                }
                w.writeRow((long) bh * m + i, out, 0);
            }
        });
        AttentionResult result = flash.forward(new AttentionProblem(p.q(), klq, w, Masks.full(), p.scoreMod(), p.scale()));
        AttentionResult.Stats stats = bv.stats().plus(result.stats());
        double middle = (double) b * hq * (2.0 * m * m * d + iterations * 8.0 * m * m * m);
        return AttentionResult.withoutLse(result.out(), new AttentionResult.Stats(stats.blocks(), stats.fullBlocks(), stats.scores(),
                stats.flops() + middle, stats.kvBytes()));
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
        int m = a.length;
        double rows = 0, cols = 0;
        for (int i = 0; i < m; i++) {
            double r = 0, c = 0;
            for (int j = 0; j < m; j++) {
                r += Math.abs(a[i][j]);
                c += Math.abs(a[j][i]);
            }
            rows = Math.max(rows, r);
            cols = Math.max(cols, c);
        }
        double[][] z = new double[m][m];
        for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) z[i][j] = a[j][i] / (rows * cols);
        for (int it = 0; it < iterations; it++) {
            double[][] az = mul(a, z);
            double[][] t = mul(az, shift(7, az));
            t = mul(az, shift(15, t));
            z = mul(z, shift(13, t));
            for (double[] r : z) for (int j = 0; j < m; j++) r[j] *= 0.25;
        }
        return z;
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
        int m = x.length;
        double[][] out = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < m; k++) {
                double xik = x[i][k];
                if (xik == 0) continue;
                for (int j = 0; j < m; j++) out[i][j] += xik * y[k][j];
            }
        }
        return out;
    }
}
