package dev.attend.attention.sparse;

import dev.attend.simd.Gemm;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The centroids of {@link RoutingAttention}, which a training loop keeps between steps: {@code clusters} centroids of
 * dimension {@code headDim} for each of {@code heads} routed heads. {@link #seeded} draws them (Gaussian directions,
 * unit length); {@link #route} assigns queries and keys to them; {@link #update} moves them by the online k-means
 * (EMA) rule of the paper. Centroids are compared by direction only (cosine with unit-normalised Q and K), so their
 * length never changes an assignment. Not thread-safe for concurrent updates.
 *
 * <p><b>Assignment.</b> Without a causal mask (the paper's balanced assignment): each centroid takes its top
 * {@code ceil(Lq / k)} queries and its top {@code ceil(Lk / k)} keys by cosine, separately (as the lucidrains
 * implementation routes queries and keys); ties go to the earlier token (a rule that does not depend on the sort).
 * A token taken by several centroids is in each of those clusters (its outputs are LSE-merged by the mechanism); a
 * query taken by none attends to the keys of its most similar centroid (ties: the lower centroid) as an extra query
 * of that cluster, so that no row is left without an output; the cluster itself still has exactly w members.
 *
 * <p>With a causal mask this top-w choice is not causal: whether an early token makes a centroid's top w depends
 * on later tokens, so a later token can change an earlier output (the test suite shows it). Causal routing therefore
 * uses a balanced rule that only looks back: tokens are routed jointly (the query and key of a token go to the same
 * cluster, by the mean of their two cosines), in order, in segments of k tokens; within a segment each token takes
 * its most similar centroid not yet taken in that segment (ties: the lower centroid). Every complete segment gives
 * each cluster one token, so with {@code k | n} every cluster has exactly {@code n / k} members (else
 * {@code floor} or {@code ceil}), every token is in exactly one cluster, and a token's cluster depends only on the
 * tokens up to it: output i on the full input equals output i on the input up to i, for a fixed k.
 *
 * <p>Cost per (batch, head): the cosines are a {@code k x L x D} GEMM for each side; the top-w choice is a
 * quickselect per centroid ({@code O(k L)}), the causal rule {@code O(k L)}. Memory: {@code k x L} floats per side.
 */
public final class RoutingState {
    /** Tokens per chunk of the cosine GEMM (see {@link #cosines}). */
    private static final int COSINE_CHUNK = 1024;
    private final int heads, clusters, headDim;
    private final float[] means;   // [heads][clusters][headDim]

    private RoutingState(int heads, int clusters, int headDim, float[] means) {
        this.heads = heads;
        this.clusters = clusters;
        this.headDim = headDim;
        this.means = means;
    }

    /**
     * Centroids drawn from {@code seed}: independent standard Gaussian vectors scaled to unit length.
     *
     * @throws IllegalArgumentException naming the argument when a size is not positive
     */
    public static RoutingState seeded(int heads, int clusters, int headDim, long seed) {
        positive("heads", heads);
        positive("clusters", clusters);
        positive("headDim", headDim);
        if ((long) heads * clusters * headDim > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("heads * clusters * headDim: expected below 2^31, got " + (long) heads * clusters * headDim);
        }
        SplittableRandom r = new SplittableRandom(seed);
        float[] m = new float[heads * clusters * headDim];
        for (int c = 0; c < heads * clusters; c++) {
            double norm = 0;
            for (int x = 0; x < headDim; x++) {
                double g = r.nextGaussian();
                m[c * headDim + x] = (float) g;
                norm += g * g;
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int x = 0; x < headDim; x++) m[c * headDim + x] *= inv;
        }
        return new RoutingState(heads, clusters, headDim, m);
    }

    /**
     * Centroids given as {@code [heads][clusters][headDim]} (copied).
     *
     * @throws IllegalArgumentException when the array is ragged, empty or holds a non-finite value
     */
    public static RoutingState of(float[][][] centroids) {
        if (centroids == null || centroids.length == 0 || centroids[0] == null || centroids[0].length == 0
                || centroids[0][0] == null || centroids[0][0].length == 0) {
            throw new IllegalArgumentException("centroids: expected a non-empty [heads][clusters][headDim] array");
        }
        int h = centroids.length, k = centroids[0].length, d = centroids[0][0].length;
        float[] m = new float[h * k * d];
        for (int a = 0; a < h; a++) {
            if (centroids[a] == null || centroids[a].length != k) {
                throw new IllegalArgumentException("centroids[" + a + "]: expected " + k + " centroids, got " + (centroids[a] == null ? "null" : centroids[a].length));
            }
            for (int c = 0; c < k; c++) {
                float[] row = centroids[a][c];
                if (row == null || row.length != d) {
                    throw new IllegalArgumentException("centroids[" + a + "][" + c + "]: expected " + d + " values, got " + (row == null ? "null" : row.length));
                }
                for (int x = 0; x < d; x++) {
                    if (!Float.isFinite(row[x])) throw new IllegalArgumentException("centroids[" + a + "][" + c + "][" + x + "]: expected finite, got " + row[x]);
                }
                System.arraycopy(row, 0, m, (a * k + c) * d, d);
            }
        }
        return new RoutingState(h, k, d, m);
    }

    private static void positive(String name, int v) {
        if (v < 1) throw new IllegalArgumentException(name + ": expected at least 1, got " + v);
    }

    public int heads() { return heads; }
    public int clusters() { return clusters; }
    public int headDim() { return headDim; }

    /** A copy of centroid c of head h. */
    public float[] centroid(int h, int c) {
        if (h < 0 || h >= heads) throw new IllegalArgumentException("h: expected a head in [0, " + heads + "), got " + h);
        if (c < 0 || c >= clusters) throw new IllegalArgumentException("c: expected a centroid in [0, " + clusters + "), got " + c);
        return Arrays.copyOfRange(means, (h * clusters + c) * headDim, (h * clusters + c + 1) * headDim);
    }

    /** An independent copy. */
    public RoutingState copy() {
        return new RoutingState(heads, clusters, headDim, means.clone());
    }

    // ---------------------------------------------------------------- assignment

    /**
     * The clusters of every (batch, head) of {@code q [B, heads, Lq, D]} and {@code k [B, heads, Lk, D]}:
     * the balanced top-w assignment, or the causal one when {@code causal} (which needs {@code Lq == Lk}).
     *
     * @throws IllegalArgumentException naming the tensor when a shape does not fit this state
     */
    public Routing route(Tensor q, Tensor k, boolean causal) {
        checkShape("q", q);
        checkShape("k", k);
        if (q.dim(0) != k.dim(0)) throw new IllegalArgumentException("k: expected batch " + q.dim(0) + ", got " + k.dim(0));
        int batch = (int) q.dim(0), lq = (int) q.dim(2), lk = (int) k.dim(2);
        if (causal && lq != lk) throw new IllegalArgumentException("k: causal routing needs Lq == Lk, got Lq=" + lq + ", Lk=" + lk);
        if (clusters > Math.min(lq, lk)) {
            throw new IllegalArgumentException("clusters: expected at most min(Lq, Lk) = " + Math.min(lq, lk) + ", got " + clusters);
        }
        int[][][] qs = new int[batch * heads][][], ks = new int[batch * heads][][], extra = new int[batch * heads][][];
        Parallel.forEach(batch * heads, (bh, w) -> {
            int b = bh / heads, h = bh % heads;
            float[] simQ = cosines(q, b, h), simK = cosines(k, b, h);
            if (causal) {
                int[][] members = causalClusters(simQ, simK, lq);
                qs[bh] = members;
                ks[bh] = members;
                extra[bh] = new int[clusters][0];
            } else {
                qs[bh] = topW(simQ, lq, (lq + clusters - 1) / clusters);
                ks[bh] = topW(simK, lk, (lk + clusters - 1) / clusters);
                extra[bh] = unchosen(simQ, lq, qs[bh]);
            }
        });
        return new Routing(batch, heads, clusters, lq, lk, causal, qs, ks, extra);
    }

    private void checkShape(String name, Tensor t) {
        if (t == null || t.rank() != 4 || t.dim(1) != heads || t.dim(3) != headDim) {
            throw new IllegalArgumentException(name + ": expected [B, " + heads + ", L, " + headDim + "] (this state's routed heads and head dim), got "
                    + (t == null ? "null" : Arrays.toString(t.shape())));
        }
    }

    /**
     * {@code sim[c * L + i] = cos(x_i, mu_c)} for the rows of (b, h) of {@code x}: unit-normalised rows (a zero row
     * stays zero) against unit centroids, one GEMM per chunk of tokens. A non-finite row gives NaN, which ranks first
     * ({@link TopK}), so a non-finite token is routed deterministically and only rows that see it go non-finite.
     */
    private float[] cosines(Tensor x, int b, int h) {
        int l = (int) x.dim(2), d = headDim;
        float[] mu = new float[clusters * d];
        for (int c = 0; c < clusters; c++) {
            double n2 = 0;
            int off = (h * clusters + c) * d;
            for (int a = 0; a < d; a++) n2 += (double) means[off + a] * means[off + a];
            float inv = n2 > 0 ? (float) (1 / Math.sqrt(n2)) : 0f;
            for (int a = 0; a < d; a++) mu[c * d + a] = means[off + a] * inv;
        }
        // In chunks of tokens: one chunk's transposed rows (D x COSINE_CHUNK floats) stay in L2 while the k centroids
        // sweep it (a single GEMM over all L tokens streams the whole of them from memory once per 6 centroids), and
        // the chunks run in parallel, which matters at B = H = 1. The chunks are fixed from token 0, so a token's
        // cosines do not depend on the thread count or on the tokens after it.
        float[] sim = new float[clusters * l];
        long base = ((long) b * x.dim(1) + h) * l;
        int chunks = (l + COSINE_CHUNK - 1) / COSINE_CHUNK;
        Parallel.forEach(chunks, (chunk, worker) -> {
            int from = chunk * COSINE_CHUNK, n = Math.min(l, from + COSINE_CHUNK) - from, np = Gemm.pad(n);
            float[] xt = new float[d * np], row = new float[d], part = new float[clusters * np];
            for (int i = 0; i < n; i++) {
                x.readRow(base + from + i, row, 0);
                double n2 = 0;
                for (float a : row) n2 += (double) a * a;
                float inv = n2 > 0 ? (float) (1 / Math.sqrt(n2)) : 0f;
                if (!Double.isFinite(n2)) inv = Float.NaN;
                for (int a = 0; a < d; a++) xt[a * np + i] = row[a] * inv;
            }
            Gemm.mul(clusters, np, d, mu, 0, d, 1, xt, 0, np, part, 0, np, false);
            for (int c = 0; c < clusters; c++) System.arraycopy(part, c * np, sim, c * l + from, n);
        });
        return sim;
    }

    /** Each centroid's top w tokens (ties: the earlier token), ascending. */
    private int[][] topW(float[] sim, int l, int w) {
        int[] ids = new int[l], out = new int[w];
        for (int i = 0; i < l; i++) ids[i] = i;
        float[] row = new float[l], scratch = new float[l];
        int[][] members = new int[clusters][];
        for (int c = 0; c < clusters; c++) {
            System.arraycopy(sim, c * l, row, 0, l);
            int n = TopK.select(row, ids, l, w, out, scratch);
            members[c] = Arrays.copyOf(out, n);
        }
        return members;
    }

    /** For each cluster, the queries no centroid chose whose most similar centroid it is (ties: the lower centroid). */
    private int[][] unchosen(float[] sim, int l, int[][] members) {
        boolean[] chosen = new boolean[l];
        for (int[] m : members) for (int i : m) chosen[i] = true;
        int[] best = new int[l], count = new int[clusters];
        for (int i = 0; i < l; i++) {
            if (chosen[i]) continue;
            int arg = 0;
            for (int c = 1; c < clusters; c++) if (Float.compare(sim[c * l + i], sim[arg * l + i]) > 0) arg = c;
            best[i] = arg;
            count[arg]++;
        }
        int[][] extra = new int[clusters][];
        for (int c = 0; c < clusters; c++) extra[c] = new int[count[c]];
        Arrays.fill(count, 0);
        for (int i = 0; i < l; i++) if (!chosen[i]) extra[best[i]][count[best[i]]++] = i;
        return extra;
    }

    /** The causal rule: in segments of k tokens, each token (in order) takes its most similar centroid still free in its segment. */
    private int[][] causalClusters(float[] simQ, float[] simK, int n) {
        int[] owner = new int[n], size = new int[clusters];
        boolean[] taken = new boolean[clusters];
        for (int t = 0; t < n; t++) {
            if (t % clusters == 0) Arrays.fill(taken, false);
            int arg = -1;
            float best = 0;
            for (int c = 0; c < clusters; c++) {
                if (taken[c]) continue;
                float s = 0.5f * (simQ[c * n + t] + simK[c * n + t]);
                if (arg < 0 || Float.compare(s, best) > 0) {
                    arg = c;
                    best = s;
                }
            }
            taken[arg] = true;
            owner[t] = arg;
            size[arg]++;
        }
        int[][] members = new int[clusters][];
        for (int c = 0; c < clusters; c++) members[c] = new int[size[c]];
        Arrays.fill(size, 0);
        for (int t = 0; t < n; t++) members[owner[t]][size[owner[t]]++] = t;
        return members;
    }

    // ---------------------------------------------------------------- online k-means

    /**
     * The paper's online k-means step, for every head h and centroid c:
     * {@code mu <- decay * mu + (1 - decay) / 2 * (mean of the member queries + mean of the member keys)}, with the
     * members of {@code routing} (extra queries, which no centroid chose, are not members) over every batch entry, and
     * unit-normalised queries and keys as the assignment sees them. The decay is the paper's lambda (0.999 in the
     * paper and in lucidrains/routing-transformer, whose update normalises the new mean instead; this follows the
     * paper's formula with means, as the mechanism's Javadoc says).
     *
     * @throws IllegalArgumentException when decay is outside [0, 1] or the routing or tensors do not fit this state
     */
    public void update(Routing routing, Tensor q, Tensor k, double decay) {
        if (!(decay >= 0 && decay <= 1)) throw new IllegalArgumentException("decay: expected a number in [0, 1], got " + decay);
        if (routing == null) throw new IllegalArgumentException("routing: expected the Routing of this step, got null");
        checkShape("q", q);
        checkShape("k", k);
        if (routing.heads() != heads || routing.clusters() != clusters || routing.batch() != q.dim(0)
                || routing.lq() != q.dim(2) || routing.lk() != k.dim(2)) {
            throw new IllegalArgumentException("routing: expected a routing of these tensors with " + heads + " heads and " + clusters
                    + " clusters, got " + routing);
        }
        int d = headDim;
        float[] row = new float[d];
        for (int h = 0; h < heads; h++) {
            for (int c = 0; c < clusters; c++) {
                double[] mq = new double[d], mk = new double[d];
                long nq = 0, nk = 0;
                for (int b = 0; b < routing.batch(); b++) {
                    int bh = b * heads + h;
                    for (int i : routing.queries()[bh][c]) nq += addUnit(q, b, h, i, row, mq);
                    for (int j : routing.keys()[bh][c]) nk += addUnit(k, b, h, j, row, mk);
                }
                int off = (h * clusters + c) * d;
                for (int x = 0; x < d; x++) {
                    double target = (nq > 0 ? mq[x] / nq : 0) + (nk > 0 ? mk[x] / nk : 0);
                    means[off + x] = (float) (decay * means[off + x] + (1 - decay) / 2 * target);
                }
            }
        }
    }

    /** Adds the unit-normalised row i of (b, h) to {@code sum}; returns 1 (a zero row adds nothing but counts). */
    private static int addUnit(Tensor t, int b, int h, int i, float[] row, double[] sum) {
        t.readRow(((long) b * t.dim(1) + h) * t.dim(2) + i, row, 0);
        double n2 = 0;
        for (float a : row) n2 += (double) a * a;
        double inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
        for (int x = 0; x < row.length; x++) sum[x] += row[x] * inv;
        return 1;
    }

    /**
     * The clusters of one routing call: for row {@code bh = b * heads + h}, {@code queries[bh][c]} and
     * {@code keys[bh][c]} are the members of cluster c (original positions, ascending; the same array for both in
     * causal routing), and {@code extra[bh][c]} the queries no centroid chose that attend to cluster c's keys.
     */
    public record Routing(int batch, int heads, int clusters, int lq, int lk, boolean causal,
                          int[][][] queries, int[][][] keys, int[][][] extra) {
        @Override
        public String toString() {
            return "Routing[B=" + batch + ", heads=" + heads + ", clusters=" + clusters + ", Lq=" + lq + ", Lk=" + lk
                    + (causal ? ", causal" : "") + "]";
        }
    }
}
