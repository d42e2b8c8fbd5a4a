package dev.attend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one matrix-multiply kernel of the attention passes: {@code C (+)= A * B} on small tiles held in
 * {@code float[]} buffers.
 *
 * <p>A is read through two strides, {@code A(m, k) = a[aOff + m*aRs + k*aCs]}, so a transposed operand
 * (P^T, dS^T) costs nothing: its elements are broadcast one at a time. B is row-major with leading
 * dimension {@code ldb} and C row-major with {@code ldc}; {@code n} must be a multiple of
 * {@link #LANES} (callers pad their buffers). The register block is 6 rows by 4 vectors (24 accumulators) on
 * machines with 512-bit vectors and 32 registers, 6 rows by 2 vectors (12) on AVX2's 16 registers, each
 * accumulator updated as {@code acc = b.fma(a, acc)} (the addend form keeps C2 at the FMA throughput).
 * Cost: {@code 2*m*n*k} flops.
 */
public final class Gemm {
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector; every {@code n} and leading dimension handed to this class is a multiple of it. */
    public static final int LANES = F.length();
    private static final int MR = 6;
    // 6 x 4 vectors keeps 24 accumulators live: right for AVX-512's 32 registers, a spill storm on AVX2's 16,
    // where 6 x 2 (12 accumulators, 2 loads, 1 broadcast) is the register block that fits.
    static final boolean WIDE_BLOCK = F.vectorBitSize() >= 512;

    private Gemm() {}

    /** Rounds {@code n} up to a multiple of {@link #LANES}. */
    public static int pad(int n) {
        return (n + LANES - 1) / LANES * LANES;
    }

    /**
     * {@code C = A*B} when {@code accumulate} is false, else {@code C += A*B};
     * C is {@code m x n}, A is {@code m x k}, B is {@code k x n}.
     */
    public static void mul(int m, int n, int k, float[] a, int aOff, int aRs, int aCs,
                           float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        mul(m, n, k, a, aOff, aRs, aCs, b, bOff, ldb, c, cOff, ldc, accumulate, WIDE_BLOCK);
    }

    /** {@link #mul} with the register block chosen by the caller: 6 x 4 vectors when {@code wide}, else 6 x 2 (tests run both). */
    static void mul(int m, int n, int k, float[] a, int aOff, int aRs, int aCs,
                    float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate, boolean wide) {
        int m6 = m - m % MR;
        int n4 = wide ? n - n % (4 * LANES) : 0;
        int n2 = n - n % (2 * LANES);
        // Row blocks outside: the 6 rows of A stay in L1 while B streams from L2.
        for (int i = 0; i < m6; i += MR) {
            int ai = aOff + i * aRs, ci = cOff + i * ldc;
            for (int j = 0; j < n4; j += 4 * LANES) {
                block6x4(k, a, ai, aRs, aCs, b, bOff + j, ldb, c, ci + j, ldc, accumulate);
            }
            for (int j = n4; j < n2; j += 2 * LANES) block6x2(k, a, ai, aRs, aCs, b, bOff + j, ldb, c, ci + j, ldc, accumulate);
            if (n2 < n) block6x1(k, a, ai, aRs, aCs, b, bOff + n2, ldb, c, ci + n2, ldc, accumulate);
        }
        for (int i = m6; i < m; i++) {
            int ai = aOff + i * aRs, ci = cOff + i * ldc;
            for (int j = 0; j < n2; j += 2 * LANES) row(k, 2, a, ai, aCs, b, bOff + j, ldb, c, ci + j, accumulate);
            if (n2 < n) row(k, 1, a, ai, aCs, b, bOff + n2, ldb, c, ci + n2, accumulate);
        }
    }

    private static void block6x4(int k, float[] a, int aOff, int aRs, int aCs, float[] b, int bOff, int ldb,
                                 float[] c, int cOff, int ldc, boolean acc) {
        final int L = LANES, L2 = 2 * LANES, L3 = 3 * LANES;
        FloatVector c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23,
                c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
        if (acc) {
            int o = cOff;
            c00 = FloatVector.fromArray(F, c, o); c01 = FloatVector.fromArray(F, c, o + L);
            c02 = FloatVector.fromArray(F, c, o + L2); c03 = FloatVector.fromArray(F, c, o + L3);
            o += ldc;
            c10 = FloatVector.fromArray(F, c, o); c11 = FloatVector.fromArray(F, c, o + L);
            c12 = FloatVector.fromArray(F, c, o + L2); c13 = FloatVector.fromArray(F, c, o + L3);
            o += ldc;
            c20 = FloatVector.fromArray(F, c, o); c21 = FloatVector.fromArray(F, c, o + L);
            c22 = FloatVector.fromArray(F, c, o + L2); c23 = FloatVector.fromArray(F, c, o + L3);
            o += ldc;
            c30 = FloatVector.fromArray(F, c, o); c31 = FloatVector.fromArray(F, c, o + L);
            c32 = FloatVector.fromArray(F, c, o + L2); c33 = FloatVector.fromArray(F, c, o + L3);
            o += ldc;
            c40 = FloatVector.fromArray(F, c, o); c41 = FloatVector.fromArray(F, c, o + L);
            c42 = FloatVector.fromArray(F, c, o + L2); c43 = FloatVector.fromArray(F, c, o + L3);
            o += ldc;
            c50 = FloatVector.fromArray(F, c, o); c51 = FloatVector.fromArray(F, c, o + L);
            c52 = FloatVector.fromArray(F, c, o + L2); c53 = FloatVector.fromArray(F, c, o + L3);
        } else {
            c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = FloatVector.zero(F);
            c30 = c31 = c32 = c33 = c40 = c41 = c42 = c43 = c50 = c51 = c52 = c53 = FloatVector.zero(F);
        }
        int a0 = aOff, a1 = aOff + aRs, a2 = aOff + 2 * aRs, a3 = aOff + 3 * aRs, a4 = aOff + 4 * aRs, a5 = aOff + 5 * aRs;
        for (int p = 0, bp = bOff, ap = 0; p < k; p++, bp += ldb, ap += aCs) {
            FloatVector b0 = FloatVector.fromArray(F, b, bp), b1 = FloatVector.fromArray(F, b, bp + L);
            FloatVector b2 = FloatVector.fromArray(F, b, bp + L2), b3 = FloatVector.fromArray(F, b, bp + L3);
            FloatVector x = FloatVector.broadcast(F, a[a0 + ap]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01); c02 = b2.fma(x, c02); c03 = b3.fma(x, c03);
            x = FloatVector.broadcast(F, a[a1 + ap]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11); c12 = b2.fma(x, c12); c13 = b3.fma(x, c13);
            x = FloatVector.broadcast(F, a[a2 + ap]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21); c22 = b2.fma(x, c22); c23 = b3.fma(x, c23);
            x = FloatVector.broadcast(F, a[a3 + ap]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31); c32 = b2.fma(x, c32); c33 = b3.fma(x, c33);
            x = FloatVector.broadcast(F, a[a4 + ap]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41); c42 = b2.fma(x, c42); c43 = b3.fma(x, c43);
            x = FloatVector.broadcast(F, a[a5 + ap]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51); c52 = b2.fma(x, c52); c53 = b3.fma(x, c53);
        }
        int o = cOff;
        c00.intoArray(c, o); c01.intoArray(c, o + L); c02.intoArray(c, o + L2); c03.intoArray(c, o + L3);
        o += ldc;
        c10.intoArray(c, o); c11.intoArray(c, o + L); c12.intoArray(c, o + L2); c13.intoArray(c, o + L3);
        o += ldc;
        c20.intoArray(c, o); c21.intoArray(c, o + L); c22.intoArray(c, o + L2); c23.intoArray(c, o + L3);
        o += ldc;
        c30.intoArray(c, o); c31.intoArray(c, o + L); c32.intoArray(c, o + L2); c33.intoArray(c, o + L3);
        o += ldc;
        c40.intoArray(c, o); c41.intoArray(c, o + L); c42.intoArray(c, o + L2); c43.intoArray(c, o + L3);
        o += ldc;
        c50.intoArray(c, o); c51.intoArray(c, o + L); c52.intoArray(c, o + L2); c53.intoArray(c, o + L3);
    }

    private static void block6x2(int k, float[] a, int aOff, int aRs, int aCs, float[] b, int bOff, int ldb,
                                 float[] c, int cOff, int ldc, boolean acc) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (acc) {
            c00 = FloatVector.fromArray(F, c, cOff);           c01 = FloatVector.fromArray(F, c, cOff + LANES);
            c10 = FloatVector.fromArray(F, c, cOff + ldc);     c11 = FloatVector.fromArray(F, c, cOff + ldc + LANES);
            c20 = FloatVector.fromArray(F, c, cOff + 2 * ldc); c21 = FloatVector.fromArray(F, c, cOff + 2 * ldc + LANES);
            c30 = FloatVector.fromArray(F, c, cOff + 3 * ldc); c31 = FloatVector.fromArray(F, c, cOff + 3 * ldc + LANES);
            c40 = FloatVector.fromArray(F, c, cOff + 4 * ldc); c41 = FloatVector.fromArray(F, c, cOff + 4 * ldc + LANES);
            c50 = FloatVector.fromArray(F, c, cOff + 5 * ldc); c51 = FloatVector.fromArray(F, c, cOff + 5 * ldc + LANES);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(F);
        }
        int a0 = aOff, a1 = aOff + aRs, a2 = aOff + 2 * aRs, a3 = aOff + 3 * aRs, a4 = aOff + 4 * aRs, a5 = aOff + 5 * aRs;
        for (int p = 0, bp = bOff, ap = 0; p < k; p++, bp += ldb, ap += aCs) {
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + LANES);
            FloatVector x = FloatVector.broadcast(F, a[a0 + ap]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, a[a1 + ap]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, a[a2 + ap]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, a[a3 + ap]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, a[a4 + ap]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, a[a5 + ap]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51);
        }
        c00.intoArray(c, cOff);           c01.intoArray(c, cOff + LANES);
        c10.intoArray(c, cOff + ldc);     c11.intoArray(c, cOff + ldc + LANES);
        c20.intoArray(c, cOff + 2 * ldc); c21.intoArray(c, cOff + 2 * ldc + LANES);
        c30.intoArray(c, cOff + 3 * ldc); c31.intoArray(c, cOff + 3 * ldc + LANES);
        c40.intoArray(c, cOff + 4 * ldc); c41.intoArray(c, cOff + 4 * ldc + LANES);
        c50.intoArray(c, cOff + 5 * ldc); c51.intoArray(c, cOff + 5 * ldc + LANES);
    }

    private static void block6x1(int k, float[] a, int aOff, int aRs, int aCs, float[] b, int bOff, int ldb,
                                 float[] c, int cOff, int ldc, boolean acc) {
        FloatVector c0, c1, c2, c3, c4, c5;
        if (acc) {
            c0 = FloatVector.fromArray(F, c, cOff);           c1 = FloatVector.fromArray(F, c, cOff + ldc);
            c2 = FloatVector.fromArray(F, c, cOff + 2 * ldc); c3 = FloatVector.fromArray(F, c, cOff + 3 * ldc);
            c4 = FloatVector.fromArray(F, c, cOff + 4 * ldc); c5 = FloatVector.fromArray(F, c, cOff + 5 * ldc);
        } else {
            c0 = c1 = c2 = c3 = c4 = c5 = FloatVector.zero(F);
        }
        int a0 = aOff, a1 = aOff + aRs, a2 = aOff + 2 * aRs, a3 = aOff + 3 * aRs, a4 = aOff + 4 * aRs, a5 = aOff + 5 * aRs;
        for (int p = 0, bp = bOff, ap = 0; p < k; p++, bp += ldb, ap += aCs) {
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            c0 = b0.fma(FloatVector.broadcast(F, a[a0 + ap]), c0);
            c1 = b0.fma(FloatVector.broadcast(F, a[a1 + ap]), c1);
            c2 = b0.fma(FloatVector.broadcast(F, a[a2 + ap]), c2);
            c3 = b0.fma(FloatVector.broadcast(F, a[a3 + ap]), c3);
            c4 = b0.fma(FloatVector.broadcast(F, a[a4 + ap]), c4);
            c5 = b0.fma(FloatVector.broadcast(F, a[a5 + ap]), c5);
        }
        c0.intoArray(c, cOff);           c1.intoArray(c, cOff + ldc);
        c2.intoArray(c, cOff + 2 * ldc); c3.intoArray(c, cOff + 3 * ldc);
        c4.intoArray(c, cOff + 4 * ldc); c5.intoArray(c, cOff + 5 * ldc);
    }

    /** One row of C, {@code vecs} (1 or 2) vectors wide: the remainder when m is not a multiple of 6. */
    private static void row(int k, int vecs, float[] a, int aOff, int aCs, float[] b, int bOff, int ldb,
                            float[] c, int cOff, boolean acc) {
        for (int v = 0; v < vecs; v++) {
            int bo = bOff + v * LANES;
            // Two partial sums over alternate k halve the FMA latency chain.
            FloatVector s0 = acc ? FloatVector.fromArray(F, c, cOff + v * LANES) : FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            int p = 0;
            for (; p + 1 < k; p += 2) {
                s0 = FloatVector.fromArray(F, b, bo + p * ldb).fma(FloatVector.broadcast(F, a[aOff + p * aCs]), s0);
                s1 = FloatVector.fromArray(F, b, bo + (p + 1) * ldb).fma(FloatVector.broadcast(F, a[aOff + (p + 1) * aCs]), s1);
            }
            if (p < k) s0 = FloatVector.fromArray(F, b, bo + p * ldb).fma(FloatVector.broadcast(F, a[aOff + p * aCs]), s0);
            s0.add(s1).intoArray(c, cOff + v * LANES);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Packed operands. C2 removes a bounds check from the inner loop only when the index moves by a constant per
    // step (range-check elimination needs a constant scale). The kernels above step by caller strides, so every
    // load keeps its compare-and-branch and the six row offsets spill: on AVX2 they reach about 70% of the FMA peak
    // in isolation and about 60% inside flash. Below, B is packed in panels of NR columns (NR floats per step) and
    // A is read along unit-stride rows or from lane panels (LANES floats per step), and a 4 x 2-vector block keeps
    // 8 accumulators, 2 loads and 4 broadcasts in AVX2's 16 registers: 88-89 GFLOP/s of a 94 GFLOP/s one-thread
    // peak on 96 x 96 x 128 (6 x 2 blocks spill there once the checks are gone).

    /** Columns per panel of a packed B: two vectors. */
    public static final int NR = 2 * LANES;

    /** Rounds {@code n} up to a multiple of {@link #NR}. */
    public static int padPanels(int n) {
        return (n + NR - 1) / NR * NR;
    }

    /**
     * {@code C (+)= A * B} with A's rows read in place and B packed. A(r, p) is {@code a[aOff + r * aRs + p]}. B
     * has {@code panels} panels of {@link #NR} columns; B(p, jb * NR + c) is {@code bp[jb * bPs + p * NR + c]}. C's
     * vector v (0 or 1) of row r in panel jb is at {@code c[cOff + jb * cPs + r * cRs + v * cVs]}: row-major C has
     * {@code cRs = ldc, cVs = LANES, cPs = NR}; C in lane panels (see {@link #mulLanePanelsA}) has
     * {@code cRs = LANES, cVs = panel stride, cPs = 2 * panel stride}. {@code m} rows, any count.
     */
    public static void mulRowsA(int m, int panels, int k, float[] a, int aOff, int aRs, float[] bp, int bPs,
                                float[] c, int cOff, int cRs, int cVs, int cPs, boolean accumulate) {
        int m4 = m - m % 4;
        for (int jb = 0; jb < panels; jb++) {
            int bo = jb * bPs, co = cOff + jb * cPs;
            for (int i = 0; i < m4; i += 4) {
                int ai = aOff + i * aRs;
                rows4(k, a, ai, ai + aRs, ai + 2 * aRs, ai + 3 * aRs, bp, bo, c, co + i * cRs, cRs, cVs, accumulate);
            }
            for (int i = m4; i < m; i++) rows1(k, a, aOff + i * aRs, 1, bp, bo, c, co + i * cRs, cVs, accumulate);
        }
    }

    /**
     * {@link #mulRowsA} with A in lane panels: A(i, p) is {@code a[aOff + (i / LANES) * aPs + p * LANES + i % LANES]}
     * (what a kernel that keeps one vector of rows per step writes, e.g. flash's probabilities with queries in lanes).
     */
    public static void mulLanePanelsA(int m, int panels, int k, float[] a, int aOff, int aPs, float[] bp, int bPs,
                                      float[] c, int cOff, int cRs, int cVs, int cPs, boolean accumulate) {
        int m4 = m - m % 4;
        for (int jb = 0; jb < panels; jb++) {
            int bo = jb * bPs, co = cOff + jb * cPs;
            for (int i = 0; i < m4; i += 4) {
                // Four rows share a lane panel (LANES is a multiple of 4): their elements are adjacent at every step.
                lanes4(k, a, aOff + (i / LANES) * aPs + i % LANES, bp, bo, c, co + i * cRs, cRs, cVs, accumulate);
            }
            for (int i = m4; i < m; i++) rows1(k, a, aOff + (i / LANES) * aPs + i % LANES, LANES, bp, bo, c, co + i * cRs, cVs, accumulate);
        }
    }

    private static void rows4(int k, float[] a, int a0, int a1, int a2, int a3, float[] b, int bo,
                              float[] c, int co, int cRs, int cVs, boolean acc) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (acc) {
            c00 = FloatVector.fromArray(F, c, co);           c01 = FloatVector.fromArray(F, c, co + cVs);
            c10 = FloatVector.fromArray(F, c, co + cRs);     c11 = FloatVector.fromArray(F, c, co + cRs + cVs);
            c20 = FloatVector.fromArray(F, c, co + 2 * cRs); c21 = FloatVector.fromArray(F, c, co + 2 * cRs + cVs);
            c30 = FloatVector.fromArray(F, c, co + 3 * cRs); c31 = FloatVector.fromArray(F, c, co + 3 * cRs + cVs);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = FloatVector.zero(F);
        }
        for (int p = 0; p < k; p++) {
            int bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(F, b, bi), b1 = FloatVector.fromArray(F, b, bi + LANES);
            FloatVector x = FloatVector.broadcast(F, a[a0 + p]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, a[a1 + p]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, a[a2 + p]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, a[a3 + p]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
        }
        c00.intoArray(c, co);           c01.intoArray(c, co + cVs);
        c10.intoArray(c, co + cRs);     c11.intoArray(c, co + cRs + cVs);
        c20.intoArray(c, co + 2 * cRs); c21.intoArray(c, co + 2 * cRs + cVs);
        c30.intoArray(c, co + 3 * cRs); c31.intoArray(c, co + 3 * cRs + cVs);
    }

    /** {@link #rows4} with A stepping by LANES: a method of its own, as C2 drops the checks only for a constant step. */
    private static void lanes4(int k, float[] a, int ao, float[] b, int bo, float[] c, int co, int cRs, int cVs, boolean acc) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (acc) {
            c00 = FloatVector.fromArray(F, c, co);           c01 = FloatVector.fromArray(F, c, co + cVs);
            c10 = FloatVector.fromArray(F, c, co + cRs);     c11 = FloatVector.fromArray(F, c, co + cRs + cVs);
            c20 = FloatVector.fromArray(F, c, co + 2 * cRs); c21 = FloatVector.fromArray(F, c, co + 2 * cRs + cVs);
            c30 = FloatVector.fromArray(F, c, co + 3 * cRs); c31 = FloatVector.fromArray(F, c, co + 3 * cRs + cVs);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = FloatVector.zero(F);
        }
        for (int p = 0; p < k; p++) {
            int bi = bo + p * NR, ai = ao + p * LANES;
            FloatVector b0 = FloatVector.fromArray(F, b, bi), b1 = FloatVector.fromArray(F, b, bi + LANES);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, a[ai + 1]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, a[ai + 2]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, a[ai + 3]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
        }
        c00.intoArray(c, co);           c01.intoArray(c, co + cVs);
        c10.intoArray(c, co + cRs);     c11.intoArray(c, co + cRs + cVs);
        c20.intoArray(c, co + 2 * cRs); c21.intoArray(c, co + 2 * cRs + cVs);
        c30.intoArray(c, co + 3 * cRs); c31.intoArray(c, co + 3 * cRs + cVs);
    }

    /** One row of a packed product (the m % 4 tail): A(r, p) is {@code a[ao + p * aCs]}. */
    private static void rows1(int k, float[] a, int ao, int aCs, float[] b, int bo, float[] c, int co, int cVs, boolean acc) {
        FloatVector c0 = acc ? FloatVector.fromArray(F, c, co) : FloatVector.zero(F);
        FloatVector c1 = acc ? FloatVector.fromArray(F, c, co + cVs) : FloatVector.zero(F);
        for (int p = 0; p < k; p++) {
            FloatVector x = FloatVector.broadcast(F, a[ao + p * aCs]);
            c0 = FloatVector.fromArray(F, b, bo + p * NR).fma(x, c0);
            c1 = FloatVector.fromArray(F, b, bo + p * NR + LANES).fma(x, c1);
        }
        c0.intoArray(c, co);
        c1.intoArray(c, co + cVs);
    }
}
