package dev.attend.attention;

import dev.attend.attention.mask.BlockMask;
import dev.attend.tensor.Tensor;

/**
 * Exact attention with FlashAttention-2's tiling: {@link FlashForward} (online softmax, saves the LSE)
 * and {@link FlashBackward} (recomputes P from the LSE). Time follows the mask's area: empty tiles are
 * never visited and full tiles skip mask work. Memory beyond inputs and outputs: a few tiles per
 * thread (forward), plus one dQ accumulator per thread (backward). Parameters: the forward tile size
 * ({@code blockQ x blockK}, default 96 x 96); the backward pass uses its own 96 x 192 tiles. Inputs may be any views whose last
 * dimension is contiguous (e.g. {@code [B, L, H, D]} permuted to {@code [B, H, L, D]}): rows are read in place.
 *
 * <p>Mechanisms that choose blocks from the data (routing, HyperAttention, landmarks, CCA, SALE) call
 * {@link #forward(AttentionProblem, BlockMask, IndexMap)}: flash over a {@link BlockMask#fromKvBlocks
 * block mask of their own}, optionally over gathered rows.
 */
public final class FlashAttention extends AttentionMechanism {
    public static final String NAME = "flash";

    static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, FlashAttention::new)
            .summary("Exact tiled attention (FlashAttention-2): SIMD, multi-threaded, any mask, score mods, backward")
            .param(Param.ofInt("blockQ", FlashForward.BLOCK_Q, 1, 1024, "query rows per forward tile (larger: fewer K/V reloads, more cache)"))
            .param(Param.ofInt("blockK", FlashForward.BLOCK_K, 1, 1024, "keys per forward tile (the score tile blockQ x blockK should stay in L1)"))
            .scoreMods(true).backward(true)
            .build();

    private final int blockQ, blockK;

    private FlashAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.blockQ = p.getInt("blockQ");
        this.blockK = p.getInt("blockK");
    }

    @Override
    protected AttentionResult compute(AttentionProblem problem) {
        return FlashForward.run(problem, FlashForward.compile(problem, blockQ, blockK), null, blockQ, blockK);
    }

    /**
     * Flash over data-chosen blocks: {@code blocks} (shaped {@code [B, Hq, Lq, Lk]} of the problem) says which
     * tiles each query block visits; PARTIAL tiles are masked by the problem's mask, FULL ones are trusted to
     * be entirely visible.
     */
    public AttentionResult forward(AttentionProblem problem, BlockMask blocks) {
        return forward(problem, blocks, null);
    }

    /**
     * Flash over gathered rows: {@code blocks} covers the gathered problem {@code [B, Hq, gathered Lq,
     * gathered Lk]}; the mask and score mod are evaluated at the original positions of {@code index}. The
     * result is in the gathered order. {@code index} null: as {@link #forward(AttentionProblem, BlockMask)}.
     */
    public AttentionResult forward(AttentionProblem problem, BlockMask blocks, IndexMap index) {
        require(problem);
        if (blocks == null) throw new IllegalArgumentException("blocks: expected a BlockMask, got null");
        if (index != null) index.validate(problem);
        int lq = index == null ? problem.lq() : index.queryCount(problem), lk = index == null ? problem.lk() : index.keyCount(problem);
        checkBlocks(problem, blocks, lq, lk);
        return FlashForward.run(problem, blocks, index, blockQ, blockK);
    }

    @Override
    protected Gradients computeBackward(AttentionProblem problem, AttentionResult forward, Tensor dOut) {
        return FlashBackward.run(problem, forward, dOut, FlashBackward.compile(problem));
    }

    /** Gradients over data-chosen blocks (no gathering): {@code blocks} as in {@link #forward(AttentionProblem, BlockMask)}. */
    public Gradients backward(AttentionProblem problem, AttentionResult forward, Tensor dOut, BlockMask blocks) {
        require(problem);
        checkBackwardInputs(problem, forward, dOut);
        if (blocks == null) throw new IllegalArgumentException("blocks: expected a BlockMask, got null");
        checkBlocks(problem, blocks, problem.lq(), problem.lk());
        return FlashBackward.run(problem, forward, dOut, blocks);
    }

    private static void checkBlocks(AttentionProblem p, BlockMask blocks, int lq, int lk) {
        if (blocks.batch() != p.batch() || blocks.heads() != p.hq() || blocks.lq() != lq || blocks.lk() != lk) {
            throw new IllegalArgumentException("blocks: expected a block mask over [B=" + p.batch() + ", Hq=" + p.hq() + ", Lq=" + lq
                    + ", Lk=" + lk + "], got [B=" + blocks.batch() + ", H=" + blocks.heads() + ", Lq=" + blocks.lq() + ", Lk=" + blocks.lk() + "]");
        }
        if (blocks.mask() != null && blocks.mask() != p.mask()) {
            throw new IllegalArgumentException("blocks: a compiled block mask must come from the problem's mask '" + p.mask().describe()
                    + "', got one compiled from '" + blocks.mask().describe() + "'");
        }
    }
}
