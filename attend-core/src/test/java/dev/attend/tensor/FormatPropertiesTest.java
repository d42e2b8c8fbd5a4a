package dev.attend.tensor;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Properties of the storage formats over generated data. */
class FormatPropertiesTest {
    /** Rows of 1 to 8 blocks whose magnitudes span the whole float range, subnormals included. */
    @Provide
    Arbitrary<float[]> rows() {
        return Arbitraries.integers().between(1, 8).flatMap(blocks ->
                Arbitraries.longs().map(seed -> {
                    Random r = new Random(seed);
                    float[] x = new float[blocks * Q8_0.BLOCK];
                    for (int b = 0; b < blocks; b++) {
                        int exp = r.nextInt(-149, 128);
                        int kind = r.nextInt(4);
                        for (int i = 0; i < Q8_0.BLOCK; i++) {
                            double v = switch (kind) {
                                case 0 -> r.nextGaussian() * Math.scalb(1.0, exp);
                                case 1 -> (r.nextInt(255) - 127) * Math.scalb(1.0, Math.min(exp, 120)) / 2; // ties
                                case 2 -> i == 0 ? Math.scalb(1.0, exp) : 0;
                                default -> Float.intBitsToFloat(r.nextInt()) ;
                            };
                            float fv = (float) v;
                            x[b * Q8_0.BLOCK + i] = Float.isFinite(fv) ? fv : 0f;
                        }
                    }
                    return x;
                }));
    }

    @Property(tries = 300)
    void q80ErrorIsAtMostHalfAScale(@ForAll("rows") float[] x) {
        byte[] q = new byte[x.length];
        float[] s = new float[x.length / Q8_0.BLOCK];
        float[] d = new float[x.length];
        Q8_0.quantize(x, 0, q, 0, s, 0, x.length);
        Q8_0.dequantize(q, 0, s, 0, d, 0, x.length);
        FormatsTest.assertQ8Bound(x, q, s, d);
        for (int b = 0; b < s.length; b++) {
            float amax = 0;
            for (int i = 0; i < Q8_0.BLOCK; i++) amax = Math.max(amax, Math.abs(x[b * Q8_0.BLOCK + i]));
            assertTrue(s[b] >= amax / 127f && !Float.isNaN(s[b]));
            if (amax >= 0x1p-100f) assertEquals(amax / 127f, s[b]); // normal range: exactly amax/127
        }
    }

    @Property(tries = 300)
    void f16IsTheNearestHalf(@ForAll float x) {
        if (!Float.isFinite(x) || Math.abs(x) > 65504f) return;
        float y = F16.toFloat(F16.fromFloat(x));
        float up = F16.toFloat((short) (F16.fromFloat(x) + 1)), down = F16.toFloat((short) (F16.fromFloat(x) - 1));
        double e = Math.abs((double) y - x);
        if (Float.isFinite(up) && !Float.isNaN(up)) assertTrue(e <= Math.abs((double) up - x), x + " -> " + y);
        if (Float.isFinite(down) && !Float.isNaN(down)) assertTrue(e <= Math.abs((double) down - x), x + " -> " + y);
    }
}
