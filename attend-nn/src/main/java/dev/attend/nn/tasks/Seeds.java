package dev.attend.nn.tasks;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** The generator of one example: SplitMix64's finaliser over (seed, split, index), so nearby seeds decorrelate. */
final class Seeds {
    private Seeds() {}

    static SplittableRandom example(long seed, Split split, long index) {
        if (index < 0) throw new IllegalArgumentException("index: expected >= 0, got " + index);
        return new SplittableRandom(mix(mix(seed ^ split.salt) + index));
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** {@code k} distinct values of {@code [lo, hi)}, uniformly (partial Fisher-Yates over a virtual range). */
    static int[] distinct(SplittableRandom r, int k, int lo, int hi) {
        Map<Integer, Integer> swapped = new HashMap<>();
        int n = hi - lo;
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            int j = i + r.nextInt(n - i);
            int vj = swapped.getOrDefault(j, j), vi = swapped.getOrDefault(i, i);
            swapped.put(j, vi);
            out[i] = lo + vj;
        }
        return out;
    }

    /** Shuffles {@code a} in place (Fisher-Yates). */
    static void shuffle(SplittableRandom r, int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
