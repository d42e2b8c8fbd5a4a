package dev.attend.attention.sparse;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.FlashAttention;
import dev.attend.attention.IndexMap;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.attention.Support;
import dev.attend.attention.mask.BlockMask;
import dev.attend.tensor.Tensor;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * Mixture-of-Head attention, the attention side (Jin et al. 2024, MoH): each head computes only the query rows whose
 * (token, head) pair is active, and its output rows are scaled by their gates; inactive rows output 0. Cost falls with
 * the number of active pairs: flash runs over the gathered active rows of each head only.
 *
 * <p>Which pairs are active and their weights are data: {@link #forward(AttentionProblem, float[])} takes gates
 * {@code [B, Hq, Lq]} from whatever computes them (a layer's learned router); {@link #forward(AttentionProblem)} routes by
 * {@link MohRouter} from the queries (MoH-LLaMA3's parameter-free router on {@code ||q_head||}, or a uniform one):
 * {@code shared} heads always on, {@code ceil(active * (Hq - shared))} routed heads per token, gates 1 on the active pairs
 * ({@code gating=binary}: head skipping) or MoH's two-stage weights ({@code gating=moh}).
 *
 * <p>The kernel: per (b, h) the active rows, ascending, become one row of an {@link IndexMap} (read in place, no copy). An
 * index map's rows all have the length of the busiest head, so shorter heads are padded with copies of their last
 * active row, and gathered query blocks made only of padding list no key blocks (they cost nothing); a block that mixes
 * real and padded rows computes the copies (at most {@code blockQ - 1} wasted rows per head). Each gathered query block
 * visits the union of the key blocks the problem's mask shows to the original query blocks its rows come from: FULL when
 * FULL in all of them, else PARTIAL (masked at the original positions by the kernel). When every pair is active it is
 * plain flash. Outputs are scattered back and scaled by the gate.
 *
 * <p>LSE: the log-sum-exp of each active row's softmax (before gating), {@code -inf} for inactive rows. The output is linear
 * in the gates, so {@link Gated#gateGradient} is exact; gradients with respect to q, k and v are not provided (no backward).
 */
public final class MohAttention extends AttentionMechanism {
    public static final String NAME = "moh";
    /** Gathered tiles: the flash kernel's default tile, so a gathered block is one kernel tile. */
    static final int BLOCK_Q = 96, BLOCK_K = 96;

    public static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, MohAttention::new)
            .summary("Mixture-of-Head attention: shared + top-k routed heads per token, flash over each head's active rows only")
            .param(Param.ofInt("shared", 0, 0, 1024, "shared heads (the first ones), always active; at most Hq"))
            .param(Param.ofDouble("active", 0.5, 0, 1, "fraction of the routed heads each token uses: top ceil(active * routed) by the router"))
            .param(Param.ofChoice("router", "norm", List.of("norm", "uniform"), "router logits: the query row's L2 norm (MoH-LLaMA3, parameter-free) or 0"))
            .param(Param.ofChoice("gating", "binary", List.of("binary", "moh"), "weights of active pairs: 1, or MoH's two-stage gates"))
            .scoreMods(true)
            .masks(MaskSupport.ANY)
            .approximate("active", true)
            .build();

    private final int shared;
    private final double active;
    private final MohRouter.Kind router;
    private final boolean mohGates;

    private MohAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.shared = p.getInt("shared");
        this.active = p.getDouble("active");
        this.router = p.getChoice("router").equals("norm") ? MohRouter.Kind.NORM : MohRouter.Kind.UNIFORM;
        this.mohGates = p.getChoice("gating").equals("moh");
    }

    @Override
    protected Support check(AttentionProblem p) {
        if (shared > p.hq()) return Support.no("shared: expected at most Hq=" + p.hq() + " shared heads, got " + shared);
        return Support.YES;
    }

    /** Routed heads per token for {@code heads} query heads. */
    public int topK(int heads) {
        int routed = heads - shared;
        return Math.max(0, Math.min(routed, (int) Math.ceil(active * routed - 1e-9)));
    }

    /** The routing {@link #forward(AttentionProblem)} uses. */
    public MohRouter.Routing route(AttentionProblem p) {
        require(p);
        return MohRouter.route(p.q(), shared, topK(p.hq()), router);
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        MohRouter.Routing r = MohRouter.route(p.q(), shared, topK(p.hq()), router);
        return run(p, mohGates ? r.gates() : r.binaryGates()).result();
    }

    /**
     * The gated result and what the gradient needs. {@code rows[b * Hq + h]} lists the active query rows of (b, h)
     * ascending (null when every row of every head is active), {@code attention} is the ungated output of the gathered
     * rows {@code [B, Hq, gathered, D]} (or {@code [B, Hq, Lq, D]} when all are active).
     */
    public record Gated(AttentionResult result, float[] gates, int[][] rows, Tensor attention) {
        /**
         * {@code d sum(dOut * out) / d gate}, {@code [B, Hq, Lq]} flattened: the ungated output row dotted with dOut's row.
         * Inactive pairs get 0: their row was not computed (as in MoH, where top-k leaves an unselected head's gate without
         * gradient).
         */
        public float[] gateGradient(Tensor dOut) {
            long[] shape = result.out().shape();
            if (dOut == null || !Arrays.equals(dOut.shape(), shape)) {
                throw new IllegalArgumentException("dOut: expected shape " + Arrays.toString(shape) + ", got "
                        + (dOut == null ? "null" : Arrays.toString(dOut.shape())));
            }
            int heads = (int) (shape[0] * shape[1]), lq = (int) shape[2], d = (int) shape[3];
            float[] grad = new float[heads * lq], a = new float[d], g = new float[d];
            long gathered = attention.dim(2);
            for (int bh = 0; bh < heads; bh++) {
                int n = rows == null ? lq : rows[bh].length;
                for (int r = 0; r < n; r++) {
                    int i = rows == null ? r : rows[bh][r];
                    attention.readRow((long) bh * gathered + r, a, 0);
                    dOut.readRow((long) bh * lq + i, g, 0);
                    double s = 0;
                    for (int x = 0; x < d; x++) s += (double) a[x] * g[x];
                    grad[bh * lq + i] = (float) s;
                }
            }
            return grad;
        }
    }

    /** Attention of the active pairs only, scaled by {@code gates [B, Hq, Lq]} (flattened; 0 = inactive). */
    public AttentionResult forward(AttentionProblem p, float[] gates) {
        return run(p, gates).result();
    }

    /** {@link #forward(AttentionProblem, float[])} with the ungated rows kept for {@link Gated#gateGradient}. */
    public Gated run(AttentionProblem p, float[] gates) {
        require(p);
        int heads = p.batch() * p.hq(), lq = p.lq(), d = p.headDim();
        if (gates == null || gates.length != heads * lq) {
            throw new IllegalArgumentException("gates: expected B * Hq * Lq = " + heads * lq + " values, got " + (gates == null ? "null" : gates.length));
        }
        for (int x = 0; x < gates.length; x++) {
            if (!Float.isFinite(gates[x])) throw new IllegalArgumentException("gates[" + x + "]: expected a finite number, got " + gates[x]);
        }
        FlashAttention flash = Attention.flash();
        int[][] rows = new int[heads][];
        int most = 0;
        boolean all = true;
        for (int bh = 0; bh < heads; bh++) {
            int n = 0;
            for (int i = 0; i < lq; i++) if (gates[bh * lq + i] != 0f) n++;
            rows[bh] = new int[n];
            for (int i = 0, r = 0; i < lq; i++) if (gates[bh * lq + i] != 0f) rows[bh][r++] = i;
            most = Math.max(most, n);
            all &= n == lq;
        }
        Tensor out = Tensor.zeros(p.batch(), p.hq(), lq, d), lse = Tensor.zeros(p.batch(), p.hq(), lq);
        if (most == 0) {
            for (long r = 0; r < (long) heads * lq; r++) lse.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, r, Float.NEGATIVE_INFINITY);
            return new Gated(new AttentionResult(out, lse, AttentionResult.Stats.NONE), gates.clone(), rows, Tensor.zeros(p.batch(), p.hq(), 1, d));
        }
        AttentionResult attn = all ? flash.forward(p) : flash.forward(p, gatheredBlocks(p, rows, most), new IndexMap(padded(rows, most, lq), null));
        int[][] listed = all ? null : rows;
        float[] row = new float[d];
        long gathered = attn.out().dim(2);
        for (int bh = 0; bh < heads; bh++) {
            for (long i = 0; i < lq; i++) lse.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) bh * lq + i, Float.NEGATIVE_INFINITY);
            for (int r = 0; r < rows[bh].length; r++) {
                int i = rows[bh][r];
                float g = gates[bh * lq + i];
                attn.out().readFloats(((long) bh * gathered + r) * d, row, 0, d);
                for (int x = 0; x < d; x++) row[x] *= g;
                out.writeFloats(((long) bh * lq + i) * d, row, 0, d);
                float l = attn.lse().segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) bh * gathered + r);
                lse.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) bh * lq + i, l);
            }
        }
        return new Gated(new AttentionResult(out, lse, attn.stats()), gates.clone(), listed, attn.out());
    }

    /** Each head's active rows padded to {@code length} with its last active row (row 0 for a head with none). */
    private static int[][] padded(int[][] rows, int length, int lq) {
        int[][] q = new int[rows.length][];
        for (int bh = 0; bh < rows.length; bh++) {
            q[bh] = Arrays.copyOf(rows[bh], length);
            int n = rows[bh].length, fill = n == 0 ? 0 : rows[bh][n - 1];
            Arrays.fill(q[bh], n, length, fill);
        }
        return q;
    }

    /**
     * The key blocks of each gathered query block: the union over the original query blocks its real rows come from
     * (padding rows copy the last real one, so they need nothing more), FULL only where FULL in every one of them.
     */
    private static BlockMask gatheredBlocks(AttentionProblem p, int[][] rows, int length) {
        BlockMask orig = p.mask().compile(p.batch(), p.hq(), p.lq(), p.lk(), BLOCK_Q, BLOCK_K);
        int gBlocks = (length + BLOCK_Q - 1) / BLOCK_Q, kBlocks = orig.kBlocks();
        int[][] full = new int[rows.length * gBlocks][], partial = new int[rows.length * gBlocks][];
        int[] state = new int[kBlocks];   // 0: not visited, 1: FULL so far, 2: PARTIAL
        int[] touched = new int[kBlocks];
        for (int bh = 0; bh < rows.length; bh++) {
            int b = bh / p.hq(), h = bh % p.hq(), n = rows[bh].length;
            for (int gb = 0; gb < gBlocks; gb++) {
                int r = bh * gBlocks + gb, g0 = gb * BLOCK_Q, g1 = Math.min(n, g0 + BLOCK_Q);
                if (g0 >= n) {
                    full[r] = new int[0];
                    partial[r] = new int[0];
                    continue;
                }
                int nt = 0;
                int first = rows[bh][g0] / BLOCK_Q, last = rows[bh][g1 - 1] / BLOCK_Q;
                for (int ob = first; ob <= last; ob++) {
                    for (int t = 0, c = orig.count(b, h, ob); t < c; t++) {
                        int kb = orig.kBlock(b, h, ob, t);
                        int s = orig.isFull(b, h, ob, t) ? 1 : 2;
                        if (state[kb] == 0) touched[nt++] = kb;
                        state[kb] = Math.max(state[kb], ob == first || state[kb] != 0 ? s : 2);
                    }
                    // A key block this original block does not show is PARTIAL for the gathered block if another one does.
                    if (ob > first) {
                        for (int x = 0; x < nt; x++) if (!lists(orig, b, h, ob, touched[x])) state[touched[x]] = 2;
                    }
                }
                int nf = 0;
                for (int x = 0; x < nt; x++) if (state[touched[x]] == 1) nf++;
                full[r] = new int[nf];
                partial[r] = new int[nt - nf];
                for (int x = 0, f = 0, q = 0; x < nt; x++) {
                    int kb = touched[x];
                    if (state[kb] == 1) full[r][f++] = kb;
                    else partial[r][q++] = kb;
                    state[kb] = 0;
                }
            }
        }
        return BlockMask.fromKvBlocks(p.batch(), p.hq(), length, p.lk(), BLOCK_Q, BLOCK_K, full, partial);
    }

    /** Whether original query block {@code ob} lists key block {@code kb} (lists are ascending: binary search). */
    private static boolean lists(BlockMask m, int b, int h, int ob, int kb) {
        int lo = 0, hi = m.count(b, h, ob) - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1, v = m.kBlock(b, h, ob, mid);
            if (v == kb) return true;
            if (v < kb) lo = mid + 1;
            else hi = mid - 1;
        }
        return false;
    }
}
