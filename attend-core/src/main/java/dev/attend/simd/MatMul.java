package dev.attend.simd;

import jdk.incubator.vector.FloatVector;

/**
 * The general matrix multiply of layers: {@code C = alpha * op(A) * op(B) + beta * C}, where {@code op(X)} is X or
 * its transpose, on row-major {@code float[]} matrices with leading dimensions, in parallel over
 * {@link Parallel} workers.
 *
 * <p>C is {@code m x n}, {@code op(A)} is {@code m x k} and {@code op(B)} is {@code k x n}. A non-transposed A holds
 * {@code A(i, p)} at {@code a[aOff + i * lda + p]}, a transposed one at {@code a[aOff + p * lda + i]}; likewise B.
 * Cost: {@code 2*m*n*k} flops, and one pass over each operand for packing.
 *
 * <p>The blocking is GotoBLAS's, on {@link Gemm}'s packed micro-kernel (4 rows x 2 vectors, unit-stride loads that
 * C2 keeps free of bounds checks): all of op(B) is packed once, in parallel, into {@link Gemm#NR}-column panels per
 * block of {@value #KC} rows of k (a panel of a k block, 12 KB on AVX2, stays in L1); then each worker owns a
 * contiguous range of C's rows and, per block of {@value #MC} rows and {@value #KC} columns of op(A) (packed in
 * lane panels with alpha folded in, about 90 KB, stays in L2), streams every B panel past it. The block sizes
 * were chosen by measurement on a 2-core AVX2 host (row-major A or 256-deep blocks were 10-30% slower). Columns beyond the last whole panel
 * go through a small scratch tile, so C needs no padding. The k blocks are summed in order and rows are split
 * statically, so results are bit-identical for a given thread count (and independent of it: no cross-worker sums).
 *
 * <p>Buffers are per thread and grow to the largest call, so steady-state training allocates nothing here.
 * {@link #gemmSerial} runs on the calling thread alone, for callers that already parallelise over a batch.
 */
