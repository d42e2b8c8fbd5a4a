package dev.attend.tensor;

/**
 * Q8_0 block quantization (the llama.cpp scheme, with a float32 scale): values are grouped in blocks of
 * {@value #BLOCK}; each block stores one float32 scale and 32 signed bytes.
 *
 * <p>Rule, for a block x[0..31]:
 * <pre>
 *   amax  = max |x[i]|
 *   scale = amax / 127              (float division; see below for the subnormal range)
 *   q[i]  = rint(x[i] / scale)      (computed in double: round to nearest, ties to even), in [-127, 127]
 *   x'[i] = q[i] * scale            (float multiplication)
 * </pre>
 * An all-zero block has scale 0 and q = 0, and dequantizes to 0 (never NaN). When {@code amax / 127} rounds so
 * low that {@code amax / scale > 127.5} (only possible for subnormal scales, amax below about 1.5e-36), the scale
 * is raised to the next float until it is not, so no q needs clamping beyond half a step; near
 * {@link Float#MAX_VALUE} it is lowered by an ulp if {@code 127 * scale} would overflow to infinity.
 *
 * <p>Error bound (tested): {@code |x - q*scale| <= scale/2} exactly, per element; the dequantized float adds
 * the rounding of one multiplication, so {@code |x - x'| <= scale/2 + ulp(x')/2}. Relative to the block,
 * that is {@code amax/254} (plus float rounding). Ties (x exactly halfway between two steps) go to the even q.
 *
 * <p>Length rule: every length passed here must be a multiple of {@value #BLOCK} (no padding), otherwise
 * {@link IllegalArgumentException}; tensors quantize along their last dimension, which must be a multiple of
 * 32 (attention head sizes 64, 96, 128 are). Non-finite inputs (NaN, infinity) cannot be represented and
 * are refused with an {@link IllegalArgumentException} naming the index.
 *
 * <p>Cost: quantization reads each value twice (max, then divide) with one double division a value;
 * dequantization is one multiplication a value. No allocation.
 */
public final class Q8_0 {
    /** Values per block. */
    public static final int BLOCK = 32;

    private Q8_0() {}

    /**
     * The scale for a block whose largest magnitude is {@code amax}: {@code amax/127}, raised in the subnormal
     * range so that {@code amax/scale <= 127.5}.
     *
     * @throws IllegalArgumentException if {@code amax} is negative, NaN or infinite
     */
    public static float scaleFor(float amax) {
        if (!(amax >= 0 && amax <= Float.MAX_VALUE)) {
            throw new IllegalArgumentException("amax: expected a finite value >= 0, got " + amax);
        }
        float scale = amax / 127f;
        // Only subnormal scales lose enough precision to need this; the loop runs at most a few times.
        while (amax != 0 && (double) amax / scale > 127.5) scale = Math.nextUp(scale);
        // Near Float.MAX_VALUE, amax/127 may round up so far that 127*scale overflows: step back (q stays 127).
        while (Float.isInfinite(127f * scale)) scale = Math.nextDown(scale);
        return scale;
    }

    /**
     * Quantizes {@code src[so, so+n)} into {@code q[qo, qo+n)} and {@code scales[sco, sco+n/32)}.
     *
     * @throws IllegalArgumentException if {@code n} is not a multiple of 32, a range is out of bounds, or a
     *                                  value is NaN or infinite
     */
    public static void quantize(float[] src, int so, byte[] q, int qo, float[] scales, int sco, int n) {
        checkLength(n);
        Checks.range("src", src.length, so, n);
        Checks.range("q", q.length, qo, n);
        Checks.range("scales", scales.length, sco, n / BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            int s0 = so + b * BLOCK;
            float amax = 0f;
            for (int i = 0; i < BLOCK; i++) amax = Math.max(amax, Math.abs(src[s0 + i])); // NaN propagates
            if (!(amax <= Float.MAX_VALUE)) {
                for (int i = 0; i < BLOCK; i++) {
                    if (!Float.isFinite(src[s0 + i])) {
                        throw new IllegalArgumentException("src[" + (s0 + i) + "]: expected a finite value, got "
                                + src[s0 + i] + " (Q8_0 cannot store NaN or infinity)");
                    }
                }
            }
            float scale = scaleFor(amax);
            scales[sco + b] = scale;
            int q0 = qo + b * BLOCK;
            if (scale == 0f) {
                for (int i = 0; i < BLOCK; i++) q[q0 + i] = 0;
                continue;
            }
            double ds = scale;
            for (int i = 0; i < BLOCK; i++) {
                // Double division is exact enough that rint sees the true side of every tie (see class doc).
                double r = Math.rint(src[s0 + i] / ds);
                q[q0 + i] = (byte) Math.max(-127, Math.min(127, (int) r));
            }
        }
    }

    /**
     * Dequantizes {@code q[qo, qo+n)} with {@code scales[sco, sco+n/32)} into {@code dst[doff, doff+n)}.
     *
     * @throws IllegalArgumentException if {@code n} is not a multiple of 32 or a range is out of bounds
     */
    public static void dequantize(byte[] q, int qo, float[] scales, int sco, float[] dst, int doff, int n) {
        checkLength(n);
        Checks.range("q", q.length, qo, n);
        Checks.range("scales", scales.length, sco, n / BLOCK);
        Checks.range("dst", dst.length, doff, n);
        for (int b = 0; b < n / BLOCK; b++) {
            float scale = scales[sco + b];
            int q0 = qo + b * BLOCK, d0 = doff + b * BLOCK;
            for (int i = 0; i < BLOCK; i++) dst[d0 + i] = q[q0 + i] * scale;
        }
    }

    private static void checkLength(int n) {
        if (n < 0 || n % BLOCK != 0) {
            throw new IllegalArgumentException("n: expected a non-negative multiple of " + BLOCK + " for Q8_0, got " + n);
        }
    }
}
