package dev.attend.attention.sparse;

import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.attention.Pattern;
import dev.attend.attention.Support;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Landmark attention (Mohtashami and Jaggi 2023, epfml/landmark-attention) without trained landmark tokens: keys
 * are cut into blocks of {@code block} tokens, each block is represented by a landmark key, and a query attends to
 * the keys of its own block directly and to earlier blocks only through their landmarks.
 *
 * <p><b>Grouped softmax.</b> For query {@code i} at position {@code p} (its last visible key) in block
 * {@code c = p / block}: the outer softmax runs over the landmark logits {@code a_j} of the earlier blocks
 * {@code j} it uses plus the scores {@code s_t} of the visible tokens of block {@code c}; the inner softmax runs
 * within each such block {@code j}. Token {@code t} of block {@code j} gets {@code p_outer(L_j) * p_inner_j(t)},
 * a token of block {@code c} gets {@code p_outer(t)}; the weights sum to 1 and the returned LSE is the log of the
 * outer normaliser. Without a mask (noncausal self attention) "earlier" means "every other block" and the query's
 * own block is visible whole.
 *
 * <p><b>The landmark, without trained weights.</b> In the paper a landmark token follows every block and its key
 * is learned so that its score tells how much attention the block deserves: the grouped softmax is exact when
 * {@code exp(a_j)} equals the block's total mass {@code sum_t exp(s_t)}. Here the landmark key of a block is the
 * mean of its keys and the logit is {@code a_j = scale * q . mean(K_j) + ln |j|}. By Jensen's inequality this is a
 * lower bound of the block's log-mass {@code ln sum_t exp(s_t)}, equal to it when the scores within the block are
 * equal (diffuse attention, or one-token blocks); it needs no training and keeps the block ranking of
 * {@code q . mean(K_j)} (blocks of one length). A trained landmark can do better on peaked blocks (a needle); this
 * one underweights them, so the mechanism is approximate.
 *
 * <p><b>Paths.</b> {@link #forward} is the inference path: each query scores every candidate landmark, keeps the
 * {@code topK} highest (ties: the earlier block), and applies the grouped softmax over them and its own block, as
 * the repository's LLaMA inference does with its cache. {@link #trainingForward} is the training path: the grouped
 * softmax over every earlier block, computed directly from the weights (fp64 per row). With {@code topK} at least the
 * number of candidate blocks the two are the same function. {@link #backward} is the hand-written gradient of the
 * inference path with the chosen blocks held fixed (the top-k choice is piecewise constant), which is the gradient
 * of the training path when every block is kept; it flows into q, k (through the scores and the mean landmark keys)
 * and v.
 *
 * <p><b>Exact limits and budget.</b> {@code block >= Lk} leaves no earlier block: plain softmax attention over the
 * visible keys, which is why {@code block} is the budget (higher is more exact). {@code block = 1} is also exact on
 * the training path (a one-token block's landmark is its key). Between the two, larger blocks retrieve more tokens
 * ({@code (topK + 1) * block}) and cost more per query.
 *
 * <p><b>Shapes and cost.</b> q {@code [B, Hq, Lq, D]}, k and v {@code [B, Hkv, Lk, D]} (GQA: query head h reads
 * kv head {@code h / (Hq / Hkv)}). Masks: {@code full} (self attention), {@code causal} (top-left; a query past the
 * last key sees all of them), {@code causal-br} (decoding: query i is position {@code i + Lk - Lq}). Forward per
 * query: {@code Lk / block} landmark scores (a GEMM per tile of 16 queries) plus {@code (topK + 1) * block} scores
 * and value rows, so {@code O(Lq (Lk / block + topK * block) D)} in all; memory: K transposed and the landmark keys,
 * one kv head at a time. The training forward and the backward are fp64 loops over the keys each query uses.
 * Incremental decoding: {@link LandmarkCache} (why not a {@code KvCache}: see there).
 */
public final class LandmarkAttention extends AttentionMechanism {
    public static final String NAME = "landmark";
    /** Queries per tile of the forward: one landmark GEMM per tile. */
    static final int TILE = 16;
    private static final int MAX_BLOCK = 1 << 20;

    public static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, LandmarkAttention::new)
            .summary("Landmark attention: blocks of keys represented by their mean key, grouped softmax over the top-k retrieved blocks and the query's own block")
            .param(Param.ofInt("block", 50, 1, MAX_BLOCK, "tokens per block (one landmark each); block >= Lk is exact attention"))
            .param(Param.ofInt("topK", 5, 1, MAX_BLOCK, "earlier blocks each query retrieves through their landmarks; at least the block count: the training path"))
            .patterns(Pattern.NONCAUSAL_SELF, Pattern.CAUSAL_SELF, Pattern.CAUSAL_CROSS)
            .masks(MaskSupport.listed("full", "causal", "causal-br"))
            .backward(true)
            .approximate("block", true)
            .build();

    private final int block, topK;

    private LandmarkAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.block = p.getInt("block");
        this.topK = p.getInt("topK");
    }

    public int block() {
        return block;
    }

    public int topK() {
        return topK;
    }

    @Override
    protected Support check(AttentionProblem p) {
        if ((long) p.lk() * p.headDim() > Integer.MAX_VALUE - 64) {
            return Support.no("keys: Lk * D must stay below 2^31 (one array per kv head), got Lk=" + p.lk() + ", D=" + p.headDim());
        }
        return Support.YES;
    }

    // ---------------------------------------------------------------- positions

    /**
     * How each query row sees the keys: its position (last visible key, -1 for none) and whether its whole block is
     * visible (no mask) or only up to the position (causal).
     */
    record Rows(int[] position, boolean wholeBlock) {
        static Rows of(AttentionProblem p) {
            String kind = p.mask().kind().orElseThrow();
            int lq = p.lq(), lk = p.lk();
            int[] pos = new int[lq];
            for (int i = 0; i < lq; i++) {
                pos[i] = switch (kind) {
                    case "full" -> i;                           // self attention: the query's own block
                    case "causal" -> Math.min(i, lk - 1);
                    default -> i + lk - lq;                     // causal-br; negative: no key
                };
            }
            return new Rows(pos, kind.equals("full"));
        }
    }

    // ---------------------------------------------------------------- inference path

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        Rows rows = Rows.of(p);
        int group = p.hq() / p.hkv();
        Tensor out = Tensor.zeros(p.batch(), p.hq(), p.lq(), p.headDim());
        Tensor lse = Tensor.zeros(p.batch(), p.hq(), p.lq());
        long[] scores = new long[1];
        for (int b = 0; b < p.batch(); b++) {
            for (int hk = 0; hk < p.hkv(); hk++) {
                LandmarkStore store = LandmarkStore.of(p.k(), p.v(), b, hk, block);
                for (int h = hk * group; h < (hk + 1) * group; h++) {
                    scores[0] += attendHead(store, p.q(), b, h, rows, p.scale(), topK, out, lse);
                }
            }
        }
        double flops = 4.0 * scores[0] * p.headDim();
        return new AttentionResult(out, lse, new AttentionResult.Stats(0, 0, scores[0], flops, 2L * Float.BYTES * p.headDim() * scores[0]));
    }

    /**
     * The inference path for query head (b, h) over one kv head's store: rows of {@code q} at {@code rows}' positions,
     * results written to {@code out} and {@code lse}. Returns the number of (query, key or landmark) scores computed.
     */
    static long attendHead(LandmarkStore s, Tensor q, int b, int h, Rows rows, float scale, int topK, Tensor out, Tensor lse) {
        int lq = rows.position().length, tiles = (lq + TILE - 1) / TILE;
        AtomicInteger next = new AtomicInteger();
        long[] perWorker = new long[Parallel.MAX_THREADS];
        Parallel.run(tiles, (w, workers) -> {
            Kernel k = new Kernel(s, scale, topK);
            for (int t; (t = next.getAndIncrement()) < tiles; ) {
                perWorker[w] += k.tile(q, b, h, t * TILE, Math.min(lq, t * TILE + TILE), rows, out, lse);
            }
        });
        long n = 0;
        for (long x : perWorker) n += x;
        return n;
    }

    /** One worker's buffers for the inference path. */
    static final class Kernel {
        final LandmarkStore s;
        final float scale;
        final int topK, d;
        final float[] qRows, qT, lmScores, scores, acc, blockAcc, row;
        final float[] candLogit, scratch;
        final int[] cand, chosen;

        Kernel(LandmarkStore s, float scale, int topK) {
            this.s = s;
            this.scale = scale;
            this.topK = topK;
            this.d = s.d;
            qRows = new float[TILE * d];
            qT = new float[d * TILE];
            lmScores = new float[Math.max(1, s.blocks) * TILE];
            scores = new float[Math.max(1, Math.min(s.n, s.block))];
            acc = new float[d];
            blockAcc = new float[d];
            row = new float[d];
            candLogit = new float[Math.max(1, s.blocks)];
            scratch = new float[Math.max(1, s.blocks)];
            cand = new int[Math.max(1, s.blocks)];
            chosen = new int[Math.max(1, s.blocks)];
        }

        /** Queries {@code [i0, i1)} of (b, h); returns the scores computed. */
        long tile(Tensor q, int b, int h, int i0, int i1, Rows rows, Tensor out, Tensor lse) {
            int nq = i1 - i0;
            long qBase = ((long) b * q.dim(1) + h) * q.dim(2);
            for (int i = 0; i < nq; i++) {
                q.readRow(qBase + i0 + i, qRows, i * d);
                for (int x = 0; x < d; x++) qRows[i * d + x] *= scale;
            }
            int lmRows = landmarkScores(i0, i1, rows);
            long computed = (long) lmRows * nq;
            for (int i = 0; i < nq; i++) {
                int p = rows.position()[i0 + i];
                long outRow = qBase + i0 + i;
                if (p < 0) {
                    Arrays.fill(row, 0f);
                    out.writeRow(outRow, row, 0);
                    lse.set(Float.NEGATIVE_INFINITY, b, h, i0 + i);
                    continue;
                }
                int nChosen = choose(i, p, rows.wholeBlock(), lmRows);
                computed += row(i, p, rows.wholeBlock(), nChosen);
                out.writeRow(outRow, row, 0);
                lse.set(rowLse, b, h, i0 + i);
            }
            return computed;
        }

        /**
         * Landmark scores of the tile's queries against every block a query of the tile may retrieve, as one GEMM:
         * {@code lmScores[j * TILE + i] = scale * q_i . mean(K_j)}. Returns the number of block rows computed.
         */
        int landmarkScores(int i0, int i1, Rows rows) {
            int nb = 0;
            for (int i = i0; i < i1; i++) {
                int p = rows.position()[i];
                if (p < 0) continue;
                nb = Math.max(nb, rows.wholeBlock() ? s.blocks : p / s.block);
            }
            if (nb == 0) return 0;
            int nq = i1 - i0;
            if (nq < TILE) Arrays.fill(qT, 0f);
            for (int i = 0; i < nq; i++) for (int x = 0; x < d; x++) qT[x * TILE + i] = qRows[i * d + x];
            dev.attend.simd.Gemm.mul(nb, TILE, d, s.landmarks, 0, d, 1, qT, 0, TILE, lmScores, 0, TILE, false);
            return nb;
        }

        /** The blocks query i of the tile uses, into {@code chosen[0..n)}, ascending: its top-k candidates by logit. */
        int choose(int i, int p, boolean wholeBlock, int lmRows) {
            int cur = p / s.block, count = 0;
            int limit = wholeBlock ? s.blocks : cur;
            for (int j = 0; j < Math.min(limit, lmRows); j++) {
                if (j == cur) continue;
                cand[count] = j;
                candLogit[count] = lmScores[j * TILE + i] + s.logLength(j);
                count++;
            }
            return TopK.select(candLogit, cand, count, topK, chosen, scratch);
        }

        float rowLse;

        /** The grouped softmax of query i over its own block and the chosen blocks into {@code row}; returns scores computed. */
        long row(int i, int p, boolean wholeBlock, int nChosen) {
            int qOff = i * d;
            int c0 = p / s.block * s.block, c1 = wholeBlock ? Math.min(s.n, c0 + s.block) : p + 1;
            Arrays.fill(acc, 0f);
            // The query's own block: one outer item per token.
            int len = c1 - c0;
            s.scores(qRows, qOff, c0, len, scores);
            float m = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < len; t++) m = Math.max(m, scores[t]);
            float l = 0;
            for (int t = 0; t < len; t++) {
                float e = (float) Math.exp(scores[t] - m);
                l += e;
                s.addValue(c0 + t, e, acc);
            }
            long computed = len;
            // Each chosen block: one outer item with logit a_j and value o_j, its inner softmax average.
            for (int c = 0; c < nChosen; c++) {
                int j = chosen[c], j0 = j * s.block, jl = s.length(j);
                s.scores(qRows, qOff, j0, jl, scores);
                float mj = Float.NEGATIVE_INFINITY;
                for (int t = 0; t < jl; t++) mj = Math.max(mj, scores[t]);
                Arrays.fill(blockAcc, 0f);
                float lj = 0;
                for (int t = 0; t < jl; t++) {
                    float e = (float) Math.exp(scores[t] - mj);
                    lj += e;
                    s.addValue(j0 + t, e, blockAcc);
                }
                computed += jl;
                float a = lmScores[j * TILE + i] + s.logLength(j);
                float mNew = Math.max(m, a);
                float keep = (float) Math.exp(m - mNew), wj = (float) Math.exp(a - mNew) / lj;
                for (int x = 0; x < d; x++) acc[x] = acc[x] * keep + wj * blockAcc[x];
                l = l * keep + (float) Math.exp(a - mNew);
                m = mNew;
            }
            float inv = 1f / l;
            for (int x = 0; x < d; x++) row[x] = acc[x] * inv;
            rowLse = m + (float) Math.log(l);
            return computed;
        }
    }

    // ---------------------------------------------------------------- training path

    /**
     * The training path: the grouped softmax over every earlier block (every other block without a mask) and the
     * query's own block, computed from the weights {@code p_outer(L_j) * p_inner_j(t)} in fp64 per row. Same problems
     * as {@link #forward}; O(Lq Lk D).
     */
    public AttentionResult trainingForward(AttentionProblem p) {
        require(p);
        Rows rows = Rows.of(p);
        int group = p.hq() / p.hkv(), d = p.headDim();
        Tensor out = Tensor.zeros(p.batch(), p.hq(), p.lq(), d);
        Tensor lse = Tensor.zeros(p.batch(), p.hq(), p.lq());
        for (int b = 0; b < p.batch(); b++) {
            for (int hk = 0; hk < p.hkv(); hk++) {
                LandmarkStore store = LandmarkStore.of(p.k(), p.v(), b, hk, block);
                for (int h = hk * group; h < (hk + 1) * group; h++) {
                    final int bb = b, hh = h;
                    Parallel.forEach(p.lq(), (i, w) -> {
                        double[] weights = new double[store.n];
                        float[] qr = new float[d], o = new float[d];
                        p.q().readRow(((long) bb * p.hq() + hh) * p.lq() + i, qr, 0);
                        double l = groupedWeights(store, qr, p.scale(), rows.position()[i], rows.wholeBlock(), null, weights);
                        for (int t = 0; t < store.n; t++) {
                            if (weights[t] == 0) continue;
                            for (int x = 0; x < d; x++) o[x] += (float) (weights[t] * store.value(t, x));
                        }
                        out.writeRow(((long) bb * p.hq() + hh) * p.lq() + i, o, 0);
                        lse.set((float) l, bb, hh, i);
                    });
                }
            }
        }
        return new AttentionResult(out, lse, AttentionResult.Stats.NONE);
    }

    /**
     * The grouped-softmax weight of every key for one query (fp64), written into {@code weights} (0 for keys it does
     * not use); returns the LSE of the outer softmax ({@code -inf} when the query sees no key). {@code chosen} null:
     * every earlier block (the training path); else the blocks to use.
     */
    static double groupedWeights(LandmarkStore s, float[] q, float scale, int p, boolean wholeBlock, int[] chosen, double[] weights) {
        Arrays.fill(weights, 0);
        if (p < 0) return Double.NEGATIVE_INFINITY;
        int cur = p / s.block, c0 = cur * s.block, c1 = wholeBlock ? Math.min(s.n, c0 + s.block) : p + 1;
        int[] blocks = chosen;
        if (blocks == null) {
            int limit = wholeBlock ? s.blocks : cur, n = 0;
            blocks = new int[limit];
            for (int j = 0; j < limit; j++) if (j != cur) blocks[n++] = j;
            blocks = Arrays.copyOf(blocks, n);
        }
        double[] logit = new double[blocks.length];
        double m = Double.NEGATIVE_INFINITY;
        for (int t = c0; t < c1; t++) m = Math.max(m, weights[t] = s.dot(q, t) * scale);
        for (int c = 0; c < blocks.length; c++) {
            logit[c] = s.landmarkDot(q, blocks[c]) * scale + Math.log(s.length(blocks[c]));
            m = Math.max(m, logit[c]);
        }
        double z = 0;
        for (int t = c0; t < c1; t++) z += Math.exp(weights[t] - m);
        for (double a : logit) z += Math.exp(a - m);
        for (int t = c0; t < c1; t++) weights[t] = Math.exp(weights[t] - m) / z;
        for (int c = 0; c < blocks.length; c++) {
            int j0 = blocks[c] * s.block, jl = s.length(blocks[c]);
            double outer = Math.exp(logit[c] - m) / z, mj = Double.NEGATIVE_INFINITY, lj = 0;
            for (int t = j0; t < j0 + jl; t++) mj = Math.max(mj, weights[t] = s.dot(q, t) * scale);
            for (int t = j0; t < j0 + jl; t++) lj += Math.exp(weights[t] - mj);
            for (int t = j0; t < j0 + jl; t++) weights[t] = outer * Math.exp(weights[t] - mj) / lj;
        }
        return m + Math.log(z);
    }

    // ---------------------------------------------------------------- backward

    /**
     * Gradients of {@code sum(dOut * out)} for the inference path with each query's chosen blocks held fixed (they
     * are chosen again exactly as the forward chose them); the training path's gradient when {@code topK} keeps every
     * block. Per query, over the keys it uses (derivation in the comments): O(Lq (topK + 1) block D) plus the
     * landmark scores; dk and dv are accumulated per worker and summed.
     */
    @Override
    protected Gradients computeBackward(AttentionProblem p, AttentionResult fwd, Tensor dOut) {
        Rows rows = Rows.of(p);
        int group = p.hq() / p.hkv(), d = p.headDim(), lk = p.lk(), lq = p.lq();
        Tensor dq = Tensor.zeros(p.q().shape()), dk = Tensor.zeros(p.k().shape()), dv = Tensor.zeros(p.v().shape());
        for (int b = 0; b < p.batch(); b++) {
            for (int hk = 0; hk < p.hkv(); hk++) {
                LandmarkStore s = LandmarkStore.of(p.k(), p.v(), b, hk, block);
                double[][] dkw = new double[Parallel.MAX_THREADS][], dvw = new double[Parallel.MAX_THREADS][];
                for (int h = hk * group; h < (hk + 1) * group; h++) {
                    final int bb = b, hh = h, tiles = (lq + TILE - 1) / TILE;
                    AtomicInteger next = new AtomicInteger();
                    Parallel.run(tiles, (w, workers) -> {
                        if (dkw[w] == null) {
                            dkw[w] = new double[lk * d];
                            dvw[w] = new double[lk * d];
                        }
                        Kernel k = new Kernel(s, p.scale(), topK);
                        Backward bw = new Backward(s, p.scale(), d);
                        long qBase = ((long) bb * p.hq() + hh) * lq;
                        for (int t; (t = next.getAndIncrement()) < tiles; ) {
                            int i0 = t * TILE, i1 = Math.min(lq, i0 + TILE);
                            for (int i = i0; i < i1; i++) {
                                p.q().readRow(qBase + i, k.qRows, (i - i0) * d);
                                for (int x = 0; x < d; x++) k.qRows[(i - i0) * d + x] *= p.scale();
                            }
                            int lmRows = k.landmarkScores(i0, i1, rows);
                            for (int i = i0; i < i1; i++) {
                                int pos = rows.position()[i];
                                if (pos < 0) continue;
                                int n = k.choose(i - i0, pos, rows.wholeBlock(), lmRows);
                                bw.row(p.q(), fwd, dOut, qBase + i, pos, rows.wholeBlock(), Arrays.copyOf(k.chosen, n), dq, dkw[w], dvw[w]);
                            }
                        }
                    });
                }
                float[] rk = new float[d], rv = new float[d];
                for (int t = 0; t < lk; t++) {
                    Arrays.fill(rk, 0f);
                    Arrays.fill(rv, 0f);
                    for (int w = 0; w < dkw.length; w++) {
                        if (dkw[w] == null) continue;
                        for (int x = 0; x < d; x++) {
                            rk[x] += (float) dkw[w][t * d + x];
                            rv[x] += (float) dvw[w][t * d + x];
                        }
                    }
                    dk.writeRow(((long) b * p.hkv() + hk) * lk + t, rk, 0);
                    dv.writeRow(((long) b * p.hkv() + hk) * lk + t, rv, 0);
                }
            }
        }
        return new Gradients(dq, dk, dv);
    }

    /**
     * The backward of one query row. With outer items u (tokens t of the own block, chosen blocks j), outer
     * probabilities P_u, values val_t = v_t and val_j = o_j (block j's inner softmax average), out O and
     * {@code D = dO . O}: the outer logits get {@code P_u (dO . val_u - D)}; a token of block j gets the inner softmax
     * gradient {@code w_t (dO . v_t - dO . o_j)} with {@code w_t = P_j pi_j(t)}; a token of the own block gets
     * {@code P_t (dO . v_t - D)}; v_t gets {@code w_t dO}. Scores {@code s_t = scale q . k_t} pass {@code scale ds_t}
     * to q and k; landmark logits {@code a_j = scale q . mean(K_j) + ln|j|} pass {@code scale da_j mean(K_j)} to q and
     * {@code scale da_j q / |j|} to every key of block j.
     */
    static final class Backward {
        final LandmarkStore s;
        final float scale;
        final int d;
        final float[] q, dO, o;
        final double[] dq;
        double[] weights;

        Backward(LandmarkStore s, float scale, int d) {
            this.s = s;
            this.scale = scale;
            this.d = d;
            q = new float[d];
            dO = new float[d];
            o = new float[d];
            dq = new double[d];
            weights = new double[s.n];
        }

        void row(Tensor qt, AttentionResult fwd, Tensor dOut, long r, int p, boolean wholeBlock, int[] chosen, Tensor dqOut,
                 double[] dk, double[] dv) {
            qt.readRow(r, q, 0);
            dOut.readRow(r, dO, 0);
            fwd.out().readRow(r, o, 0);
            groupedWeights(s, q, scale, p, wholeBlock, chosen, weights);
            double dd = 0;
            for (int x = 0; x < d; x++) dd += (double) dO[x] * o[x];
            Arrays.fill(dq, 0);
            int cur = p / s.block, c0 = cur * s.block, c1 = wholeBlock ? Math.min(s.n, c0 + s.block) : p + 1;
            for (int t = c0; t < c1; t++) token(t, weights[t], dd, dk, dv);
            for (int j : chosen) {
                int j0 = j * s.block, jl = s.length(j);
                double pj = 0, dOoj = 0;
                for (int t = j0; t < j0 + jl; t++) {
                    pj += weights[t];
                    dOoj += weights[t] * dotDo(t);
                }
                if (pj == 0) continue;
                dOoj /= pj;                                       // dO . o_j
                for (int t = j0; t < j0 + jl; t++) token(t, weights[t], dOoj, dk, dv);
                double da = pj * (dOoj - dd) * scale;             // landmark logit, times scale
                for (int x = 0; x < d; x++) dq[x] += da * s.landmark(j, x);
                double share = da / jl;
                for (int t = j0; t < j0 + jl; t++) for (int x = 0; x < d; x++) dk[t * d + x] += share * q[x];
            }
            float[] row = new float[d];
            for (int x = 0; x < d; x++) row[x] = (float) dq[x];
            dqOut.writeRow(r, row, 0);
        }

        /** Token t with weight w whose softmax group's baseline is {@code base}: score gradient w (dO . v_t - base). */
        private void token(int t, double w, double base, double[] dk, double[] dv) {
            if (w == 0) return;
            double ds = w * (dotDo(t) - base) * scale;
            for (int x = 0; x < d; x++) {
                dq[x] += ds * s.key(t, x);
                dk[t * d + x] += ds * q[x];
                dv[t * d + x] += w * dO[x];
            }
        }

        private double dotDo(int t) {
            double z = 0;
            for (int x = 0; x < d; x++) z += (double) dO[x] * s.value(t, x);
            return z;
        }
    }

    // ---------------------------------------------------------------- decoding

    /** An empty cache for incremental decoding with this mechanism's block size. */
    public LandmarkCache newCache(int batch, int kvHeads, int headDim, int capacity) {
        return new LandmarkCache(batch, kvHeads, headDim, block, capacity);
    }

    /** The inference path for {@code q [B, Hq, Lq, D]}, the last Lq positions of the cache (bottom-right causal), scale {@code 1/sqrt(D)}. */
    public AttentionResult attend(Tensor q, LandmarkCache cache) {
        if (cache == null) throw new IllegalArgumentException("cache: expected a LandmarkCache, got null");
        return attend(q, cache, (float) (1.0 / Math.sqrt(cache.headDim())));
    }

    /** {@link #attend(Tensor, LandmarkCache)} with an explicit scale. */
    public AttentionResult attend(Tensor q, LandmarkCache cache, float scale) {
        if (cache == null) throw new IllegalArgumentException("cache: expected a LandmarkCache, got null");
        if (cache.block() != block) {
            throw new IllegalArgumentException("cache: expected a cache of blocks of " + block + " (this mechanism's block), got " + cache.block());
        }
        return cache.attend(q, scale, topK);
    }
}
