package dev.attend.attention.sparse;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.FlashAttention;
import dev.attend.attention.LseMerge;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.attention.Support;
import dev.attend.attention.mask.BlockMask;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * SALE (Ji et al. 2025, "Low-bit Estimation for Efficient Sparse Attention in Long-context LLM Prefilling"):
 * block-sparse attention whose key blocks are chosen per query block from int4 estimates of every score, by the
 * Relative Attention Score against exact statistics of the sink and local blocks.
 *
 * <p>Per (batch, head), with query blocks of {@code blockQ} rows and key blocks of {@code blockK} keys (the tiles
 * the problem's mask makes visible, FULL or PARTIAL):
 * <ol>
 *   <li><b>Quantise.</b> Q and K have their token mean subtracted and become per-token symmetric int4 (step
 *   {@code max|x - mean| / 7}, {@link Int4Scores}). Subtracting the key mean shifts every score of a row by
 *   {@code q_i . mean_k}, which the softmax ignores; the query mean changes scores by {@code mean_q . k_j}, which it
 *   does not, so that term is added back exactly (fp32, once per key: SmoothQ in the reference code), and so is
 *   {@code q_i . mean_k}: the estimate approximates the true score {@code q_i . k_j}.</li>
 *   <li><b>Sink and local, exact.</b> The first visible key block of the row (the attention sink) and the visible
 *   blocks overlapping the {@code window} keys before the query block's end (aligned bottom-right when
 *   {@code Lk > Lq}) go through flash: out and LSE {@code m_i + log l_i} of each row over them.</li>
 *   <li><b>Estimate and select.</b> Every other visible block is estimated with integer int4 dot products and kept
 *   when some (visible) entry has Relative Attention Score {@code exp(scale * s_est - m_i) / l_i > tau}, i.e.
 *   {@code scale * s_est > lse_i + ln(tau)}; the test stops at the first entry above.</li>
 *   <li><b>Sparse, exact.</b> Flash over the kept blocks, merged with the sink+local part by {@link LseMerge}. The
 *   flash kernel cannot start from given {@code (m, l, acc)}, so this is two calls and an exact merge (same result
 *   as continuing one online softmax, up to float rounding), not one continued pass.</li>
 * </ol>
 * At {@code tau = 0} every block with a finite estimate is kept: exact attention. Cost: the sink+local part is
 * {@code O(Lq (blockK + window) D)}, the estimate {@code 2 D} int16 operations per candidate score at most (16 lanes
 * per AVX2 vector, against 8 for fp32), the sparse part follows the kept area. {@link #run} says what was kept and
 * what each phase took.
 *
 * <p>Choices where the paper leaves them open or where Attend differs:
 * <ul>
 *   <li>Thresholds are <em>given</em>: one {@code tau} for every head, or one per head through
 *   {@link #run(AttentionProblem, double[])}. The paper calibrates per-head thresholds offline on a model's
 *   attention maps; a mechanism called on one problem has no calibration data, and a calibrated table is exactly
 *   what the per-head entry takes.</li>
 *   <li>Under a causal mask the means are over the first {@code blockQ} tokens, not the whole sequence: then no
 *   token influences an earlier query block (the CAB causality test holds at query-block boundaries, see below);
 *   without a causal mask they are over the whole sequence, as in the paper. Rows holding NaN or infinity are left
 *   out of the means, so a non-finite token cannot spoil every estimate.</li>
 *   <li>Selection is per query block, as in the paper: a block any row of the query block needs is visited by all of
 *   its rows (masked pairs stay masked). So a row's output can depend on later rows of its own query block, and on
 *   keys it cannot see through another row's selection; output[i] on the full input equals output[i] on
 *   {@code input[:t]} for every {@code t} that is a multiple of {@code blockQ} (and for every t at {@code tau = 0}).</li>
 *   <li>Score estimates ignore score mods, so none are accepted; head dimensions up to
 *   {@value Int4Scores#MAX_HEAD_DIM} (int16 accumulation of products of at most 49).</li>
 * </ul>
 */
public final class SaleAttention extends AttentionMechanism {
    public static final String NAME = "sale";

    public static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, SaleAttention::new)
            .summary("SALE: int4 estimates of every score pick key blocks by Relative Attention Score against sink + local; block-sparse flash")
            .param(Param.ofDouble("tau", 0.004, 0, 1e6, "Relative Attention Score threshold: a key block is kept when an entry's estimated weight "
                    + "exceeds tau times the row's sink+local mass (0 keeps every block: exact)"))
            .param(Param.ofInt("blockQ", 64, 1, 1024, "query rows per selection block"))
            .param(Param.ofInt("blockK", 32, 1, 1024, "keys per selection block"))
            .param(Param.ofInt("window", 128, 0, 1 << 20, "local window: the key blocks overlapping the window keys before the query block's end are exact"))
            .scoreMods(false)
            .masks(MaskSupport.ANY)
            .approximate("tau", false)
            .build();

    private final double tau;
    private final int blockQ, blockK, window;

    private SaleAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.tau = p.getDouble("tau");
        this.blockQ = p.getInt("blockQ");
        this.blockK = p.getInt("blockK");
        this.window = p.getInt("window");
    }

    @Override
    protected Support check(AttentionProblem p) {
        if (p.headDim() > Int4Scores.MAX_HEAD_DIM) {
            return Support.no("head dim: expected at most " + Int4Scores.MAX_HEAD_DIM + " (int4 dot products accumulate in int16), got " + p.headDim());
        }
        return Support.YES;
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        return execute(p, uniform(p.hq())).result();
    }

    /**
     * What one call did: the result, the key blocks the estimate kept per row {@code (b * Hq + h) * qBlocks + qb}
     * (ascending; the sink and local blocks are not listed), tile counts, and nanoseconds per phase.
     *
     * @param exactTiles sink + local tiles (computed exactly for every query block)
     * @param candidateTiles the other visible tiles (estimated)
     * @param selectedTiles candidates kept
     * @param candidateScores (query, key) pairs in the candidate tiles: what the estimate computes at most
     */
    public record Run(AttentionResult result, int[][] selected, int qBlocks, long exactTiles, long candidateTiles, long selectedTiles,
                      long candidateScores, long quantiseNanos, long exactNanos, long estimateNanos, long sparseNanos, long mergeNanos) {
        /** Fraction of the candidate tiles kept (0 when there are none). */
        public double density() {
            return candidateTiles == 0 ? 0 : (double) selectedTiles / candidateTiles;
        }

        /** Quantisation and estimation: the overhead over a flash call on the chosen blocks. */
        public long overheadNanos() {
            return quantiseNanos + estimateNanos;
        }
    }

    /** {@link #forward} with what it did. */
    public Run run(AttentionProblem p) {
        require(p);
        return execute(p, uniform(p.hq()));
    }

    /**
     * {@link #run} with one threshold per query head (e.g. calibrated offline), each in [0, 1e6]; the {@code tau}
     * parameter is then unused.
     */
    public Run run(AttentionProblem p, double[] tauPerHead) {
        require(p);
        if (tauPerHead == null || tauPerHead.length != p.hq()) {
            throw new IllegalArgumentException("tauPerHead: expected " + p.hq() + " thresholds (one per query head), got "
                    + (tauPerHead == null ? "null" : tauPerHead.length));
        }
        for (int h = 0; h < tauPerHead.length; h++) {
            if (!(tauPerHead[h] >= 0 && tauPerHead[h] <= 1e6)) {
                throw new IllegalArgumentException("tauPerHead[" + h + "]: expected a number in [0, 1e6], got " + tauPerHead[h]);
            }
        }
        return execute(p, tauPerHead.clone());
    }

    private double[] uniform(int heads) {
        double[] t = new double[heads];
        Arrays.fill(t, tau);
        return t;
    }

    // ---------------------------------------------------------------- the four phases

    private Run execute(AttentionProblem p, double[] tauPerHead) {
        FlashAttention flash = Attention.flash();
        BlockMask visible = p.mask().compile(p.batch(), p.hq(), p.lq(), p.lk(), blockQ, blockK);
        Plan plan = plan(p, visible);

        long t0 = System.nanoTime();
        Quantised qz = quantise(p);
        long t1 = System.nanoTime();
        AttentionResult exact = flash.forward(p, BlockMask.fromKvBlocks(p.batch(), p.hq(), p.lq(), p.lk(), blockQ, blockK,
                plan.exactFull, plan.exactPartial));
        long t2 = System.nanoTime();
        int[][] selected = select(p, visible, plan, qz, exact.lse().toArray(), tauPerHead);
        long t3 = System.nanoTime();

        int[][] full = new int[selected.length][], partial = new int[selected.length][];
        long kept = 0;
        for (int r = 0; r < selected.length; r++) {
            int[] s = selected[r];
            int nf = 0;
            for (int e : s) nf += e & 1;
            full[r] = new int[nf];
            partial[r] = new int[s.length - nf];
            for (int i = 0, f = 0, q = 0; i < s.length; i++) {
                if ((s[i] & 1) != 0) full[r][f++] = s[i] >>> 1;
                else partial[r][q++] = s[i] >>> 1;
            }
            kept += s.length;
            selected[r] = Arrays.stream(s).map(e -> e >>> 1).toArray();
        }
        AttentionResult result = exact;
        long t4 = t3, t5 = t3;
        if (kept > 0) {
            AttentionResult rest = flash.forward(p, BlockMask.fromKvBlocks(p.batch(), p.hq(), p.lq(), p.lk(), blockQ, blockK, full, partial));
            t4 = System.nanoTime();
            result = LseMerge.merge(exact, rest);
            t5 = System.nanoTime();
        }
        return new Run(result, selected, visible.qBlocks(), plan.exactTiles, plan.candidateTiles, kept, plan.candidateScores,
                t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4);
    }

    /**
     * Which visible tiles of each row are exact (sink, local) and which are candidates, as entries {@code kb << 1 | full}.
     * A mask shared by every (b, h) is planned once and its arrays shared.
     */
    private record Plan(int[][] exactFull, int[][] exactPartial, int[][] candidates, long exactTiles, long candidateTiles, long candidateScores) {}

    private Plan plan(AttentionProblem p, BlockMask visible) {
        int qBlocks = visible.qBlocks(), heads = p.batch() * p.hq(), rows = heads * qBlocks;
        int[][] exactFull = new int[rows][], exactPartial = new int[rows][], candidates = new int[rows][];
        long exactTiles = 0, candidateTiles = 0, candidateScores = 0;
        int shift = Math.max(0, p.lk() - p.lq());   // bottom-right alignment of the local window for Lk > Lq
        for (int bh = 0; bh < heads; bh++) {
            int b = bh / p.hq(), h = bh % p.hq();
            for (int qb = 0; qb < qBlocks; qb++) {
                int r = bh * qBlocks + qb;
                if (visible.isShared() && bh > 0) {
                    exactFull[r] = exactFull[qb];
                    exactPartial[r] = exactPartial[qb];
                    candidates[r] = candidates[qb];
                } else {
                    int n = visible.count(b, h, qb);
                    int end = Math.min(p.lk(), Math.min(p.lq(), (qb + 1) * blockQ) + shift);
                    long start = (long) end - window;
                    int[] ef = new int[n], ep = new int[n], c = new int[n];
                    int nf = 0, np = 0, nc = 0;
                    for (int i = 0; i < n; i++) {
                        int kb = visible.kBlock(b, h, qb, i);
                        boolean isFull = visible.isFull(b, h, qb, i);
                        long k0 = (long) kb * blockK, k1 = k0 + blockK;
                        boolean local = k0 < end && k1 > start && window > 0;
                        if (i == 0 || local) {
                            if (isFull) ef[nf++] = kb;
                            else ep[np++] = kb;
                        } else {
                            c[nc++] = kb << 1 | (isFull ? 1 : 0);
                        }
                    }
                    exactFull[r] = Arrays.copyOf(ef, nf);
                    exactPartial[r] = Arrays.copyOf(ep, np);
                    candidates[r] = Arrays.copyOf(c, nc);
                }
                int rowsInBlock = Math.min(p.lq(), (qb + 1) * blockQ) - qb * blockQ;
                exactTiles += exactFull[r].length + exactPartial[r].length;
                candidateTiles += candidates[r].length;
                for (int e : candidates[r]) {
                    int k0 = (e >>> 1) * blockK;
                    candidateScores += (long) rowsInBlock * (Math.min(p.lk(), k0 + blockK) - k0);
                }
            }
        }
        return new Plan(exactFull, exactPartial, candidates, exactTiles, candidateTiles, candidateScores);
    }

    /**
     * The int4 rows and the fp32 terms of every estimate, per (b, kv head) and (b, q head), all scaled so that
     * {@code scale * s_est(i, j) = a[i] * dk[j] * dot(Q4_i, K4_j) + bias[j] + c[i]}.
     */
    private record Quantised(short[][] k4, float[][] dk, short[][] q4, float[][] a, float[][] c, float[][] bias) {}

    private Quantised quantise(AttentionProblem p) {
        int d = p.headDim(), lq = p.lq(), lk = p.lk(), group = p.hq() / p.hkv();
        boolean causal = p.mask().isCausal(p.batch(), p.hq(), lq, lk);
        int qMeanRows = causal ? Math.min(lq, blockQ) : lq, kMeanRows = causal ? Math.min(lk, blockQ) : lk;
        float scale = p.scale();
        int kvHeads = p.batch() * p.hkv();
        short[][] k4 = new short[kvHeads][], q4 = new short[p.batch() * p.hq()][];
        float[][] dk = new float[kvHeads][], a = new float[q4.length][], c = new float[q4.length][], bias = new float[q4.length][];
        AtomicInteger next = new AtomicInteger();
        Parallel.run(kvHeads, (w, workers) -> {
            float[] kRows = new float[lk * d], qRows = new float[lq * d];
            for (int bk; (bk = next.getAndIncrement()) < kvHeads; ) {
                read(p.k(), (long) bk * lk, lk, d, kRows);
                float[] muK = Int4Scores.finiteMean(kRows, kMeanRows, d);
                k4[bk] = new short[lk * d];
                dk[bk] = new float[lk];
                Int4Scores.quantise(kRows, lk, d, muK, k4[bk], dk[bk]);
                int b = bk / p.hkv(), hk = bk % p.hkv();
                for (int h = hk * group; h < (hk + 1) * group; h++) {
                    int bh = b * p.hq() + h;
                    read(p.q(), (long) bh * lq, lq, d, qRows);
                    float[] muQ = Int4Scores.finiteMean(qRows, qMeanRows, d);
                    q4[bh] = new short[lq * d];
                    a[bh] = new float[lq];
                    c[bh] = new float[lq];
                    bias[bh] = new float[lk];
                    Int4Scores.quantise(qRows, lq, d, muQ, q4[bh], a[bh]);
                    for (int i = 0; i < lq; i++) {
                        a[bh][i] *= scale;
                        c[bh][i] = scale * dot(qRows, i * d, muK, d);
                    }
                    for (int j = 0; j < lk; j++) {
                        double s = 0;
                        for (int x = 0; x < d; x++) s += (double) muQ[x] * (kRows[j * d + x] - muK[x]);
                        bias[bh][j] = (float) (scale * s);
                    }
                }
            }
        });
        return new Quantised(k4, dk, q4, a, c, bias);
    }

    private static void read(Tensor t, long firstRow, int rows, int d, float[] dst) {
        for (int r = 0; r < rows; r++) t.readRow(firstRow + r, dst, r * d);
    }

    private static float dot(float[] x, int off, float[] y, int d) {
        double s = 0;
        for (int i = 0; i < d; i++) s += (double) x[off + i] * y[i];
        return (float) s;
    }

    /**
     * The candidates each row keeps, as entries {@code kb << 1 | full}. Work items are (b, h, query block), the last
     * query blocks first (under a causal mask they have the most candidates); each writes only its own row.
     */
    private int[][] select(AttentionProblem p, BlockMask visible, Plan plan, Quantised qz, float[] lse, double[] tauPerHead) {
        int qBlocks = visible.qBlocks(), heads = p.batch() * p.hq(), items = heads * qBlocks;
        int d = p.headDim(), lq = p.lq(), lk = p.lk(), group = p.hq() / p.hkv();
        int[][] selected = new int[items][];
        AtomicInteger next = new AtomicInteger();
        Parallel.run(items, (w, workers) -> {
            short[] qT = new short[d * Int4Scores.CHUNK];
            float[] a = new float[Int4Scores.CHUNK], t = new float[Int4Scores.CHUNK];
            short[] scratch = new short[Int4Scores.SCRATCH];
            int[] keep = new int[visible.kBlocks()];
            for (int i; (i = next.getAndIncrement()) < items; ) {
                int qb = qBlocks - 1 - i / heads, bh = i % heads, r = bh * qBlocks + qb;
                int b = bh / p.hq(), h = bh % p.hq(), bk = b * p.hkv() + h / group;
                int[] cand = plan.candidates[r];
                if (cand.length == 0) {
                    selected[r] = new int[0];
                    continue;
                }
                float logTau = (float) Math.log(tauPerHead[h]);   // -inf at tau = 0: every finite estimate passes
                boolean[] chosen = new boolean[cand.length];
                int q0 = qb * blockQ, q1 = Math.min(lq, q0 + blockQ);
                for (int c0 = q0; c0 < q1; c0 += Int4Scores.CHUNK) {
                    int nq = Math.min(Int4Scores.CHUNK, q1 - c0);
                    Arrays.fill(qT, (short) 0);
                    Arrays.fill(a, 0f);
                    Arrays.fill(t, Float.POSITIVE_INFINITY);
                    for (int lane = 0; lane < nq; lane++) {
                        int qi = c0 + lane;
                        for (int x = 0; x < d; x++) qT[x * Int4Scores.CHUNK + lane] = qz.q4[bh][qi * d + x];
                        a[lane] = qz.a[bh][qi];
                        t[lane] = lse[bh * lq + qi] + logTau - qz.c[bh][qi];
                    }
                    for (int ci = 0; ci < cand.length; ci++) {
                        if (chosen[ci]) continue;
                        int kb = cand[ci] >>> 1, j0 = kb * blockK, nk = Math.min(blockK, lk - j0);
                        chosen[ci] = (cand[ci] & 1) != 0
                                ? Int4Scores.anyAbove(qT, qz.k4[bk], d, j0, nk, a, t, qz.dk[bk], qz.bias[bh], scratch)
                                : anyVisibleAbove(p, b, h, c0, nq, j0, nk, qT, qz.k4[bk], d, a, t, qz.dk[bk], qz.bias[bh]);
                    }
                }
                int n = 0;
                for (int ci = 0; ci < cand.length; ci++) if (chosen[ci]) keep[n++] = cand[ci];
                selected[r] = Arrays.copyOf(keep, n);
            }
        });
        return selected;
    }

    /** The tile test for a PARTIAL tile: only pairs the mask shows may select it. Scalar; such tiles are few. */
    private static boolean anyVisibleAbove(AttentionProblem p, int b, int h, int c0, int nq, int j0, int nk, short[] qT, short[] k4,
                                           int d, float[] a, float[] t, float[] dk, float[] bias) {
        for (int lane = 0; lane < nq; lane++) {
            for (int j = j0; j < j0 + nk; j++) {
                if (!p.mask().visible(b, h, c0 + lane, j, p.lq(), p.lk())) continue;
                if (Int4Scores.estimate(qT, lane, k4, d, j, a[lane], dk[j], bias[j]) > t[lane]) return true;
            }
        }
        return false;
    }
}
