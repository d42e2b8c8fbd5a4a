package dev.attend.attention.mask;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * FlexAttention's {@code score_mod}: a function applied to each already-scaled score
 * {@code s = scale * q.k} of query {@code qi} and key {@code ki} in batch b, head h, before the
 * softmax. {@link #derivative} is {@code d apply / d score}, which backward passes multiply into
 * {@code dS}. Kernels test {@link #isIdentity()} to skip the call entirely.
 *
 * <p>Kernels apply a mod a tile of scores at a time ({@link #applyTile}), in whatever layout they keep scores. The library's mods (ALiBi, soft-capping, T5 bias) do that in Vector API code inside the
 * kernel's loop; a mod of one's own needs only {@code apply} and {@code derivative}, which the default tile calls
 * element by element.
 *
 * <p>Implementations must be pure (same arguments, same result) and thread-safe. A kernel calls
 * {@link #validate} once at its public boundary, so that {@code apply} can trust its indices.
 */
public interface ScoreMod {

    float apply(float score, int b, int h, int qi, int ki);

    float derivative(float score, int b, int h, int qi, int ki);

    /**
     * The mod of a tile of scores in place: element {@code (i, j)}, {@code i < rows, j < cols}, is
     * {@code s[off + i * rowStride + j * colStride]}, the score of query {@code q0 + i} and key {@code k0 + j}. The
     * scores are held multiplied by {@code unit} (a kernel that works in base 2 passes log2(e)), and so are the
     * results. With {@code deriv} non-null, {@code deriv} at the same index receives {@link #derivative} at the
     * element's score (a pure number, whatever the unit). Kernels call this once per tile; it must equal the
     * element-wise definition to within float rounding, which is what this default does.
     */
    default void applyTile(float[] s, float[] deriv, int off, int rows, int cols, int rowStride, int colStride,
                           int b, int h, int q0, int k0, float unit) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                int at = off + i * rowStride + j * colStride;
                float z = s[at] / unit;
                if (deriv != null) deriv[at] = derivative(z, b, h, q0 + i, k0 + j);
                s[at] = apply(z, b, h, q0 + i, k0 + j) * unit;
            }
        }
    }

    /** True when apply is the identity (derivative 1): kernels skip the call. */
    default boolean isIdentity() {
        return false;
    }

    /** Checks that this mod can serve a problem of these dimensions; throws IllegalArgumentException otherwise. */
    default void validate(int batch, int heads, int lq, int lk) {
    }

    /** A short name for reports, e.g. {@code "alibi:8"}. */
    default String describe() {
        return getClass().getSimpleName();
    }

    /** {@code then(this(score))}; derivative by the chain rule. */
    default ScoreMod andThen(ScoreMod then) {
        if (then == null) {
            throw new IllegalArgumentException("andThen: expected a ScoreMod, got null");
        }
        ScoreMod first = this;
        if (then.isIdentity()) {
            return first;
        }
        if (first.isIdentity()) {
            return then;
        }
        return new ScoreMod() {
            @Override
            public float apply(float s, int b, int h, int qi, int ki) {
                return then.apply(first.apply(s, b, h, qi, ki), b, h, qi, ki);
            }

            @Override
            public float derivative(float s, int b, int h, int qi, int ki) {
                return then.derivative(first.apply(s, b, h, qi, ki), b, h, qi, ki) * first.derivative(s, b, h, qi, ki);
            }

            @Override
            public void applyTile(float[] s, float[] deriv, int off, int rows, int cols, int rowStride, int colStride,
                                  int b, int h, int q0, int k0, float unit) {
                if (deriv != null) { // the chain rule needs both factors: element by element
                    ScoreMod.super.applyTile(s, deriv, off, rows, cols, rowStride, colStride, b, h, q0, k0, unit);
                    return;
                }
                first.applyTile(s, null, off, rows, cols, rowStride, colStride, b, h, q0, k0, unit);
                then.applyTile(s, null, off, rows, cols, rowStride, colStride, b, h, q0, k0, unit);
            }

            @Override
            public void validate(int batch, int heads, int lq, int lk) {
                first.validate(batch, heads, lq, lk);
                then.validate(batch, heads, lq, lk);
            }

            @Override
            public String describe() {
                return first.describe() + "+" + then.describe();
            }

            @Override
            public String toString() {
                return describe();
            }
        };
    }

    /** The identity: kernels that see {@link #isIdentity()} never call it. */
    ScoreMod NONE = new ScoreMod() {
        @Override
        public float apply(float score, int b, int h, int qi, int ki) {
            return score;
        }

        @Override
        public float derivative(float score, int b, int h, int qi, int ki) {
            return 1f;
        }

        @Override
        public boolean isIdentity() {
            return true;
        }

        @Override
        public String describe() {
            return "none";
        }

        @Override
        public String toString() {
            return "none";
        }
    };

    /**
     * ALiBi (Press et al.): adds {@code slope[h] * (ki - qi)}, a linear penalty on distance for
     * causal use. Slopes are {@code 2^(-8(h+1)/H)} for power-of-two H; otherwise, as in the reference
     * implementation, the slopes of the nearest lower power of two {@code n} followed by every other
     * slope of {@code 2n}. Derivative 1. Requires exactly {@code heads} heads.
     */
    static ScoreMod alibi(int heads) {
        float[] slopes = alibiSlopes(heads);
        return new ScoreMod() {
            @Override
            public float apply(float score, int b, int h, int qi, int ki) {
                return score + slopes[h] * (ki - qi);
            }

            @Override
            public float derivative(float score, int b, int h, int qi, int ki) {
                return 1f;
            }

            @Override
            public void applyTile(float[] s, float[] deriv, int off, int rows, int cols, int rowStride, int colStride,
                                  int b, int h, int q0, int k0, float unit) {
                // Element (i, j) gains c (k0 - q0 + j - i): linear along each line of the tile.
                float c = unit * slopes[h];
                Tiles.addLinear(s, off, rows, cols, rowStride, colStride, c * (k0 - q0), -c, c);
                if (deriv != null) Tiles.fill(deriv, off, rows, cols, rowStride, colStride, 1f);
            }

            @Override
            public void validate(int batch, int h, int lq, int lk) {
                if (h != heads) {
                    throw new IllegalArgumentException("alibi: built for " + heads + " heads, expected heads == " + heads
                            + ", got " + h);
                }
            }

            @Override
            public String describe() {
                return "alibi:" + heads;
            }

            @Override
            public String toString() {
                return describe();
            }
        };
    }

    /** The ALiBi slope of each head, see {@link #alibi(int)}. */
    static float[] alibiSlopes(int heads) {
        if (heads <= 0) {
            throw new IllegalArgumentException("alibi heads must be positive, got " + heads);
        }
        int n = Integer.highestOneBit(heads);
        double[] base = powerOfTwoSlopes(n);
        float[] out = new float[heads];
        for (int i = 0; i < n; i++) {
            out[i] = (float) base[i];
        }
        if (n < heads) {
            double[] extra = powerOfTwoSlopes(2 * n);
            for (int i = n; i < heads; i++) {
                out[i] = (float) extra[2 * (i - n)];
            }
        }
        return out;
    }

    private static double[] powerOfTwoSlopes(int n) {
        double start = Math.pow(2, -8.0 / n);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = Math.pow(start, i + 1);
        }
        return s;
    }

    /**
     * Tanh soft-capping (Gemma 2, Grok): {@code cap * tanh(score / cap)}, bounded in (-cap, cap).
     * Derivative {@code 1 - tanh^2(score / cap)}. cap must be positive and finite.
     */
    static ScoreMod softCap(float cap) {
        if (!(cap > 0) || Float.isInfinite(cap)) {
            throw new IllegalArgumentException("softCap cap must be positive and finite, got " + cap);
        }
        return new ScoreMod() {
            @Override
            public float apply(float score, int b, int h, int qi, int ki) {
                return (float) (cap * Math.tanh(score / cap));
            }

            @Override
            public float derivative(float score, int b, int h, int qi, int ki) {
                double t = Math.tanh(score / cap);
                return (float) (1 - t * t);
            }

            @Override
            public void applyTile(float[] s, float[] deriv, int off, int rows, int cols, int rowStride, int colStride,
                                  int b, int h, int q0, int k0, float unit) {
                Tiles.softCap(s, deriv, off, rows, cols, rowStride, colStride, unit * cap);
            }

            @Override
            public String describe() {
                return "softcap:" + cap;
            }

            @Override
            public String toString() {
                return describe();
            }
        };
    }

    /**
     * T5 bucketed relative-position bias: adds {@code table[h][bucket(ki - qi)]}. Buckets follow T5's
     * {@code _relative_position_bucket}: with {@code bidirectional}, half the buckets are for keys
     * after the query; within a side, distances below {@code buckets/2} (of that side) get one bucket
     * each and larger ones are log-spaced up to {@code maxDistance}, beyond which they share the last
     * bucket. Unidirectional mode buckets only {@code max(0, qi - ki)}. Table shape
     * {@code [heads][buckets]} (copied); derivative 1; O(1) per call (buckets precomputed for
     * distances up to maxDistance).
     */
    static ScoreMod relativeBucketBias(float[][] table, boolean bidirectional, int maxDistance) {
        if (table == null || table.length == 0 || table[0] == null) {
            throw new IllegalArgumentException("relativeBucketBias: table must be float[heads][buckets] with heads >= 1, got "
                    + (table == null ? "null" : table.length + " heads"));
        }
        int heads = table.length, buckets = table[0].length;
        if (buckets < (bidirectional ? 4 : 2)) {
            throw new IllegalArgumentException("relativeBucketBias: buckets must be >= " + (bidirectional ? 4 : 2)
                    + ", got " + buckets);
        }
        int maxExact = (bidirectional ? buckets / 2 : buckets) / 2;
        if (maxDistance <= maxExact) {
            // T5's log-spaced buckets need maxDistance beyond the exact range; below it the formula degenerates
            throw new IllegalArgumentException("relativeBucketBias: maxDistance must be > " + maxExact
                    + " (half the buckets of one side), got " + maxDistance);
        }
        float[][] t = new float[heads][];
        for (int h = 0; h < heads; h++) {
            if (table[h] == null || table[h].length != buckets) {
                throw new IllegalArgumentException("relativeBucketBias: table must be rectangular, row 0 has " + buckets
                        + " buckets, row " + h + " has " + (table[h] == null ? "null" : table[h].length));
            }
            t[h] = table[h].clone();
        }
        // bucket of relative position rel = ki - qi, for rel in [-maxDistance, maxDistance]; saturates beyond
        int[] lut = new int[2 * maxDistance + 1];
        for (int rel = -maxDistance; rel <= maxDistance; rel++) {
            lut[rel + maxDistance] = t5Bucket(rel, bidirectional, buckets, maxDistance);
        }
        return new ScoreMod() {
            @Override
            public float apply(float score, int b, int h, int qi, int ki) {
                int rel = Math.max(-maxDistance, Math.min(maxDistance, ki - qi));
                return score + t[h][lut[rel + maxDistance]];
            }

            @Override
            public void applyTile(float[] s, float[] deriv, int off, int rows, int cols, int rowStride, int colStride,
                                  int b, int h, int q0, int k0, float unit) {
                // A table lookup per element (no vector gather pays for itself here), without a call per element.
                float[] row = t[h];
                for (int i = 0; i < rows; i++) {
                    for (int j = 0, at = off + i * rowStride, rel = k0 - q0 - i; j < cols; j++, at += colStride, rel++) {
                        s[at] += unit * row[lut[Math.max(-maxDistance, Math.min(maxDistance, rel)) + maxDistance]];
                    }
                }
                if (deriv != null) Tiles.fill(deriv, off, rows, cols, rowStride, colStride, 1f);
            }

            @Override
            public float derivative(float score, int b, int h, int qi, int ki) {
                return 1f;
            }

            @Override
            public void validate(int batch, int hs, int lq, int lk) {
                if (hs != heads) {
                    throw new IllegalArgumentException("relativeBucketBias: table has " + heads + " heads, expected heads == "
                            + heads + ", got " + hs);
                }
            }

            @Override
            public String describe() {
                return "t5-bias:" + heads + "x" + buckets + (bidirectional ? ",bi" : ",causal") + ",max=" + maxDistance;
            }

            @Override
            public String toString() {
                return describe();
            }
        };
    }

    /** T5's bucket of a relative position {@code rel = key - query}. */
    static int t5Bucket(int rel, boolean bidirectional, int buckets, int maxDistance) {
        int bucket = 0;
        int n = buckets;
        int r;
        if (bidirectional) {
            n /= 2;
            if (rel > 0) {
                bucket += n;
            }
            r = Math.abs(rel);
        } else {
            r = Math.max(0, -rel);
        }
        int maxExact = n / 2;
        if (r < maxExact) {
            return bucket + r;
        }
        int large = maxExact + (int) (Math.log((double) r / maxExact) / Math.log((double) maxDistance / maxExact)
                * (n - maxExact));
        return bucket + Math.min(large, n - 1);
    }

    /** The vector loops of the library's mods: along whichever of a tile's two strides is 1. */
    final class Tiles {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
        private static final int LANES = F.length();
        private static final FloatVector IOTA;

        static {
            float[] iota = new float[LANES];
            for (int i = 0; i < LANES; i++) iota[i] = i;
            IOTA = FloatVector.fromArray(F, iota, 0);
        }

        private Tiles() {}

        /** {@code s(i, j) += start + i * di + j * dj}. */
        static void addLinear(float[] s, int off, int rows, int cols, int rowStride, int colStride, float start, float di, float dj) {
            if (colStride == 1) {
                for (int i = 0; i < rows; i++) addLine(s, off + i * rowStride, cols, start + i * di, dj);
            } else if (rowStride == 1) {
                for (int j = 0; j < cols; j++) addLine(s, off + j * colStride, rows, start + j * dj, di);
            } else {
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) s[off + i * rowStride + j * colStride] += start + i * di + j * dj;
                }
            }
        }

        /** {@code s[off + x] += start + x * step} for {@code x < n}. */
        private static void addLine(float[] s, int off, int n, float start, float step) {
            FloatVector steps = IOTA.mul(step);
            int x = 0;
            for (; x <= n - LANES; x += LANES) {
                FloatVector.fromArray(F, s, off + x).add(steps.add(start + x * step)).intoArray(s, off + x);
            }
            for (; x < n; x++) s[off + x] += start + x * step;
        }

        static void fill(float[] a, int off, int rows, int cols, int rowStride, int colStride, float value) {
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) a[off + i * rowStride + j * colStride] = value;
        }

        /** {@code s = cap * tanh(s / cap)} in place, and {@code 1 - tanh^2} into deriv when it is non-null. */
        static void softCap(float[] s, float[] deriv, int off, int rows, int cols, int rowStride, int colStride, float cap) {
            if (colStride == 1) {
                for (int i = 0; i < rows; i++) softCapLine(s, deriv, off + i * rowStride, cols, cap);
            } else if (rowStride == 1) {
                for (int j = 0; j < cols; j++) softCapLine(s, deriv, off + j * colStride, rows, cap);
            } else {
                for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) softCapLine(s, deriv, off + i * rowStride + j * colStride, 1, cap);
            }
        }

        private static void softCapLine(float[] s, float[] deriv, int off, int n, float cap) {
            float inv = 1f / cap;
            FloatVector one = FloatVector.broadcast(F, 1f);
            int x = 0;
            for (; x <= n - LANES; x += LANES) {
                FloatVector t = FloatVector.fromArray(F, s, off + x).mul(inv).lanewise(VectorOperators.TANH);
                t.mul(cap).intoArray(s, off + x);
                if (deriv != null) t.neg().fma(t, one).intoArray(deriv, off + x);
            }
            for (; x < n; x++) {
                double t = Math.tanh(s[off + x] * inv);
                s[off + x] = (float) (cap * t);
                if (deriv != null) deriv[off + x] = (float) (1 - t * t);
            }
        }
    }
}
