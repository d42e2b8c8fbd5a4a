package dev.attend.tensor;

/**
 * bfloat16 conversions: a bf16 value is the upper 16 bits of an IEEE binary32, held in a {@code short}.
 *
 * <p>Float to bf16 rounds to nearest, ties to even; values beyond the largest bf16 (about 3.39e38) round to
 * infinity as IEEE rounding requires. NaN stays NaN (the quiet bit is set so that a NaN whose payload lives only
 * in the low 16 bits does not turn into infinity); the sign of zero and infinities are kept. Subnormals are
 * rounded like any other value. Bf16 to float is exact (a shift). Cost: a few integer operations a value; the
 * bulk loops have no allocation and no branches but the NaN test, so C2 vectorises them.
 */
public final class Bf16 {
    private Bf16() {}

    /** Rounds a float to the nearest bf16 (ties to even). */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x0040);
        // Adding 0x7fff plus the lowest kept bit rounds the dropped half to nearest, ties to even; a carry into
        // the exponent is the correct result (next binade, or infinity past the largest finite value).
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The exact float value of a bf16. */
    public static float toFloat(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    /** Encodes {@code src[so, so+n)} into {@code dst[doff, doff+n)}. */
    public static void encode(float[] src, int so, short[] dst, int doff, int n) {
        Checks.range("src", src.length, so, n);
        Checks.range("dst", dst.length, doff, n);
        for (int i = 0; i < n; i++) dst[doff + i] = fromFloat(src[so + i]);
    }

    /** Decodes {@code src[so, so+n)} into {@code dst[doff, doff+n)}. */
    public static void decode(short[] src, int so, float[] dst, int doff, int n) {
        Checks.range("src", src.length, so, n);
        Checks.range("dst", dst.length, doff, n);
        for (int i = 0; i < n; i++) dst[doff + i] = Float.intBitsToFloat((src[so + i] & 0xffff) << 16);
    }

    /** All elements of {@code t} in row-major order as bf16 (tensors under 2^31 elements). */
    public static short[] encode(Tensor t) {
        float[] f = t.toArray();
        short[] out = new short[f.length];
        encode(f, 0, out, 0, f.length);
        return out;
    }

    /** A new F32 tensor of the given shape from bf16 values in row-major order. */
    public static Tensor decode(short[] values, long... shape) {
        float[] f = new float[values.length];
        decode(values, 0, f, 0, values.length);
        return Tensor.of(f, shape);
    }
}
