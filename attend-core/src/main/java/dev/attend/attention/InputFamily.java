package dev.attend.attention;

import dev.attend.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * How a workload's q, k and v are drawn: the input families on which approximate mechanisms are judged
 * (their error depends on the data, not only on the shape). All are seeded: same seed, same tensors.
 * <ul>
 *   <li>{@link #GAUSSIAN}: iid standard normal q, k, v: diffuse attention, the easy case for sampling.</li>
 *   <li>{@link #CLUSTERED}: keys (and queries) near 16 random centres (Gaussian mixture, spread 0.3): attention
 *   concentrates on a query's cluster, what hashing and clustering mechanisms are built for.</li>
 *   <li>{@link #NEEDLE}: Gaussian, but for 8 chosen queries one far key is a scaled copy of the query, so those
 *   rows put almost all their weight on a single key a sampler may miss.</li>
 *   <li>{@link #LOCAL}: q and k follow a slowly varying AR(1) path along the sequence, so scores decay with
 *   distance: what sliding windows and local attention assume.</li>
 * </ul>
 */
public enum InputFamily {
    GAUSSIAN, CLUSTERED, NEEDLE, LOCAL;

    /** Lower-case name, as in reports. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** q, k, v for {@code shape} from {@code seed}: three tensors {@code [B, H, L, D]}. */
    public Tensor[] draw(Workload.Shape s, long seed) {
        Tensor q = Tensor.randn(seed, s.batch(), s.qHeads(), s.qLen(), s.headDim());
        Tensor k = Tensor.randn(seed + 1, s.batch(), s.kvHeads(), s.kLen(), s.headDim());
        Tensor v = Tensor.randn(seed + 2, s.batch(), s.kvHeads(), s.kLen(), s.headDim());
        SplittableRandom r = new SplittableRandom(seed + 3);
        int d = s.headDim();
        switch (this) {
            case GAUSSIAN -> { }
            case CLUSTERED -> {
                float[][] centres = new float[16][d];
                for (float[] c : centres) for (int x = 0; x < d; x++) c[x] = (float) (r.nextGaussian() * 1.5);
                mix(q, centres, r);
                mix(k, centres, r);
            }
            case NEEDLE -> {
                int group = s.qHeads() / s.kvHeads();
                for (int b = 0; b < s.batch(); b++) {
                    for (int h = 0; h < s.qHeads(); h++) {
                        for (int n = 0; n < 8; n++) {
                            int i = r.nextInt(s.qLen()), j = r.nextInt(s.kLen());
                            for (int x = 0; x < d; x++) k.set(q.get(b, h, i, x) * 4f, b, h / group, j, x);
                        }
                    }
                }
            }
            case LOCAL -> {
                walk(q, r);
                walk(k, r);
            }
        }
        return new Tensor[] {q, k, v};
    }

    /** Each row becomes a random centre plus 0.3 of its own noise. */
    private static void mix(Tensor t, float[][] centres, SplittableRandom r) {
        float[] row = new float[(int) t.dim(3)];
        for (long i = 0; i < t.rows(); i++) {
            t.readRow(i, row, 0);
            float[] c = centres[r.nextInt(centres.length)];
            for (int x = 0; x < row.length; x++) row[x] = c[x] + 0.3f * row[x];
            t.writeRow(i, row, 0);
        }
    }

    /** Along each (b, h), row t = 0.98 row t-1 + 0.2 noise (unit variance in the limit): neighbours are similar. */
    private static void walk(Tensor t, SplittableRandom r) {
        float[] row = new float[(int) t.dim(3)], prev = new float[row.length];
        long len = t.dim(2);
        for (long i = 0; i < t.rows(); i++) {
            t.readRow(i, row, 0);
            if (i % len != 0) for (int x = 0; x < row.length; x++) row[x] = 0.98f * prev[x] + 0.2f * row[x];
            System.arraycopy(row, 0, prev, 0, row.length);
            t.writeRow(i, row, 0);
        }
    }
}
