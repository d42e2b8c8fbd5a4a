package dev.attend.simd;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GemmTest {
    @ParameterizedTest
    @CsvSource({"1,1,1,false", "6,2,5,false", "7,1,3,true", "13,3,17,true", "96,8,128,false", "5,4,1,true", "0,2,3,false", "12,7,9,false", "6,12,40,true"})
    void matchesADoubleLoopForEveryStrideAndRemainder(int m, int nVecs, int k, boolean transposedA) {
        int n = nVecs * Gemm.LANES;
        Random r = new Random(m * 31 + k);
        float[] a = rand(r, m * k + 3), b = rand(r, k * (n + Gemm.LANES) + 5), c = rand(r, m * (n + Gemm.LANES) + 7);
        int aOff = 3, bOff = 5, cOff = 7, ldb = n + Gemm.LANES, ldc = n + Gemm.LANES;
        int aRs = transposedA ? 1 : k, aCs = transposedA ? m : 1;
        for (boolean[] mode : new boolean[][] {{false, false}, {true, false}, {false, true}, {true, true}}) {
            boolean accumulate = mode[0];
            float[] out = c.clone();
            // Both register blocks (6 x 4 vectors for 32 registers, 6 x 2 for 16), whichever this machine uses.
            Gemm.mul(m, n, k, a, aOff, aRs, aCs, b, bOff, ldb, out, cOff, ldc, accumulate, mode[1]);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = accumulate ? c[cOff + i * ldc + j] : 0;
                    for (int p = 0; p < k; p++) s += (double) a[aOff + i * aRs + p * aCs] * b[bOff + p * ldb + j];
                    assertEquals(s, out[cOff + i * ldc + j], 1e-4 * (1 + Math.abs(s)), "C[" + i + "][" + j + "]");
                }
                for (int j = n; j < ldc; j++) { // padding columns stay untouched
                    assertEquals(c[cOff + i * ldc + j], out[cOff + i * ldc + j]);
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "4,1,5", "7,2,3", "13,3,17", "96,6,128", "96,8,96", "3,1,40", "0,2,3"})
    void packedKernelsMatchADoubleLoopForRowsAndLanePanelsAndEveryLayoutOfC(int m, int panels, int k) {
        int nr = Gemm.NR, n = panels * nr, L = Gemm.LANES;
        Random r = new Random(m * 17 + k * 5 + panels);
        int bPs = k * nr + 3;                              // panel stride of B, not necessarily k * NR
        float[] bp = rand(r, panels * bPs);
        double[][] a = new double[m][k];
        // A as rows in place (row stride aRs, unit along k), and the same A in lane panels of LANES rows.
        int aOff = 2, aRs = k + 1, aPs = k * L + 4;
        float[] rows = rand(r, aOff + Math.max(1, m) * aRs), lanesA = new float[aOff + ((m + L - 1) / L + 1) * aPs];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                a[i][p] = rows[aOff + i * aRs + p];
                lanesA[aOff + (i / L) * aPs + p * L + i % L] = rows[aOff + i * aRs + p];
            }
        }
        // C row-major (cRs = ldc, cVs = LANES, cPs = NR) and in lane panels (cRs = LANES, cVs = ps, cPs = 2 ps).
        int ldc = n + 5, ps = Math.max(1, m) * L + 8;
        int[][] layouts = {{ldc, L, nr, m * ldc + 1}, {L, ps, 2 * ps, panels * 2 * ps + 1}};
        for (int[] lay : layouts) {
            for (boolean lanePanelsA : new boolean[] {false, true}) {
                for (boolean accumulate : new boolean[] {false, true}) {
                    float[] c0 = rand(r, lay[3] + 1), out = c0.clone();
                    if (lanePanelsA) {
                        Gemm.mulLanePanelsA(m, panels, k, lanesA, aOff, aPs, bp, bPs, out, 1, lay[0], lay[1], lay[2], accumulate);
                    } else {
                        Gemm.mulRowsA(m, panels, k, rows, aOff, aRs, bp, bPs, out, 1, lay[0], lay[1], lay[2], accumulate);
                    }
                    java.util.Set<Integer> written = new java.util.HashSet<>();
                    for (int i = 0; i < m; i++) {
                        for (int col = 0; col < n; col++) {
                            int jb = col / nr, v = col % nr / L, lane = col % L;
                            int at = 1 + jb * lay[2] + i * lay[0] + v * lay[1] + lane;
                            double s = accumulate ? c0[at] : 0;
                            for (int p = 0; p < k; p++) s += a[i][p] * bp[jb * bPs + p * nr + col % nr];
                            assertEquals(s, out[at], 1e-4 * (1 + Math.abs(s)), "C[" + i + "][" + col + "]");
                            written.add(at);
                        }
                    }
                    for (int x = 0; x < out.length; x++) {
                        if (!written.contains(x)) assertEquals(c0[x], out[x], "element " + x + " outside C is untouched");
                    }
                }
            }
        }
    }

    private static float[] rand(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
