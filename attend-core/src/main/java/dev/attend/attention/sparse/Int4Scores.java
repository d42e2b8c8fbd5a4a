package dev.attend.attention.sparse;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * SALE's low-bit score estimate: per-token symmetric int4 quantisation of mean-subtracted rows, and the
 * SIMD test "does any entry of this (query chunk x key block) tile estimate above its row's threshold".
 *
 * <p>Quantisation ({@link #quantise}): row {@code x} becomes {@code round((x - mean) * 7 / max|x - mean|)}, an
 * integer in [-7, 7] held in a {@code short}, with the step {@code max|x - mean| / 7}; a zero row has step 0
 * and a non-finite row step NaN (its estimates are NaN and never pass a threshold).
 *
 * <p>The tile test ({@link #anyAbove}) computes the integer dot products {@code Q4_i . K4_j} exactly in int16
 * lanes ({@code |dot| <= 49 * D}, so D at most {@link #MAX_HEAD_DIM}), converts them to float and tests
 * {@code a_i * dk_j * dot + bias_j > t_i}; the caller folds steps, scale, mean corrections and the threshold
 * into {@code a}, {@code dk}, {@code bias} and {@code t}. Queries are the vector lanes: a chunk of
 * {@link #CHUNK} queries is {@code 4} short vectors, keys are broadcast two at a time (8 accumulators, 4 query
 * loads, 2 broadcasts: what AVX2's 16 registers hold); each key's column of dots is then widened to float and
 * tested against its thresholds. It stops at the first pair of keys with an entry above.
 * Cost: {@code 2 * CHUNK * nk * D} integer operations at most.
 */
final class Int4Scores {
    static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    /** Short lanes per vector: 16 with AVX2, 32 with AVX-512. */
    static final int SL = S.length();
    /** Queries per tile test: 4 short vectors (64 with AVX2). */
    static final int CHUNK = 4 * SL;
    /** Float lanes per vector, and the short species of that many lanes (half a short vector). */
    static final int FL = FS.length();
    static final VectorSpecies<Short> HS = VectorSpecies.of(short.class, VectorShape.forBitSize(FL * Short.SIZE));
    /** Shorts of the scratch {@link #anyAbove} needs: two keys' columns of dots. */
    static final int SCRATCH = 2 * CHUNK;
    /** Largest head dimension whose int4 dot products cannot overflow int16: 49 * D < 32768. */
    static final int MAX_HEAD_DIM = 32767 / 49;

    private Int4Scores() {}

    /**
     * Quantises {@code rows} rows of length {@code d} from {@code x} (row r at {@code x[r * d]}) after subtracting
     * {@code mean}: values into {@code q[r * d ..]}, steps into {@code step[r]}.
     */
    static void quantise(float[] x, int rows, int d, float[] mean, short[] q, float[] step) {
        for (int r = 0; r < rows; r++) {
            int o = r * d;
            float max = 0f;
            for (int c = 0; c < d; c++) max = Math.max(max, Math.abs(x[o + c] - mean[c]));
            // Math.max propagates NaN and an infinity stays infinite: a non-finite row gets a NaN step.
            if (!Float.isFinite(max)) {
                step[r] = Float.NaN;
                java.util.Arrays.fill(q, o, o + d, (short) 0);
                continue;
            }
            step[r] = max / 7f;
            float inv = max == 0f ? 0f : 7f / max;
            for (int c = 0; c < d; c++) {
                float v = Math.round((x[o + c] - mean[c]) * inv);
                q[o + c] = (short) Math.max(-7f, Math.min(7f, v));
            }
        }
    }

    /** The mean of the finite rows among the first {@code rows} of {@code x} (zero when there is none). */
    static float[] finiteMean(float[] x, int rows, int d) {
        double[] sum = new double[d];
        int n = 0;
        for (int r = 0; r < rows; r++) {
            boolean finite = true;
            for (int c = 0; c < d && finite; c++) finite = Float.isFinite(x[r * d + c]);
            if (!finite) continue;
            for (int c = 0; c < d; c++) sum[c] += x[r * d + c];
            n++;
        }
        float[] mean = new float[d];
        for (int c = 0; c < d && n > 0; c++) mean[c] = (float) (sum[c] / n);
        return mean;
    }

    /**
     * True when some entry of the tile of {@link #CHUNK} queries by keys {@code j0 .. j0+nk-1} has
     * {@code a[i] * dk[j] * dot(i, j) + bias[j] > t[i]}. {@code qT} holds the chunk transposed: query lane i of
     * dimension x at {@code qT[x * CHUNK + i]}; {@code k} holds key j's row at {@code k[j * d]}; {@code a} and
     * {@code t} are indexed by lane (padded lanes: a = 0, t = +inf). {@code scratch} holds {@link #SCRATCH} shorts.
     */
    static boolean anyAbove(short[] qT, short[] k, int d, int j0, int nk, float[] a, float[] t, float[] dk, float[] bias, short[] scratch) {
        int j = j0, end = j0 + nk;
        for (; j + 1 < end; j += 2) {
            ShortVector c00 = ShortVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
            ShortVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            int k0 = j * d, k1 = k0 + d;
            for (int x = 0, qo = 0; x < d; x++, qo += CHUNK) {
                ShortVector q0 = ShortVector.fromArray(S, qT, qo), q1 = ShortVector.fromArray(S, qT, qo + SL);
                ShortVector q2 = ShortVector.fromArray(S, qT, qo + 2 * SL), q3 = ShortVector.fromArray(S, qT, qo + 3 * SL);
                short b0 = k[k0 + x], b1 = k[k1 + x];
                c00 = c00.add(q0.mul(b0));
                c01 = c01.add(q1.mul(b0));
                c02 = c02.add(q2.mul(b0));
                c03 = c03.add(q3.mul(b0));
                c10 = c10.add(q0.mul(b1));
                c11 = c11.add(q1.mul(b1));
                c12 = c12.add(q2.mul(b1));
                c13 = c13.add(q3.mul(b1));
            }
            store(c00, c01, c02, c03, scratch, 0);
            store(c10, c11, c12, c13, scratch, CHUNK);
            if (above(scratch, 0, a, t, dk[j], bias[j]) || above(scratch, CHUNK, a, t, dk[j + 1], bias[j + 1])) return true;
        }
        if (j < end) {
            ShortVector c0 = ShortVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
            int k0 = j * d;
            for (int x = 0, qo = 0; x < d; x++, qo += CHUNK) {
                short b0 = k[k0 + x];
                c0 = c0.add(ShortVector.fromArray(S, qT, qo).mul(b0));
                c1 = c1.add(ShortVector.fromArray(S, qT, qo + SL).mul(b0));
                c2 = c2.add(ShortVector.fromArray(S, qT, qo + 2 * SL).mul(b0));
                c3 = c3.add(ShortVector.fromArray(S, qT, qo + 3 * SL).mul(b0));
            }
            store(c0, c1, c2, c3, scratch, 0);
            return above(scratch, 0, a, t, dk[j], bias[j]);
        }
        return false;
    }

    private static void store(ShortVector c0, ShortVector c1, ShortVector c2, ShortVector c3, short[] scratch, int off) {
        c0.intoArray(scratch, off);
        c1.intoArray(scratch, off + SL);
        c2.intoArray(scratch, off + 2 * SL);
        c3.intoArray(scratch, off + 3 * SL);
    }

    /**
     * One key's column of the tile (the {@link #CHUNK} integer dots at {@code scratch[off ..]}) against the chunk's thresholds.
     * The dots go through memory and come back as short vectors of the float vector's lane count: that widening
     * ({@code vpmovsxwd} + {@code vcvtdq2ps}) is compiled to two instructions, while converting the upper half of a full short
     * vector in registers ({@code convertShape(S2F, FS, 1)}) is not intrinsified on JDK 25 and cost ten times the dot
     * products (5 against 53 GMAC/s on one AVX2 core, SaleMohPerf estimator).
     */
    private static boolean above(short[] scratch, int off, float[] a, float[] t, float dk, float bias) {
        VectorMask<Float> any = FS.maskAll(false);
        for (int i = 0; i < CHUNK; i += FL) {
            FloatVector dots = (FloatVector) ShortVector.fromArray(HS, scratch, off + i).convertShape(VectorOperators.S2F, FS, 0);
            FloatVector est = dots.mul(FloatVector.fromArray(FS, a, i).mul(dk)).add(bias);
            any = any.or(est.compare(VectorOperators.GT, FloatVector.fromArray(FS, t, i)));
        }
        return any.anyTrue();
    }

    /** The same test in scalar arithmetic over an explicit set of lanes (for tiles partly hidden by the mask). */
    static float estimate(short[] qT, int lane, short[] k, int d, int j, float a, float dk, float bias) {
        int dot = 0;
        for (int x = 0; x < d; x++) dot += qT[x * CHUNK + lane] * k[j * d + x];
        return dot * (a * dk) + bias;   // the vector path's order of operations
    }
}
