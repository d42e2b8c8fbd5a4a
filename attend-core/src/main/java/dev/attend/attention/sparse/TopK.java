package dev.attend.attention.sparse;

/**
 * Deterministic top-k selection shared by the sparse mechanisms: the {@code k} largest values, ordered by value
 * ({@link Float#compare}, so NaN ranks above every number and -0 below +0) with ties going to the earlier entry.
 * Expected O(n) (quickselect on a scratch copy), no allocation beyond the scratch array handed in or made once.
 */
final class TopK {
    private TopK() {}

    /**
     * Chooses the {@code k} largest of {@code values[0..count)}, whose ids {@code ids[0..count)} ascend, and writes
     * their ids into {@code out} in ascending order; returns how many were written ({@code min(k, count)}).
     */
    static int select(float[] values, int[] ids, int count, int k, int[] out) {
        return select(values, ids, count, k, out, new float[Math.max(1, count)]);
    }

    /** {@link #select(float[], int[], int, int, int[])} with a caller's scratch array of at least {@code count} floats. */
    static int select(float[] values, int[] ids, int count, int k, int[] out, float[] scratch) {
        if (k >= count) {
            System.arraycopy(ids, 0, out, 0, count);
            return count;
        }
        if (k <= 0) return 0;
        System.arraycopy(values, 0, scratch, 0, count);
        float threshold = kthLargest(scratch, count, k);
        int above = 0;
        for (int i = 0; i < count; i++) if (Float.compare(values[i], threshold) > 0) above++;
        int ties = k - above, n = 0;
        for (int i = 0; i < count; i++) {
            int c = Float.compare(values[i], threshold);
            if (c > 0 || (c == 0 && ties-- > 0)) out[n++] = ids[i];
        }
        return n;
    }

    /** The k-th largest of {@code a[0..n)} (1-based), reordering {@code a}: Hoare quickselect, middle pivot. */
    static float kthLargest(float[] a, int n, int k) {
        int lo = 0, hi = n - 1, target = k - 1;   // position in descending order
        while (lo < hi) {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (Float.compare(a[i], pivot) > 0) i++;
                while (Float.compare(a[j], pivot) < 0) j--;
                if (i <= j) {
                    float t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return a[target];
        }
        return a[target];
    }
}
