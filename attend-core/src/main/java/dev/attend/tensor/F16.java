package dev.attend.tensor;

/**
 * IEEE 754 binary16 ("half") conversions, a half held in a {@code short}.
 *
 * <p>Float to half rounds to nearest, ties to even, with gradual underflow to half subnormals (smallest
 * 2^-24) and overflow to infinity (above 65504 plus half an ulp); NaN stays NaN, signs of zeros and
 * infinities are kept. Half to float is exact. Both directions are the JDK's {@link Float#floatToFloat16} and
 * {@link Float#float16ToFloat}, which C2 compiles to the F16C instructions where the CPU has them.
 */
public final class F16 {
    private F16() {}

    /** Rounds a float to the nearest half (ties to even). */
    public static short fromFloat(float f) { return Float.floatToFloat16(f); }

    /** The exact float value of a half. */
    public static float toFloat(short h) { return Float.float16ToFloat(h); }

    /** Encodes {@code src[so, so+n)} into {@code dst[doff, doff+n)}. */
    public static void encode(float[] src, int so, short[] dst, int doff, int n) {
        Checks.range("src", src.length, so, n);
        Checks.range("dst", dst.length, doff, n);
        for (int i = 0; i < n; i++) dst[doff + i] = Float.floatToFloat16(src[so + i]);
    }

    /** Decodes {@code src[so, so+n)} into {@code dst[doff, doff+n)}. */
    public static void decode(short[] src, int so, float[] dst, int doff, int n) {
        Checks.range("src", src.length, so, n);
        Checks.range("dst", dst.length, doff, n);
        for (int i = 0; i < n; i++) dst[doff + i] = Float.float16ToFloat(src[so + i]);
    }

    /** All elements of {@code t} in row-major order as halves (tensors under 2^31 elements). */
    public static short[] encode(Tensor t) {
        float[] f = t.toArray();
        short[] out = new short[f.length];
        encode(f, 0, out, 0, f.length);
        return out;
    }

    /** A new F32 tensor of the given shape from halves in row-major order. */
    public static Tensor decode(short[] values, long... shape) {
        float[] f = new float[values.length];
        decode(values, 0, f, 0, values.length);
        return Tensor.of(f, shape);
    }
}