public final class MatMul {
    /** Rows of k per packed block: a B panel of KC x NR floats fits L1 beside the A rows that stream past it. */
    static final int KC = 192;
    /** Rows of op(A) per packed block: MC x KC floats (96 KB) fit L2 with room for C. */
    static final int MC = 120;
    private static final int NR = Gemm.NR, L = Gemm.LANES;
    /** Below this many multiply-adds a call stays on one thread (the fork costs more than it saves). */
    private static final long PARALLEL_MIN_WORK = 1L << 18;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][]);

    private MatMul() {}

    /** {@code C = alpha * op(A) * op(B) + beta * C} on all workers; see the class comment for the layout. */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc) {
        check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        run(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
                (long) m * n * k >= PARALLEL_MIN_WORK ? Parallel.workers() : 1);
    }

    /** {@link #gemm} on the calling thread only. */
    public static void gemmSerial(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                  float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float beta, float[] c, int cOff, int ldc) {
        check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        run(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, 1);
    }

    private static void run(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc, int maxWorkers) {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) {
            scaleRows(0, m, n, beta, c, cOff, ldc);
            return;
        }
        int panels = n / NR, tail = n - panels * NR;
        int kBlocks = (k + KC - 1) / KC;
        // One array per k block (the whole panels) and one for the tail panel: the kernel indexes B from 0.
        float[][] bp = packBuffers(kBlocks, panels, tail > 0);
        int jobs = kBlocks * (panels + (tail > 0 ? 1 : 0));
        int packWorkers = Math.max(1, Math.min(maxWorkers, jobs));
        Parallel.run(packWorkers, (w, t) -> {
            for (int job = w; job < jobs; job += t) packB(transB, job, panels, tail, n, k, b, bOff, ldb, bp);
        });
        int quads = (m + 3) / 4;
        int rowWorkers = Math.max(1, Math.min(maxWorkers, quads));
        Parallel.run(rowWorkers, (w, t) -> {
            // Row ranges in multiples of 4, so only the last worker has a remainder for the 1-row kernel.
            int from = Math.min(m, (int) ((long) quads * w / t) * 4), to = Math.min(m, (int) ((long) quads * (w + 1) / t) * 4);
            rows(transA, from, to, n, k, kBlocks, panels, tail, alpha, a, aOff, lda, bp, beta, c, cOff, ldc);
        });
    }

    /** C rows [from, to): beta-scale them, then add every (MC x KC) block product in k order. */
    private static void rows(boolean transA, int from, int to, int n, int k, int kBlocks, int panels, int tail,
                             float alpha, float[] a, int aOff, int lda, float[][] bp,
                             float beta, float[] c, int cOff, int ldc) {
        if (from >= to) return;
        scaleRows(from, to, n, beta, c, cOff, ldc);
        float[][] s = SCRATCH.get();
        float[] ap = grow(s, 0, (MC + L - 1) / L * L * KC);
        float[] ct = tail > 0 ? grow(s, 1, MC * NR) : null;
        for (int i0 = from; i0 < to; i0 += MC) {
            int mc = Math.min(MC, to - i0);
            int co = cOff + i0 * ldc;
            for (int kb = 0; kb < kBlocks; kb++) {
                int p0 = kb * KC, kc = Math.min(KC, k - p0);
                packA(transA, i0, mc, p0, kc, alpha, a, aOff, lda, ap);
                int aps = kc * L;
                if (panels > 0) Gemm.mulLanePanelsA(mc, panels, kc, ap, 0, aps, bp[kb], kc * NR, c, co, ldc, L, NR, true);
                if (tail > 0) {
                    Gemm.mulLanePanelsA(mc, 1, kc, ap, 0, aps, bp[kBlocks + kb], kc * NR, ct, 0, NR, L, NR, false);
                    for (int i = 0; i < mc; i++) {
                        int ci = co + i * ldc + panels * NR, ti = i * NR;
                        for (int j = 0; j < tail; j++) c[ci + j] += ct[ti + j];
                    }
                }
            }
        }
    }

    /** The packed-B arrays of the calling thread: [0, kBlocks) whole panels, [kBlocks, 2 kBlocks) the tail panel. */
    private static float[][] packBuffers(int kBlocks, int panels, boolean tail) {
        float[][] s = SCRATCH.get();
        if (s.length < 2 + 2 * kBlocks) {
            float[][] bigger = new float[2 + 2 * kBlocks][];
            System.arraycopy(s, 0, bigger, 0, s.length);
            SCRATCH.set(s = bigger);
        }
        float[][] bp = new float[2 * kBlocks][];
        for (int kb = 0; kb < kBlocks; kb++) {
            bp[kb] = grow(s, 2 + kb, KC * panels * NR);
            if (tail) bp[kBlocks + kb] = grow(s, 2 + kBlocks + kb, KC * NR);
        }
        return bp;
    }

    /**
     * Packs op(A) rows [i0, i0+mc) x columns [p0, p0+kc) times alpha into lane panels: A(i, p) at
     * {@code ap[(i / L) * kc * L + p * L + i % L]}, so the kernel reads the rows of a 4-row block from one stream.
     */
    private static void packA(boolean transA, int i0, int mc, int p0, int kc, float alpha, float[] a, int aOff, int lda, float[] ap) {
        if (!transA) {
            // Rows of A are contiguous: read along them; the writes step by L inside a panel that stays in L1.
            for (int i = 0; i < mc; i++) {
                int dst = (i / L) * kc * L + i % L, src = aOff + (i0 + i) * lda + p0;
                for (int p = 0; p < kc; p++) ap[dst + p * L] = alpha * a[src + p];
            }
            return;
        }
        // A(i, p) = a[p * lda + i]: stored row p holds L consecutive rows of a lane panel side by side, so each
        // panel step is one vector copy (reading down the columns instead misses the TLB on wide matrices).
        int full = mc / L;
        FloatVector al = FloatVector.broadcast(Gemm.F, alpha);
        for (int p = 0; p < kc; p++) {
            int src = aOff + (p0 + p) * lda + i0;
            for (int ib = 0; ib < full; ib++) {
                FloatVector.fromArray(Gemm.F, a, src + ib * L).mul(al).intoArray(ap, ib * kc * L + p * L);
            }
            for (int i = full * L; i < mc; i++) ap[(i / L) * kc * L + p * L + i % L] = alpha * a[src + i];
        }
    }

    /**
     * Packs one job of op(B): k block {@code job / (panels + tail?)} and one panel of it (the tail panel last), so
     * workers share the packing evenly. Columns beyond n are zero.
     */
    private static void packB(boolean transB, int job, int panels, int tail, int n, int k, float[] b, int bOff, int ldb, float[][] bp) {
        int perBlock = panels + (tail > 0 ? 1 : 0), kBlocks = (k + KC - 1) / KC;
        int kb = job / perBlock, jb = job % perBlock;
        int p0 = kb * KC, kc = Math.min(KC, k - p0);
        int j0 = jb * NR, w = Math.min(NR, n - j0);
        float[] dstArr = jb < panels ? bp[kb] : bp[kBlocks + kb];
        int dst = jb < panels ? jb * kc * NR : 0;
        if (!transB) {
            for (int p = 0; p < kc; p++) {
                int src = bOff + (p0 + p) * ldb + j0, d = dst + p * NR;
                System.arraycopy(b, src, dstArr, d, w);
                for (int j = w; j < NR; j++) dstArr[d + j] = 0f;
            }
        } else {
            // B(p, j) = b[j * ldb + p]: each stored row is one column of the panel.
            for (int j = 0; j < w; j++) {
                int src = bOff + (j0 + j) * ldb + p0;
                for (int p = 0; p < kc; p++) dstArr[dst + p * NR + j] = b[src + p];
            }
            for (int j = w; j < NR; j++) for (int p = 0; p < kc; p++) dstArr[dst + p * NR + j] = 0f;
        }
    }

    private static void scaleRows(int from, int to, int n, float beta, float[] c, int cOff, int ldc) {
        if (beta == 1f) return;
        for (int i = from; i < to; i++) {
            int ci = cOff + i * ldc;
            if (beta == 0f) java.util.Arrays.fill(c, ci, ci + n, 0f);  // 0 * NaN must not leak old garbage
            else for (int j = 0; j < n; j++) c[ci + j] *= beta;
        }
    }

    private static float[] grow(float[][] s, int which, int size) {
        if (s[which] == null || s[which].length < size) s[which] = new float[size];
        return s[which];
    }

    private static void check(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                              float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("gemm: expected m, n, k >= 0, got " + m + ", " + n + ", " + k);
        operand("a", a, aOff, lda, transA ? k : m, transA ? m : k);
        operand("b", b, bOff, ldb, transB ? n : k, transB ? k : n);
        operand("c", c, cOff, ldc, m, n);
    }

    private static void operand(String name, float[] x, int off, int ld, int rows, int cols) {
        if (x == null) throw new IllegalArgumentException(name + ": expected an array, got null");
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new IllegalArgumentException(name + ": leading dimension must be >= " + cols + ", got " + ld);
        long last = (long) off + (long) (rows - 1) * ld + cols;
        if (off < 0 || last > x.length) {
            throw new IllegalArgumentException(name + ": a " + rows + " x " + cols + " matrix at offset " + off + " with leading dimension "
                    + ld + " needs " + last + " floats, got an array of " + x.length);
        }
    }
}
