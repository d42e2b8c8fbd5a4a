package dev.attend.nn.autograd;

import dev.attend.simd.MatMul;
import dev.attend.simd.Parallel;

import java.util.Arrays;

/**
 * Matrix products on {@link MatMul}: {@link #matmul} ({@code [..., m, k] x [k, n]} as one large GEMM, or batched
 * {@code [..., m, k] x [..., k, n]} with equal batch dimensions) and {@link #linear} ({@code x W^T + b} with W
 * stored {@code [out, in]}, PyTorch's layout).
 *
 * <p>Backward runs two GEMMs per product that accumulate straight into the gradients ({@code beta = 1}), so no
 * temporary is made: {@code dA += dC B^T}, {@code dB += A^T dC}. Cost {@code 2 m n k} flops forward, twice that
 * backward. A batch of small products is spread over workers, one product per worker at a time.
 */
public final class MatMuls {
    private MatMuls() {}

    public static Var matmul(Var a, Var b) {
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matmul: both operands need at least 2 dimensions, got " + Arrays.toString(a.shape())
                    + " and " + Arrays.toString(b.shape()));
        }
        int m = a.dim(-2), k = a.dim(-1), kb = b.dim(-2), n = b.dim(-1);
        if (k != kb) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + Arrays.toString(a.shape()) + " x " + Arrays.toString(b.shape()));
        }
        float[] x = a.data(), w = b.data();
        long[] outShape = a.shape();
        outShape[outShape.length - 1] = n;
        if (b.rank() == 2) {
            int rows = Buf.checkedInt(a.size() / Math.max(1, k), "matmul");
            if (k == 0) rows = (int) (a.size() == 0 ? sizeWithout(a.shape(), 1) : 0);
            int M = rows;
            float[] y = new float[Buf.checkedInt((long) M * n, "matmul")];
            MatMul.gemm(false, false, M, n, k, 1f, x, 0, k, w, 0, n, 0f, y, 0, n);
            return Var.of("matmul", Buf.wrap(y, outShape), g -> {
                if (a.requiresGrad()) MatMul.gemm(false, true, M, k, n, 1f, g, 0, n, w, 0, n, 1f, a.gradData(), 0, k);
                if (b.requiresGrad()) MatMul.gemm(true, false, k, n, M, 1f, x, 0, k, g, 0, n, 1f, b.gradData(), 0, n);
            }, a, b);
        }
        long[] as = a.shape(), bs = b.shape();
        if (as.length != bs.length || !Arrays.equals(Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2))) {
            throw new IllegalArgumentException("matmul: batch dimensions must be equal (or b must be 2-D), got "
                    + Arrays.toString(as) + " x " + Arrays.toString(bs));
        }
        int batch = (int) sizeWithout(as, 2);
        float[] y = new float[Buf.checkedInt((long) batch * m * n, "matmul")];
        batched(batch, (i, serial) -> gemm(serial, false, false, m, n, k, x, i * m * k, k, w, i * k * n, n, 0f, y, i * m * n, n), (long) m * n * k);
        return Var.of("matmul", Buf.wrap(y, outShape), g -> {
            if (a.requiresGrad()) {
                float[] ga = a.gradData();
                batched(batch, (i, serial) -> gemm(serial, false, true, m, k, n, g, i * m * n, n, w, i * k * n, n, 1f, ga, i * m * k, k), (long) m * n * k);
            }
            if (b.requiresGrad()) {
                float[] gb = b.gradData();
                batched(batch, (i, serial) -> gemm(serial, true, false, k, n, m, x, i * m * k, k, g, i * m * n, n, 1f, gb, i * k * n, n), (long) m * n * k);
            }
        }, a, b);
    }

    /**
     * {@code x W^T + bias}: x {@code [..., in]}, W {@code [out, in]}, bias {@code [out]} or null; result
     * {@code [..., out]}. All leading dimensions form the rows of one GEMM.
     */
    public static Var linear(Var x, Var w, Var bias) {
        if (w.rank() != 2) throw new IllegalArgumentException("linear: weight must be [out, in], got " + Arrays.toString(w.shape()));
        int in = w.dim(1), out = w.dim(0);
        if (x.rank() < 1 || x.dim(-1) != in) {
            throw new IllegalArgumentException("linear: input's last dimension must be " + in + " (the weight's in), got " + Arrays.toString(x.shape()));
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != out)) {
            throw new IllegalArgumentException("linear: bias must be [" + out + "], got " + Arrays.toString(bias.shape()));
        }
        int rows = Buf.checkedInt(x.size() / Math.max(1, in), "linear");
        float[] a = x.data(), wt = w.data(), bb = bias == null ? null : bias.data();
        float[] y = new float[Buf.checkedInt((long) rows * out, "linear")];
        if (bb != null) for (int r = 0; r < rows; r++) System.arraycopy(bb, 0, y, r * out, out);
        MatMul.gemm(false, true, rows, out, in, 1f, a, 0, in, wt, 0, in, bb == null ? 0f : 1f, y, 0, out);
        long[] shape = x.shape();
        shape[shape.length - 1] = out;
        Var[] inputs = bias == null ? new Var[] {x, w} : new Var[] {x, w, bias};
        return Var.of("linear", Buf.wrap(y, shape), g -> {
            if (x.requiresGrad()) MatMul.gemm(false, false, rows, in, out, 1f, g, 0, out, wt, 0, in, 1f, x.gradData(), 0, in);
            if (w.requiresGrad()) MatMul.gemm(true, false, out, in, rows, 1f, g, 0, out, a, 0, in, 1f, w.gradData(), 0, in);
            if (bias != null && bias.requiresGrad()) {
                float[] gb = bias.gradData();
                for (int r = 0; r < rows; r++) Buf.addInto(gb, 0, g, r * out, out);
            }
        }, inputs);
    }

    private interface Product {
        void run(int index, boolean serial);
    }

    /** Many small products go one per worker; few large ones each use all workers. */
    private static void batched(int batch, Product p, long work) {
        if (batch >= Parallel.workers() && work < (1L << 22)) Parallel.forEach(batch, (i, w) -> p.run(i, true));
        else for (int i = 0; i < batch; i++) p.run(i, false);
    }

    private static void gemm(boolean serial, boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda,
                             float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        if (serial) MatMul.gemmSerial(ta, tb, m, n, k, 1f, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        else MatMul.gemm(ta, tb, m, n, k, 1f, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    private static long sizeWithout(long[] s, int last) {
        long n = 1;
        for (int i = 0; i < s.length - last; i++) n *= s[i];
        return n;
    }
}
