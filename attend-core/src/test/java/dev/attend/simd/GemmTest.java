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

    private static float[] rand(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
