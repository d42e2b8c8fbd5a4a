package dev.attend.attention;

import dev.attend.attention.mask.BlockMask;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * A test mechanism that uses the API the way the sparse mechanisms will: approximate, seeded, restricted
 * capabilities, flash over blocks it chooses itself ({@link BlockMask#fromKvBlocks}). Each query block keeps
 * its diagonal block and every other visible key block with probability {@code keep}; at {@code keep=1} it is
 * exact. Registered only by the tests ({@link #ensureRegistered}).
 */
final class SampledBlocksAttention extends AttentionMechanism {
    static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder("test-sampled-blocks", SampledBlocksAttention::new)
            .summary("Test fixture: flash over a seeded random sample of key blocks")
            .param(Param.ofDouble("keep", 0.5, 0, 1, "fraction of off-diagonal key blocks kept"))
            .param(Param.ofInt("block", 32, 8, 256, "tokens per block"))
            .param(Param.ofLong("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE, "random seed"))
            .patterns(Pattern.NONCAUSAL_SELF, Pattern.CAUSAL_SELF)
            .masks(MaskSupport.listed("full", "causal"))
            .gqa(false)
            .approximate("keep", true)
            .seeded("seed")
            .build();

    private static boolean registered;

    static synchronized void ensureRegistered() {
        if (!registered) Attention.register(DESCRIPTOR);
        registered = true;
    }

    private SampledBlocksAttention(MechanismDescriptor d, Params p) {
        super(d, p);
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        double keep = params().getDouble("keep");
        int block = params().getInt("block"), nb = (p.lq() + block - 1) / block;
        boolean causal = p.mask().kind().orElse("").equals("causal");
        int rows = p.batch() * p.hq() * nb;
        int[][] full = new int[rows][], partial = new int[rows][];
        for (int r = 0; r < rows; r++) {
            int qb = r % nb;
            SplittableRandom rnd = new SplittableRandom(params().getLong("seed") * 31 + r);
            java.util.List<Integer> kept = new java.util.ArrayList<>();
            for (int kb = 0; kb < (causal ? qb : nb); kb++) if (kb == qb || rnd.nextDouble() < keep) kept.add(kb);
            full[r] = kept.stream().mapToInt(Integer::intValue).toArray();
            partial[r] = causal ? new int[] {qb} : new int[0];
        }
        BlockMask blocks = BlockMask.fromKvBlocks(p.batch(), p.hq(), p.lq(), p.lk(), block, block, full, partial);
        return Attention.flash().forward(p, blocks);
    }

    static Map<String, Object> exactParams() {
        return Map.of("keep", 1.0);
    }
}
