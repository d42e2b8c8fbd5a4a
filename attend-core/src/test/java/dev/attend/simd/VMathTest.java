package dev.attend.simd;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VMathTest {
    @Test
    void expIsWithinTwoUlpOverTheNormalRange() {
        float[] x = new float[Gemm.LANES];
        float[] y = new float[Gemm.LANES];
        double worst = 0;
        for (float v = -87f; v < 88.3f; ) {
            for (int i = 0; i < x.length; i++, v += 0.000731f) x[i] = v;
            VMath.exp(FloatVector.fromArray(Gemm.F, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                if (x[i] > 88.3f) continue; // the chunk overshoots the range
                double want = Math.exp(x[i]);
                worst = Math.max(worst, Math.abs(y[i] - want) / Math.ulp((float) want));
            }
        }
        assertTrue(worst <= 2.0, "worst error " + worst + " ulp");
    }

    @Test
    void exp2IsWithinTwoUlp() {
        float[] x = new float[Gemm.LANES];
        float[] y = new float[Gemm.LANES];
        double worst = 0;
        for (float v = -125.9f; v < 126.9f; ) {
            for (int i = 0; i < x.length; i++, v += 0.000917f) x[i] = v;
            VMath.exp2(FloatVector.fromArray(Gemm.F, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                if (x[i] > 126.9f) continue;
                double want = Math.pow(2, x[i]);
                worst = Math.max(worst, Math.abs(y[i] - want) / Math.ulp((float) want));
            }
        }
        assertTrue(worst <= 2.0, "worst error " + worst + " ulp");
        java.util.Arrays.fill(x, Float.NEGATIVE_INFINITY);
        x[1] = -126.5f;
        x[2] = 0f;
        VMath.exp2(FloatVector.fromArray(Gemm.F, x, 0)).intoArray(y, 0);
        assertEquals(0f, y[0]);
        assertEquals(0f, y[1]);
        assertEquals(1f, y[2]);
    }

    @Test
    void maskedScoresWeighExactlyNothing() {
        float[] x = new float[Gemm.LANES];
        float[] y = new float[Gemm.LANES];
        java.util.Arrays.fill(x, Float.NEGATIVE_INFINITY);
        x[0] = -100f;
        x[1] = 0f;
        VMath.exp(FloatVector.fromArray(Gemm.F, x, 0)).intoArray(y, 0);
        assertEquals(0f, y[0]);
        assertEquals(1f, y[1]);
        for (int i = 2; i < y.length; i++) assertEquals(0f, y[i]);
        assertEquals(0f, VMath.exp(Float.NEGATIVE_INFINITY));
    }
}
