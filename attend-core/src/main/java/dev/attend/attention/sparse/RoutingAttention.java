package dev.attend.attention.sparse;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.IndexMap;
import dev.attend.attention.LseMerge;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.attention.Pattern;
import dev.attend.attention.Support;
import dev.attend.attention.mask.BlockMask;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.attention.sparse.RoutingState.Routing;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

import java.util.Arrays;

/**
 * Routing attention (Roy et al. 2021, "Efficient Content-Based Sparse Attention with Routing Transformers";
 * google-research/routing_transformer, lucidrains/routing-transformer): queries and keys are routed to k centroids
 * per head by cosine similarity ({@link RoutingState}: balanced top-w clusters, or a look-back-only balanced rule
 * under a causal mask), and each query attends only to the keys of its clusters, with the problem's mask evaluated at
 * the original positions. The first {@code localHeads} query heads are local (sliding-window) heads instead, as in
 * the paper's mix.
 *
 * <p><b>Within clusters.</b> One flash call ({@link dev.attend.attention.FlashAttention#forward(AttentionProblem,
 * BlockMask, IndexMap)}) over the gathered members, read in place: per (batch, head) the key order is cluster 0's w
 * keys, cluster 1's, ...; the query order is, per cluster, its members and extra queries padded to a whole number of
 * query blocks (padding rows repeat a member and are dropped); query block c visits key block c only. A query in
 * several clusters gets the LSE merge of its results ({@link LseMerge}): exact softmax over the union when the key
 * sets are disjoint, and a key shared by two of its clusters counts twice (the price of fixed-size clusters). A query
 * no centroid chose attends to the keys of its nearest centroid. In causal routing every token is in one cluster
 * whose keys include its own, so no row is left empty; clusters one short of {@code ceil(n / k)} are padded with key
 * {@code n - 1}, which lies after all of their members and is hidden by the causal mask.
 *
 * <p><b>Parameters.</b> {@code clusters} k (0: {@code round(Lk ^ exponent)}, at least 1 and at most
 * {@code min(Lq, Lk)}); {@code exponent} (default 0.5: the paper's k ~ sqrt(n)); {@code localHeads} and
 * {@code window} (local heads attend within {@code |q - k| < window}, causally {@code q - window < k <= q}, and the
 * problem's mask); {@code seed} (the centroids, {@link RoutingState#seeded}). The budget is {@code exponent}, lower is
 * more exact: at 0, k = 1 and the one cluster holds every token, which is exact attention (causal or not).
 * {@code clusters} itself cannot be the budget, since its 0 means "from the length".
 *
 * <p><b>Training.</b> A loop keeps a {@link RoutingState} ({@link #initialState}), routes with {@link #route},
 * computes {@link #forward(AttentionProblem, Routing)} and {@link #backward(AttentionProblem, Routing, AttentionResult,
 * Tensor)}, then moves the centroids with {@link #update} (the paper's EMA, decay 0.999). The plain
 * {@link #forward(AttentionProblem)} routes with the seeded centroids. The backward within clusters is flash backward
 * on gathered copies of q, k, v (the kernel's backward takes no IndexMap), with the merged output and LSE standing in
 * for each copy's own (so the gradient is that of the merged result) and a predicate mask at the original positions;
 * the gradients are summed back into the original rows. The routing itself is piecewise constant: no gradient flows
 * through it (the paper trains centroids by k-means, not by gradient; its commitment loss is the caller's).
 *
 * <p><b>Shapes and cost.</b> q {@code [B, H, Lq, D]}, k and v {@code [B, H, Lk, D]} (no GQA: clusters are per head on
 * both sides); masks {@code full} (self or cross) and {@code causal} (self). Routing {@code O(k (Lq + Lk) D)} per head;
 * attention {@code O((Lq + extra queries) * w * D)} with {@code w = ceil(Lk / k)}, i.e. {@code O(n^1.5 D)} at the
 * default; memory: the similarity matrices ({@code k x L} floats per side and head) and the index arrays.
 */
public final class RoutingAttention extends AttentionMechanism {
    public static final String NAME = "routing";
    /** Most queries per block of the gathered problem: padding per cluster stays below it. */
    private static final int MAX_QUERY_BLOCK = 32;

