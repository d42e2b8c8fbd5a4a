package dev.attend.tensor;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Scalar and bulk conversions: bf16, f16, Q8_0 and QuantizedTensor. */
class FormatsTest {
    private static float f(int bits) { return Float.intBitsToFloat(bits); }

    @Test
    void bf16RoundsToNearestEvenAndKeepsSpecials() {
        assertEquals((short) 0x3f80, Bf16.fromFloat(1f));
        assertEquals(1f, Bf16.toFloat((short) 0x3f80));
        // Ties go to the even neighbour, anything past the tie goes up.
        assertEquals((short) 0x3f80, Bf16.fromFloat(f(0x3f808000)));
        assertEquals((short) 0x3f82, Bf16.fromFloat(f(0x3f818000)));
        assertEquals((short) 0x3f81, Bf16.fromFloat(f(0x3f808001)));
        assertEquals((short) 0x3f80, Bf16.fromFloat(f(0x3f807fff)));
        assertEquals((short) 0xbf82, Bf16.fromFloat(f(0xbf818000)));
        // Infinities, zeros, NaN (also a NaN whose payload is only in the dropped bits).
        assertEquals((short) 0x7f80, Bf16.fromFloat(Float.POSITIVE_INFINITY));
        assertEquals((short) 0xff80, Bf16.fromFloat(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x8000, Bf16.fromFloat(-0f));
        assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN))));
        assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(f(0x7f800001)))));
        assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(f(0xff800001)))));
        // Largest float rounds past the largest bf16 to infinity; the largest bf16 is exact.
        assertEquals((short) 0x7f80, Bf16.fromFloat(Float.MAX_VALUE));
        assertEquals((short) 0x7f7f, Bf16.fromFloat(Bf16.toFloat((short) 0x7f7f)));
        assertEquals(3.3895314e38f, Bf16.toFloat((short) 0x7f7f));
        // Subnormals: exact ones survive, ties go to even, the smallest float rounds to zero.
        assertEquals((short) 0x0001, Bf16.fromFloat(f(0x00010000)));
        assertEquals((short) 0x0000, Bf16.fromFloat(f(0x00008000)));
        assertEquals((short) 0x0002, Bf16.fromFloat(f(0x00018000)));
        assertEquals((short) 0x0000, Bf16.fromFloat(Float.MIN_VALUE));
        assertEquals((short) 0x0080, Bf16.fromFloat(Float.MIN_NORMAL));
    }

    @Test
    void everyBf16SurvivesARoundTrip() {
        for (int h = 0; h < 65536; h++) {
            float v = Bf16.toFloat((short) h);
            if (Float.isNaN(v)) assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(v))));
            else assertEquals((short) h, Bf16.fromFloat(v), "bf16 " + Integer.toHexString(h));
        }
    }

    @Test
    void bf16IsTheNearestOnRandomFloats() {
        Random r = new Random(1);
        for (int i = 0; i < 200_000; i++) {
            float x = f(r.nextInt());
            if (!Float.isFinite(x)) continue;
            float y = Bf16.toFloat(Bf16.fromFloat(x));
            int down = Float.floatToRawIntBits(x) & 0xffff0000;
            float lo = f(down), hi = f(down + 0x10000);
            double dy = Math.abs((double) y - x);
            if (Float.isInfinite(y)) {  // overflow: only at or past the tie between the largest bf16 and 2^128
                assertTrue(Math.abs(x) >= f(0x7f7f8000), x + " -> " + y);
                continue;
            }
            assertTrue(y == lo || y == hi || Float.isInfinite(y), x + " -> " + y);
            assertTrue(dy <= Math.abs((double) lo - x) && (Float.isInfinite(hi) || dy <= Math.abs((double) hi - x)), x + " -> " + y);
        }
    }

    @Test
    void f16EdgeValues() {
        assertEquals((short) 0x3c00, F16.fromFloat(1f));
        assertEquals(65504f, F16.toFloat(F16.fromFloat(65504f)));
        assertEquals(65504f, F16.toFloat(F16.fromFloat(65519f)));
        assertEquals(Float.POSITIVE_INFINITY, F16.toFloat(F16.fromFloat(65520f))); // the tie rounds to even: infinity
        assertEquals(Float.NEGATIVE_INFINITY, F16.toFloat(F16.fromFloat(Float.NEGATIVE_INFINITY)));
        assertTrue(Float.isNaN(F16.toFloat(F16.fromFloat(Float.NaN))));
        assertEquals((short) 0x8000, F16.fromFloat(-0f));
        float minSub = 0x1p-24f;
        assertEquals((short) 0x0001, F16.fromFloat(minSub));
        assertEquals(minSub, F16.toFloat((short) 0x0001));
        assertEquals((short) 0x0000, F16.fromFloat(0x1p-25f));              // tie between 0 and 2^-24: even is 0
        assertEquals((short) 0x0002, F16.fromFloat(0x1.8p-24f));            // tie between 1 and 2 units: even is 2
        assertEquals((short) 0x0001, F16.fromFloat(0x1.8p-25f));            // 0.75 units -> 1
        assertEquals((short) 0x0400, F16.fromFloat(0x1p-14f));              // smallest normal
        assertEquals(1f, F16.toFloat(F16.fromFloat(1f + 0x1p-11f)));        // tie -> even (1.0)
        assertEquals(1f + 0x1p-9f, F16.toFloat(F16.fromFloat(1f + 3 * 0x1p-11f))); // tie -> even (1 + 2^-9)
        for (int h = 0; h < 65536; h++) {
            float v = F16.toFloat((short) h);
            if (!Float.isNaN(v)) assertEquals((short) h, F16.fromFloat(v), "half " + Integer.toHexString(h));
        }
    }

    @Test
    void bulkConversionsMatchScalarAndCheckRanges() {
        Random r = new Random(2);
        float[] x = new float[100];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * 100;
        short[] h = new short[110];
        float[] back = new float[105];
        Bf16.encode(x, 3, h, 7, 90);
        Bf16.decode(h, 7, back, 5, 90);
        for (int i = 0; i < 90; i++) assertEquals(Bf16.toFloat(Bf16.fromFloat(x[3 + i])), back[5 + i]);
        F16.encode(x, 0, h, 0, 100);
        F16.decode(h, 0, back, 0, 100);
        for (int i = 0; i < 100; i++) assertEquals(F16.toFloat(F16.fromFloat(x[i])), back[i]);
        var e = assertThrows(IllegalArgumentException.class, () -> Bf16.encode(x, 50, h, 0, 60));
        assertTrue(e.getMessage().contains("src") && e.getMessage().contains("100"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> F16.decode(h, 0, back, 10, 100));
        assertTrue(e.getMessage().contains("dst"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> F16.encode(x, 0, h, 0, -1));
        Tensor t = Tensor.of(new float[] {1, 2.5f, -3}, 3);
        assertArrayEquals(t.toArray(), Bf16.decode(Bf16.encode(t), 3).toArray());
        assertArrayEquals(t.toArray(), F16.decode(F16.encode(t), 3).toArray());
    }

    /** |x - q*scale| <= scale/2 exactly, and |x - x'| <= scale/2 + ulp(x')/2 for the float result. */
    static void assertQ8Bound(float[] x, byte[] q, float[] scales, float[] deq) {
        for (int i = 0; i < x.length; i++) {
            float s = scales[i / Q8_0.BLOCK];
            BigDecimal half = new BigDecimal(s).divide(BigDecimal.valueOf(2));
            BigDecimal exact = new BigDecimal(x[i]).subtract(new BigDecimal(s).multiply(BigDecimal.valueOf(q[i]))).abs();
            assertTrue(exact.compareTo(half) <= 0, "x=" + x[i] + " q=" + q[i] + " scale=" + s);
            BigDecimal err = new BigDecimal(x[i]).subtract(new BigDecimal(deq[i])).abs();
            BigDecimal bound = half.add(new BigDecimal(Math.ulp(deq[i])).divide(BigDecimal.valueOf(2)));
            assertTrue(err.compareTo(bound) <= 0, "x=" + x[i] + " x'=" + deq[i] + " scale=" + s);
            assertTrue(q[i] >= -127 && q[i] <= 127);
        }
    }

    @Test
    void q80ScaleTiesZeroBlocksAndTinyValues() {
        float[] x = new float[64];
        x[0] = 127f;           // scale exactly 1
        x[1] = 2.5f;           // tie -> 2
        x[2] = 3.5f;           // tie -> 4
        x[3] = -2.5f;          // tie -> -2
        x[4] = -127f;
        // second block all zero: scale 0, values 0, never NaN
        byte[] q = new byte[64];
        float[] s = new float[2];
        float[] d = new float[64];
        Q8_0.quantize(x, 0, q, 0, s, 0, 64);
        Q8_0.dequantize(q, 0, s, 0, d, 0, 64);
        assertEquals(1f, s[0]);
        assertEquals(127, q[0]);
        assertEquals(2, q[1]);
        assertEquals(4, q[2]);
        assertEquals(-2, q[3]);
        assertEquals(-127, q[4]);
        assertEquals(0f, s[1]);
        for (int i = 32; i < 64; i++) assertEquals(0f, d[i]);
        assertQ8Bound(x, q, s, d);

        // Subnormal scales: amax/127 rounds down, the scale is raised so q never needs clamping.
        for (int k = 1; k < 400; k++) {
            float[] t = new float[32];
            t[0] = k * Float.MIN_VALUE;
            t[1] = -k * Float.MIN_VALUE / 3;
            t[2] = Math.nextDown(t[0]);
            Q8_0.quantize(t, 0, q, 0, s, 0, 32);
            Q8_0.dequantize(q, 0, s, 0, d, 0, 32);
            assertQ8Bound(t, q, new float[] {s[0]}, java.util.Arrays.copyOf(d, 32));
        }
    }

    @Test
    void q80RefusesBadLengthsAndNonFiniteValues() {
        var e = assertThrows(IllegalArgumentException.class, () -> Q8_0.quantize(new float[40], 0, new byte[40], 0, new float[2], 0, 40));
        assertTrue(e.getMessage().contains("multiple of 32") && e.getMessage().contains("40"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Q8_0.dequantize(new byte[32], 0, new float[0], 0, new float[32], 0, 32));
        assertTrue(e.getMessage().contains("scales"), e.getMessage());
        float[] x = new float[64];
        x[37] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> Q8_0.quantize(x, 0, new byte[64], 0, new float[2], 0, 64));
        assertTrue(e.getMessage().contains("src[37]") && e.getMessage().contains("NaN"), e.getMessage());
        x[37] = Float.NEGATIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> Q8_0.quantize(x, 0, new byte[64], 0, new float[2], 0, 64));
        assertTrue(e.getMessage().contains("Infinity"), e.getMessage());
        // The largest finite values quantize without overflow.
        float[] big = new float[32];
        big[0] = Float.MAX_VALUE;
        big[1] = -Float.MAX_VALUE / 2;
        byte[] q = new byte[32];
        float[] s = new float[1], d = new float[32];
        Q8_0.quantize(big, 0, q, 0, s, 0, 32);
        Q8_0.dequantize(q, 0, s, 0, d, 0, 32);
        assertQ8Bound(big, q, s, d);
        assertTrue(Float.isFinite(d[0]));
    }

    @Test
    void quantizedTensorRoundTripAndShapeRules() {
        Tensor t = Tensor.randn(3, 2, 3, 64);
        QuantizedTensor qt = QuantizedTensor.quantize(t);
        assertArrayEquals(new long[] {2, 3, 64}, qt.shape());
        assertEquals(6, qt.rows());
        assertEquals(64, qt.rowLength());
        assertEquals(12, qt.scales().length);
        Tensor back = qt.dequantize();
        assertArrayEquals(t.shape(), back.shape());
        assertQ8Bound(t.toArray(), qt.quants(), qt.scales(), back.toArray());
        float[] row = new float[64];
        qt.dequantizeRow(4, row, 0);
        assertArrayEquals(back.slice(0, 1, 2).slice(1, 1, 2).toArray(), row);
        // A non-contiguous view quantizes its logical elements.
        Tensor p = Tensor.randn(4, 32, 2).permute(1, 0);
        assertQ8Bound(p.toArray(), QuantizedTensor.quantize(p).quants(), QuantizedTensor.quantize(p).scales(),
                QuantizedTensor.quantize(p).dequantize().toArray());
        // Empty tensors are fine.
        assertEquals(0, QuantizedTensor.quantize(Tensor.zeros(0, 32)).size());
        assertEquals(5, QuantizedTensor.quantize(Tensor.zeros(5, 0)).rows());

        var e = assertThrows(IllegalArgumentException.class, () -> QuantizedTensor.quantize(Tensor.zeros(2, 33)));
        assertTrue(e.getMessage().contains("multiple of 32") && e.getMessage().contains("33"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> QuantizedTensor.quantize(Tensor.of(new float[] {1}, new long[0])));
        assertTrue(e.getMessage().contains("0-d"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> QuantizedTensor.of(new long[] {2, 32}, new byte[64], new float[3]));
        assertTrue(e.getMessage().contains("expected 2") && e.getMessage().contains("got 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> QuantizedTensor.of(new long[] {1L << 40, 32}, new byte[0], new float[0]));
        assertTrue(e.getMessage().contains("2^31"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> qt.dequantizeRow(6, row, 0));
    }

    @Test
    void dtypeSizes() {
        assertEquals(24, DType.F32.byteSize(6));
        assertEquals(12, DType.BF16.byteSize(6));
        assertEquals(72, DType.Q8_0.byteSize(64));
        var e = assertThrows(IllegalArgumentException.class, () -> DType.Q8_0.byteSize(33));
        assertTrue(e.getMessage().contains("multiple of 32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DType.F32.byteSize(Long.MAX_VALUE));
    }
}
