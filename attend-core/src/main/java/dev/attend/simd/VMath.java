package dev.attend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector math for softmax: a branch-free {@code exp} whose error is within 2 ulp on [-87.3, 88.3],
 * and which returns exactly 0 for inputs below -87.3 and for -infinity (a masked score must weigh nothing).
 */
public final class VMath {
    private static final VectorSpecies<Float> F = Gemm.F;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;   // 1.5 * 2^23: adding it rounds to an integer
    private static final float MIN_X = -87.33654f;  // below: the result is subnormal, we return 0
    private static final float MAX_X = 88.3f;      // keeps 2^n finite (n <= 127)

    private static final FloatVector NEG_LN2_HI = FloatVector.broadcast(F, -LN2_HI);
    private static final FloatVector NEG_LN2_LO = FloatVector.broadcast(F, -LN2_LO);
    private static final FloatVector P0 = FloatVector.broadcast(F, 1.9875691500E-4f);
    private static final FloatVector P1 = FloatVector.broadcast(F, 1.3981999507E-3f);
    private static final FloatVector P2 = FloatVector.broadcast(F, 8.3334519073E-3f);
    private static final FloatVector P3 = FloatVector.broadcast(F, 4.1665795894E-2f);
    private static final FloatVector P4 = FloatVector.broadcast(F, 1.6666665459E-1f);
    private static final FloatVector P5 = FloatVector.broadcast(F, 5.0000001201E-1f);

    private VMath() {}

    /** True when {@code a[off .. off+n)} holds no NaN and no infinity ({@code x * 0} is 0 exactly for finite x). */
    public static boolean allFinite(float[] a, int off, int n) {
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            if (FloatVector.fromArray(F, a, off + i).mul(0f).compare(VectorOperators.NE, 0f).anyTrue()) return false;
        }
        for (; i < n; i++) if (!Float.isFinite(a[off + i])) return false;
        return true;
    }

    /**
     * The lanes' sum, added in lane order. {@code reduceLanes(ADD)} may add in another order once C2 compiles it
     * (a tree) than before (a loop), so the same call could give other bits warm than cold; kernels that promise
     * bit-identical results use this. Once per row: its cost does not matter.
     */
    public static float sumLanes(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    /** e^x lane by lane (Cephes' expf polynomial after reducing x = n ln2 + r, |r| <= ln2/2). */
    public static FloatVector exp(FloatVector x) {
        VectorMask<Float> underflow = x.compare(VectorOperators.LT, MIN_X);
        FloatVector xc = x.max(MIN_X).min(MAX_X);
        FloatVector n = xc.fma(LOG2E, ROUND).sub(ROUND);
        FloatVector r = n.fma(NEG_LN2_HI, xc);
        r = n.fma(NEG_LN2_LO, r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, P2);
        p = p.fma(r, P3);
        p = p.fma(r, P4);
        p = p.fma(r, P5);
        p = p.fma(r.mul(r), r).add(1f);
        IntVector e = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(e.reinterpretAsFloats()).blend(0f, underflow);
    }

    /**
     * 2^x lane by lane, within 2 ulp on [-126, 127] and exactly 0 below -126 and at -infinity. Cheaper than
     * {@link #exp}: the reduction {@code x = n + f} is exact in base 2, so kernels that fold {@code log2(e)}
     * into their scale (as flash attention does) pay for a degree-6 polynomial and two bit operations.
     */
    public static FloatVector exp2(FloatVector x) {
        VectorMask<Float> underflow = x.compare(VectorOperators.LT, MIN_X2);
        FloatVector t = x.max(MIN_X2).min(MAX_X2).add(ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector f = x.max(MIN_X2).min(MAX_X2).sub(n);
        FloatVector p = f.fma(E6, E5);
        p = p.fma(f, E4);
        p = p.fma(f, E3);
        p = p.fma(f, E2);
        p = p.fma(f, E1);
        p = p.fma(f, E0);
        // t's low mantissa bits hold n: subtracting ROUND's bits and adding the bias gives 2^n's exponent.
        IntVector e = t.reinterpretAsInts().sub(EXP_BIAS).lanewise(VectorOperators.LSHL, 23);
        return p.mul(e.reinterpretAsFloats()).blend(0f, underflow);
    }

    private static final float MIN_X2 = -126f;
    private static final float MAX_X2 = 127f;
    private static final IntVector EXP_BIAS = IntVector.broadcast(
            jdk.incubator.vector.VectorSpecies.of(int.class, F.vectorShape()), Float.floatToRawIntBits(ROUND) - 127);
    // 2^f on [-0.5, 0.5], relative error 1.9e-9 (degree 6): least squares on Chebyshev nodes.
    private static final FloatVector E0 = FloatVector.broadcast(F, 1.0f);
    private static final FloatVector E1 = FloatVector.broadcast(F, 0.6931471824645996f);
    private static final FloatVector E2 = FloatVector.broadcast(F, 0.24022646248340607f);
    private static final FloatVector E3 = FloatVector.broadcast(F, 0.05550329014658928f);
    private static final FloatVector E4 = FloatVector.broadcast(F, 0.009618519805371761f);
    private static final FloatVector E5 = FloatVector.broadcast(F, 0.001339986571110785f);
    private static final FloatVector E6 = FloatVector.broadcast(F, 0.00015337580407503992f);

    /** Scalar twin of {@link #exp(FloatVector)}, for tails and per-row values. */
    public static float exp(float x) {
        return x < MIN_X ? 0f : (float) Math.exp(x);
    }
}
