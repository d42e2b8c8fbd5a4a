package dev.attend.tensor;

import dev.attend.testing.Gen;
import dev.attend.testing.Property;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Properties of the storage formats over generated data. */
class FormatPropertiesTest {
    /**
     * A row of {@code blocks} Q8_0 blocks made from {@code seed}: each block's magnitudes sit at a random binary
     * exponent over the whole float range (subnormals included), as Gaussians, ties, a lone value or random bits.
     */
    static float[] row(int blocks, long seed) {
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
                    default -> Float.intBitsToFloat(r.nextInt());
                };
                float fv = (float) v;
                x[b * Q8_0.BLOCK + i] = Float.isFinite(fv) ? fv : 0f;
            }
        }
        return x;
    }

    @TestFactory
    Stream<DynamicTest> q80ErrorIsAtMostHalfAScale() {
        return Property.named("Q8_0 error is at most half a scale").tries(300)
                .ints("blocks", 1, 8)
                .longs("seed", Long.MIN_VALUE, Long.MAX_VALUE)
                .check(p -> checkQ80(row(p.i("blocks"), p.l("seed"))));
    }

    private static void checkQ80(float[] x) {
        byte[] q = new byte[x.length];
        float[] s = new float[x.length / Q8_0.BLOCK];
        float[] d = new float[x.length];
        Q8_0.quantize(x, 0, q, 0, s, 0, x.length);
        Q8_0.dequantize(q, 0, s, 0, d, 0, x.length);
        FormatsTest.assertQ8Bound(x, q, s, d);
        for (int b = 0; b < s.length; b++) {
            float amax = 0;
            for (int i = 0; i < Q8_0.BLOCK; i++) amax = Math.max(amax, Math.abs(x[b * Q8_0.BLOCK + i]));
            assertTrue(s[b] >= amax / 127f && !Float.isNaN(s[b]), "block " + b + ": scale " + s[b] + " for amax " + amax);
            if (amax >= 0x1p-100f) assertEquals(amax / 127f, s[b], "block " + b + " scale"); // normal range: exactly amax/127
        }
    }

    /** Floats of every kind: random bit patterns, uniform over the half range, every binade, the edge cases. */
    @TestFactory
    Stream<DynamicTest> f16IsTheNearestHalf() {
        return Property.named("F16 rounds to the nearest half").tries(300)
                .param("x", Gen.floats(65504f))
                .check(p -> checkF16(p.f("x")));
    }

    private static void checkF16(float x) {
        if (!Float.isFinite(x) || Math.abs(x) > 65504f) return;
        float y = F16.toFloat(F16.fromFloat(x));
        float up = F16.toFloat((short) (F16.fromFloat(x) + 1)), down = F16.toFloat((short) (F16.fromFloat(x) - 1));
        double e = Math.abs((double) y - x);
        if (Float.isFinite(up) && !Float.isNaN(up)) assertTrue(e <= Math.abs((double) up - x), x + " -> " + y);
        if (Float.isFinite(down) && !Float.isNaN(down)) assertTrue(e <= Math.abs((double) down - x), x + " -> " + y);
    }
}
