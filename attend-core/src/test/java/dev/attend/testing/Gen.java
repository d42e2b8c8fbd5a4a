package dev.attend.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A generator of random values for a {@link Property} parameter, and how to shrink one.
 *
 * <p>{@link #generate} draws a value from a seeded {@link Random}, so a seed reproduces a case exactly.
 * {@link #shrink} lists simpler candidates for a value, most aggressive first; the harness takes the first
 * candidate that still fails and repeats until none does. Numbers shrink towards the value of their range
 * nearest zero, which is the range's minimum whenever the range holds no negative value.
 */
public interface Gen<T> {
    /** A random value; uses only {@code r}, so the same seed gives the same value. */
    T generate(Random r);

    /** Simpler values than {@code v} to try when {@code v} fails, most aggressive first; empty when none. */
    List<T> shrink(T v);

    /** How the value reads in a failure message. */
    default String show(T v) {
        return String.valueOf(v);
    }

    /** Uniform ints in {@code [min, max]}, with {@code min} and {@code max} themselves drawn 1 time in 16 each. */
    static Gen<Integer> ints(int min, int max) {
        if (min > max) throw new IllegalArgumentException("ints: expected min <= max, got [" + min + ", " + max + "]");
        Gen<Long> longs = longs(min, max);
        return new Gen<>() {
            @Override public Integer generate(Random r) { return (int) (long) longs.generate(r); }
            @Override public List<Integer> shrink(Integer v) { return longs.shrink((long) v).stream().map(Long::intValue).toList(); }
        };
    }

    /** Uniform longs in {@code [min, max]} (the whole long range works), the two ends 1 time in 16 each. */
    static Gen<Long> longs(long min, long max) {
        if (min > max) throw new IllegalArgumentException("longs: expected min <= max, got [" + min + ", " + max + "]");
        long origin = min > 0 ? min : Math.min(max, 0);
        return new Gen<>() {
            @Override
            public Long generate(Random r) {
                int edge = r.nextInt(16);
                if (edge == 0) return min;
                if (edge == 1) return max;
                if (min == Long.MIN_VALUE && max == Long.MAX_VALUE) return r.nextLong();
                if (max < Long.MAX_VALUE) return r.nextLong(min, max + 1);
                return r.nextLong(min - 1, max) + 1;
            }

            @Override
            public List<Long> shrink(Long v) {
                // origin, then halfway back to v, a quarter of the way, ... and v -+ 1: a binary search towards
                // the smallest failing value when failure is monotone in v. v - origin never overflows: both
                // lie on the same side of zero, or origin is zero.
                List<Long> out = new ArrayList<>();
                long d = v - origin;
                while (d != 0) {
                    out.add(v - d);
                    d /= 2;
                }
                return out;
            }
        };
    }

    /**
     * Uniform doubles in {@code [min, max]} (both finite), with {@code min}, {@code max} and 0 (when in range)
     * drawn 1 time in 16 each. Shrinks towards the value of the range nearest zero, to integers and to fewer
     * significant bits.
     */
    static Gen<Double> doubles(double min, double max) {
        if (!(min <= max) || !Double.isFinite(min) || !Double.isFinite(max)) {
            throw new IllegalArgumentException("doubles: expected finite min <= max, got [" + min + ", " + max + "]");
        }
        double origin = min > 0 ? min : Math.min(max, 0);
        return new Gen<>() {
            @Override
            public Double generate(Random r) {
                int edge = r.nextInt(16);
                if (edge == 0) return min;
                if (edge == 1) return max;
                if (edge == 2) return origin;
                double u = min + r.nextDouble() * (max - min);
                if (!Double.isFinite(u)) u = 2 * (min / 2 + r.nextDouble() * (max / 2 - min / 2)); // range wider than a double
                return Math.min(max, Math.max(min, u));
            }

            @Override
            public List<Double> shrink(Double v) {
                List<Double> out = new ArrayList<>();
                if (v == origin) return out;
                out.add(origin);
                double rounded = Math.rint(v);
                if (rounded != v && rounded >= min && rounded <= max) out.add(rounded);
                for (double t : fewerBits(v)) if (t >= min && t <= max && !out.contains(t)) out.add(t);
                double mid = origin + (v - origin) / 2;
                if (mid != v && !out.contains(mid)) out.add(mid);
                return out;
            }
        };
    }

    /**
     * Any float: 1 time in 4 a random bit pattern (NaNs, infinities and subnormals included), 1 in 4 uniform in
     * {@code [-bound, bound]}, 1 in 4 with a random sign and a random binary exponent in {@code [-150, 128)}
     * (every binade equally likely), else one of the edge cases of the float format. Shrinks towards 0, to
     * integers and to fewer significant bits.
     */
    static Gen<Float> floats(float bound) {
        float[] edges = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
            1f, -1f, bound, -bound, Math.nextUp(bound), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        return new Gen<>() {
            @Override
            public Float generate(Random r) {
                return switch (r.nextInt(4)) {
                    case 0 -> Float.intBitsToFloat(r.nextInt());
                    case 1 -> (float) ((r.nextDouble() * 2 - 1) * bound);
                    case 2 -> (float) ((r.nextBoolean() ? -1 : 1) * (1 + r.nextDouble()) * Math.scalb(1.0, r.nextInt(-150, 128)));
                    default -> edges[r.nextInt(edges.length)];
                };
            }

            @Override
            public List<Float> shrink(Float v) {
                List<Float> out = new ArrayList<>();
                if (v == 0f || Float.isNaN(v)) return out;
                out.add(0f);
                if (v < 0) out.add(-v);
                float rounded = (float) Math.rint(v);
                if (rounded != v && Float.isFinite(v)) out.add(rounded);
                if (Float.isFinite(v)) {
                    for (double t : fewerBits(v)) {
                        float f = (float) t;
                        if (f != v && !out.contains(f)) out.add(f);
                    }
                }
                return out;
            }

            @Override
            public String show(Float v) {
                return v + " (0x" + Integer.toHexString(Float.floatToRawIntBits(v)) + ")";
            }
        };
    }

    /** {@code v} truncated towards zero to 1, 2, 4, ... 32 significant bits (those that differ from v). */
    private static List<Double> fewerBits(double v) {
        List<Double> out = new ArrayList<>();
        if (v == 0 || !Double.isFinite(v)) return out;
        long bits = Double.doubleToRawLongBits(v);
        for (int keep = 1; keep <= 32; keep *= 2) {
            long mask = -1L << (52 - (keep - 1));
            double t = Double.longBitsToDouble(bits & mask);
            if (t != v && !out.contains(t)) out.add(t);
        }
        return out;
    }
}