    public static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, RoutingAttention::new)
            .summary("Routing attention: queries and keys routed to k centroids per head (balanced clusters), flash within clusters; optional local heads")
            .param(Param.ofInt("clusters", 0, 0, 1 << 16, "centroids per head; 0: round(Lk^exponent); at most min(Lq, Lk)"))
            .param(Param.ofDouble("exponent", 0.5, 0, 1, "k = round(Lk^exponent) when clusters = 0 (0.5: sqrt(n); 0: one cluster, exact)"))
            .param(Param.ofInt("localHeads", 0, 0, 1024, "the first localHeads query heads are sliding-window heads; at most Hq"))
            .param(Param.ofInt("window", 256, 1, 1 << 20, "window of the local heads"))
            .param(Param.ofLong("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE, "seed of the centroids"))
            .patterns(Pattern.NONCAUSAL_SELF, Pattern.NONCAUSAL_CROSS, Pattern.CAUSAL_SELF)
            .masks(MaskSupport.listed("full", "causal"))
            .gqa(false)
            .backward(true)
            .approximate("exponent", false)
            .seeded("seed")
            .build();

    private final int clusters, localHeads, window;
    private final double exponent;
    private final long seed;

    private RoutingAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        clusters = p.getInt("clusters");
        exponent = p.getDouble("exponent");
        localHeads = p.getInt("localHeads");
        window = p.getInt("window");
        seed = p.getLong("seed");
    }

    @Override
    protected Support check(AttentionProblem p) {
        if (clusters > Math.min(p.lq(), p.lk())) {
            return Support.no("clusters: expected at most min(Lq, Lk) = " + Math.min(p.lq(), p.lk()) + ", got " + clusters);
        }
        if (localHeads > p.hq()) return Support.no("localHeads: expected at most Hq = " + p.hq() + ", got " + localHeads);
        if (localHeads > 0 && p.lq() != p.lk()) {
            return Support.no("localHeads: local heads need self attention (Lq == Lk), got Lq=" + p.lq() + ", Lk=" + p.lk());
        }
        return Support.YES;
    }

    /** The number of clusters for this problem: {@code clusters}, or {@code round(Lk ^ exponent)} within [1, min(Lq, Lk)]. */
    public int clustersFor(AttentionProblem p) {
        if (clusters > 0) return clusters;
        long k = Math.round(Math.pow(p.lk(), exponent));
        return (int) Math.max(1, Math.min(k, Math.min(p.lq(), p.lk())));
    }

    /** Query heads routed (the rest, the first {@code localHeads}, are local). */
    public int routedHeads(AttentionProblem p) {
        return p.hq() - localHeads;
    }

    /** The seeded centroids for this problem's routed heads. */
    public RoutingState initialState(AttentionProblem p) {
        require(p);
        return RoutingState.seeded(Math.max(1, routedHeads(p)), clustersFor(p), p.headDim(), seed);
    }

    /** The clusters of the routed heads of {@code p} under {@code state}. */
    public Routing route(AttentionProblem p, RoutingState state) {
        require(p);
        if (state == null) throw new IllegalArgumentException("state: expected a RoutingState, got null");
        if (routedHeads(p) == 0) return null;
        AttentionProblem r = routed(p);
        return state.route(r.q(), r.k(), isCausal(p));
    }

    /** The EMA step of the centroids from this step's routing ({@link RoutingState#update}). */
    public void update(RoutingState state, AttentionProblem p, Routing routing, double decay) {
        if (state == null) throw new IllegalArgumentException("state: expected a RoutingState, got null");
        if (routedHeads(p) == 0) return;
        AttentionProblem r = routed(p);
        state.update(routing, r.q(), r.k(), decay);
    }

    private static boolean isCausal(AttentionProblem p) {
        return p.mask().kind().orElse("").equals("causal");
    }

    /** The routed heads as a problem of their own (views, no copy). */
    private AttentionProblem routed(AttentionProblem p) {
        int h = p.hq();
        return new AttentionProblem(p.q().slice(1, localHeads, h), p.k().slice(1, localHeads, h), p.v().slice(1, localHeads, h),
                p.mask(), ScoreMod.NONE, p.scale());
    }

    /** The local heads as a problem of their own, their mask intersected with the window. */
    private AttentionProblem local(AttentionProblem p) {
        Mask w = isCausal(p) ? Masks.slidingWindow(window) : Masks.slidingWindowBidirectional(window);
        return new AttentionProblem(p.q().slice(1, 0, localHeads), p.k().slice(1, 0, localHeads), p.v().slice(1, 0, localHeads),
                p.mask().and(w), ScoreMod.NONE, p.scale());
    }

    // ---------------------------------------------------------------- forward

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        return forwardChecked(p, routedHeads(p) == 0 ? null : route(p, initialState(p)));
    }

    /** Attention of {@code p} with the given routing of its routed heads (from {@link #route}). */
    public AttentionResult forward(AttentionProblem p, Routing routing) {
        require(p);
        checkRouting(p, routing);
        return forwardChecked(p, routing);
    }

    private void checkRouting(AttentionProblem p, Routing r) {
        if (routedHeads(p) == 0) return;
        if (r == null || r.batch() != p.batch() || r.heads() != routedHeads(p) || r.lq() != p.lq() || r.lk() != p.lk()
                || r.causal() != isCausal(p)) {
            throw new IllegalArgumentException("routing: expected a routing of this problem (B=" + p.batch() + ", " + routedHeads(p)
                    + " routed heads, Lq=" + p.lq() + ", Lk=" + p.lk() + (isCausal(p) ? ", causal" : "") + "), got " + r);
        }
    }

    private AttentionResult forwardChecked(AttentionProblem p, Routing routing) {
        int d = p.headDim();
        Tensor out = Tensor.zeros(p.q().shape()), lse = Tensor.zeros(p.batch(), p.hq(), p.lq());
        AttentionResult.Stats stats = AttentionResult.Stats.NONE;
        if (localHeads > 0) {
            AttentionResult l = Attention.flash().forward(local(p));
            copyHeads(l.out(), out, 0);
            copyHeads(l.lse(), lse, 0);
            stats = stats.plus(l.stats());
        }
        if (routing != null) {
            AttentionProblem r = routed(p);
            Layout g = Layout.of(routing, isCausal(p));
            AttentionResult gathered = Attention.flash().forward(r, g.blocks(r, p.mask()), new IndexMap(g.queries, g.keys));
            stats = stats.plus(gathered.stats());
            merge(g, gathered, out, lse, localHeads, d);
        }
        return new AttentionResult(out, lse, stats);
    }

    /** Writes {@code part [B, h, ...]} into heads {@code from ..} of {@code whole [B, H, ...]}. */
    private static void copyHeads(Tensor part, Tensor whole, int from) {
        int h = (int) part.dim(1);
        Tensor dst = whole.slice(1, from, from + h);
        float[] row = new float[(int) part.dim(part.rank() - 1)];
        for (long i = 0; i < part.rows(); i++) {
            part.readRow(i, row, 0);
            dst.writeRow(i, row, 0);
        }
    }

    /** LSE-merges the gathered rows of every routed (b, h) into their original rows of {@code out} and {@code lse}. */
    private static void merge(Layout g, AttentionResult gathered, Tensor out, Tensor lse, int headOffset, int d) {
        int heads = g.heads, lq = g.lq, rows = g.queries[0].length;
        Parallel.forEach(g.queries.length, (bh, w) -> {
            int b = bh / heads, h = bh % heads;
            float[] acc = new float[lq * d], l = new float[lq], row = new float[d];
            Arrays.fill(l, Float.NEGATIVE_INFINITY);
            long gBase = (long) bh * rows;
            for (int r = 0; r < rows; r++) {
                int qi = g.original[bh][r];
                if (qi < 0) continue;
                gathered.out().readRow(gBase + r, row, 0);
                float lr = gathered.lse().get(b, h, r);
                l[qi] = LseMerge.mergeInto(acc, qi * d, l[qi], row, 0, lr, d);
            }
            long oBase = ((long) b * out.dim(1) + h + headOffset) * lq;
            for (int i = 0; i < lq; i++) {
                if (l[i] == Float.NEGATIVE_INFINITY) Arrays.fill(acc, i * d, i * d + d, 0f);
                out.writeRow(oBase + i, acc, i * d);
                lse.set(l[i], b, h + headOffset, i);
            }
        });
    }

    /**
     * The gathered problem of a routing: per (b, h) of the routed heads, the query order ({@code queries}, indices for
     * the IndexMap, padding included), which original query each gathered row is ({@code original}, -1 for padding),
     * the key order ({@code keys}: cluster c's keys at {@code [c * w, (c + 1) * w)}), and the cluster of each query
     * block ({@code blockCluster}, -1 for blocks of padding only).
     */
    record Layout(int heads, int lq, int clusters, int w, int blockQ, int[][] queries, int[][] original, int[][] keys, int[][] blockCluster) {

        static Layout of(Routing r, boolean causal) {
            int bhs = r.batch() * r.heads(), k = r.clusters();
            int w = 0, most = 1;
            for (int bh = 0; bh < bhs; bh++) {
                for (int c = 0; c < k; c++) {
                    w = Math.max(w, r.keys()[bh][c].length);
                    most = Math.max(most, r.queries()[bh][c].length);
                }
            }
            int bq = Math.max(1, Math.min(MAX_QUERY_BLOCK, most));
            int[] length = new int[bhs];
            int longest = 0;
            for (int bh = 0; bh < bhs; bh++) {
                for (int c = 0; c < k; c++) length[bh] += roundUp(r.queries()[bh][c].length + r.extra()[bh][c].length, bq);
                longest = Math.max(longest, length[bh]);
            }
            int[][] queries = new int[bhs][longest], original = new int[bhs][longest], keys = new int[bhs][k * w];
            int[][] blockCluster = new int[bhs][longest / bq];
            for (int bh = 0; bh < bhs; bh++) {
                Arrays.fill(original[bh], -1);
                Arrays.fill(blockCluster[bh], -1);
                int at = 0;
                for (int c = 0; c < k; c++) {
                    int[] m = r.queries()[bh][c], x = r.extra()[bh][c];
                    int start = at;
                    for (int i : m) { queries[bh][at] = i; original[bh][at++] = i; }
                    for (int i : x) { queries[bh][at] = i; original[bh][at++] = i; }
                    int end = start + roundUp(m.length + x.length, bq);
                    while (at < end) queries[bh][at++] = queries[bh][start];   // padding: repeats a member, dropped
                    for (int qb = start / bq; qb < end / bq; qb++) blockCluster[bh][qb] = c;
                    int[] km = r.keys()[bh][c];
                    System.arraycopy(km, 0, keys[bh], c * w, km.length);
                    // Causal clusters one short of w: key n - 1 follows all of their members, so the mask hides it.
                    for (int j = km.length; j < w; j++) keys[bh][c * w + j] = r.lk() - 1;
                }
                // Rows beyond this (b, h)'s own length (other heads need more) visit no block: output 0, dropped.
            }
            if (!causal) {
                for (int bh = 0; bh < bhs; bh++) for (int c = 0; c < k; c++) {
                    if (r.keys()[bh][c].length != w) throw new IllegalStateException("top-w clusters must all have " + w + " keys");
                }
            }
            return new Layout(r.heads(), r.lq(), k, w, bq, queries, original, keys, blockCluster);
        }

        private static int roundUp(int n, int m) {
            return (n + m - 1) / m * m;
        }

        /** Query block qb of (b, h) visits key block {@code blockCluster}: FULL without a mask, else PARTIAL (masked at original positions). */
        BlockMask blocks(AttentionProblem routed, Mask mask) {
            int bhs = queries.length, qBlocks = queries[0].length / blockQ;
            int[][] lists = new int[bhs * qBlocks][];
            for (int bh = 0; bh < bhs; bh++) {
                for (int qb = 0; qb < qBlocks; qb++) {
                    int c = blockCluster[bh][qb];
                    lists[bh * qBlocks + qb] = c < 0 ? new int[0] : new int[] {c};
                }
            }
            boolean full = mask.kind().orElse("").equals("full");
            return BlockMask.fromKvBlocks(routed.batch(), routed.hq(), queries[0].length, keys[0].length, blockQ, w,
                    full ? lists : null, full ? null : lists);
        }
    }

    // ---------------------------------------------------------------- backward

    @Override
    protected Gradients computeBackward(AttentionProblem p, AttentionResult fwd, Tensor dOut) {
        return backwardChecked(p, routedHeads(p) == 0 ? null : route(p, initialState(p)), fwd, dOut);
    }

    /**
     * Gradients of {@code sum(dOut * out)} for {@code forward(p, routing)} (its result {@code fwd}), the routing held
     * fixed: local heads by flash backward, routed heads by flash backward on gathered copies (see the class Javadoc).
     */
    public Gradients backward(AttentionProblem p, Routing routing, AttentionResult fwd, Tensor dOut) {
        require(p);
        checkRouting(p, routing);
        if (fwd == null || dOut == null || !Arrays.equals(fwd.out().shape(), p.q().shape()) || !Arrays.equals(dOut.shape(), p.q().shape()) || !fwd.hasLse()) {
            throw new IllegalArgumentException("fwd, dOut: expected the forward result of this problem and a gradient shaped like q "
                    + Arrays.toString(p.q().shape()));
        }
        return backwardChecked(p, routing, fwd, dOut);
    }

    private Gradients backwardChecked(AttentionProblem p, Routing routing, AttentionResult fwd, Tensor dOut) {
        int d = p.headDim();
        Tensor dq = Tensor.zeros(p.q().shape()), dk = Tensor.zeros(p.k().shape()), dv = Tensor.zeros(p.v().shape());
        if (localHeads > 0) {
            AttentionProblem l = local(p);
            AttentionResult lf = new AttentionResult(fwd.out().slice(1, 0, localHeads).contiguous(), fwd.lse().slice(1, 0, localHeads).contiguous(),
                    AttentionResult.Stats.NONE);
            Gradients g = Attention.flash().backward(l, lf, dOut.slice(1, 0, localHeads).contiguous());
            copyHeads(g.dq(), dq, 0);
            copyHeads(g.dk(), dk, 0);
            copyHeads(g.dv(), dv, 0);
        }
        if (routing == null) return new Gradients(dq, dk, dv);
        boolean causal = isCausal(p);
        Layout g = Layout.of(routing, causal);
        int heads = g.heads, rows = g.queries[0].length, keys = g.keys[0].length, bhs = g.queries.length;
        Tensor qg = Tensor.zeros(p.batch(), heads, rows, d), og = Tensor.zeros(p.batch(), heads, rows, d), dog = Tensor.zeros(p.batch(), heads, rows, d);
        Tensor lg = Tensor.zeros(p.batch(), heads, rows);
        Tensor kg = Tensor.zeros(p.batch(), heads, keys, d), vg = Tensor.zeros(p.batch(), heads, keys, d);
        float[] row = new float[d];
        for (int bh = 0; bh < bhs; bh++) {
            int b = bh / heads, h = bh % heads;
            long src = ((long) b * p.hq() + h + localHeads) * p.lq(), dst = (long) bh * rows;
            for (int r = 0; r < rows; r++) {
                int qi = g.queries[bh][r];
                p.q().readRow(src + qi, row, 0);
                qg.writeRow(dst + r, row, 0);
                if (g.original[bh][r] < 0) {
                    lg.set(Float.NEGATIVE_INFINITY, b, h, r);   // padding: no gradient
                    continue;
                }
                fwd.out().readRow(src + qi, row, 0);
                og.writeRow(dst + r, row, 0);
                dOut.readRow(src + qi, row, 0);
                dog.writeRow(dst + r, row, 0);
                lg.set(fwd.lse().get(b, h + localHeads, qi), b, h, r);
            }
            long ksrc = ((long) b * p.hkv() + h + localHeads) * p.lk(), kdst = (long) bh * keys;
            for (int j = 0; j < keys; j++) {
                p.k().readRow(ksrc + g.keys[bh][j], row, 0);
                kg.writeRow(kdst + j, row, 0);
                p.v().readRow(ksrc + g.keys[bh][j], row, 0);
                vg.writeRow(kdst + j, row, 0);
            }
        }
        int[][] qIdx = g.queries, kIdx = g.keys;
        int lq = p.lq(), lk = p.lk();
        Mask atOriginal = causal
                ? Mask.predicate("routed causal", (b, h, i, j) -> kIdx[b * heads + h][j] <= qIdx[b * heads + h][i])
                : Masks.full();
        AttentionProblem gp = new AttentionProblem(qg, kg, vg, atOriginal, ScoreMod.NONE, p.scale());
        Gradients gg = Attention.flash().backward(gp, new AttentionResult(og, lg, AttentionResult.Stats.NONE), dog, g.blocks(gp, p.mask()));
        float[] acc = new float[d];
        for (int bh = 0; bh < bhs; bh++) {
            int b = bh / heads, h = bh % heads;
            long qBase = ((long) b * p.hq() + h + localHeads) * lq, kBase = ((long) b * p.hkv() + h + localHeads) * lk;
            for (int r = 0; r < rows; r++) {
                if (g.original[bh][r] < 0) continue;
                addRow(gg.dq(), (long) bh * rows + r, dq, qBase + g.queries[bh][r], row, acc);
            }
            for (int j = 0; j < keys; j++) {
                addRow(gg.dk(), (long) bh * keys + j, dk, kBase + g.keys[bh][j], row, acc);
                addRow(gg.dv(), (long) bh * keys + j, dv, kBase + g.keys[bh][j], row, acc);
            }
        }
        return new Gradients(dq, dk, dv);
    }

    /** {@code to[toRow] += from[fromRow]}. */
    private static void addRow(Tensor from, long fromRow, Tensor to, long toRow, float[] a, float[] b) {
        from.readRow(fromRow, a, 0);
        to.readRow(toRow, b, 0);
        for (int x = 0; x < a.length; x++) b[x] += a[x];
        to.writeRow(toRow, b, 0);
    }
}
