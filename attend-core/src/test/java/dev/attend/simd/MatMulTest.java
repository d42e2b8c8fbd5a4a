package dev.attend.simd;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatMulTest {
    /** Odd shapes cross every boundary: k blocks (KC), row blocks (MC), whole panels and the tail panel, 1-row kernels. */
    @ParameterizedTest
    @CsvSource({"1,1,1", "3,5,7", "17,33,9", "97,31,300", "5,16,513", "130,47,2", "4,100,257", "0,3,4", "3,0,4", "3,4,0"})
    void matchesAnFp64ReferenceForEveryTransposeAlphaAndBeta(int m, int n, int k) {
        Random r = new Random(31L * m + 7L * n + k);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (float[] ab : new float[][] {{1f, 0f}, {0.5f, 1f}, {-2f, 0.25f}}) {
                    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
                    int aOff = 1, bOff = 2, cOff = 3;
                    float[] a = rand(r, aOff + (ta ? k : m) * lda), b = rand(r, bOff + (tb ? n : k) * ldb), c = rand(r, cOff + m * ldc + 4);
                    float[] out = c.clone();
                    MatMul.gemm(ta, tb, m, n, k, ab[0], a, aOff, lda, b, bOff, ldb, ab[1], out, cOff, ldc);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int p = 0; p < k; p++) {
                                double x = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                                double y = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                                s += x * y;
                            }
                            double want = ab[0] * s + ab[1] * c[cOff + i * ldc + j];
                            assertEquals(want, out[cOff + i * ldc + j], 1e-5 * (1 + Math.sqrt(k)) * (1 + Math.abs(want)),
                                    "C[" + i + "][" + j + "] ta=" + ta + " tb=" + tb);
                        }
                        for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++) {
                            assertEquals(c[cOff + i * ldc + j], out[cOff + i * ldc + j], "padding C[" + i + "][" + j + "] untouched");
                        }
                    }
                    assertEquals(c[0], out[0], "before C untouched");
                }
            }
        }
    }

    @Test
    void betaZeroOverwritesNaNAndSerialEqualsParallelBitForBit() {
        Random r = new Random(5);
        int m = 70, n = 45, k = 300;
        float[] a = rand(r, m * k), b = rand(r, k * n);
        float[] c1 = new float[m * n], c2 = new float[m * n];
        java.util.Arrays.fill(c1, Float.NaN);
        MatMul.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c1, 0, n);
        MatMul.gemmSerial(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c2, 0, n);
        for (float x : c1) assertTrue(Float.isFinite(x));
        assertArrayEquals(c2, c1);
    }

    @Test
    void refusesOperandsThatDoNotFit() {
        float[] a = new float[6], b = new float[6], c = new float[3];
        var e = assertThrows(IllegalArgumentException.class, () -> MatMul.gemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2));
        assertTrue(e.getMessage().startsWith("c:"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MatMul.gemm(false, false, 2, 2, 3, 1f, a, 0, 2, b, 0, 2, 0f, new float[4], 0, 2));
    }

    private static float[] rand(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
