package dev.attend.attention.linear;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.tensor.Tensor;

/**
 * The input-independent maps of Deconstructing Attention (Xue et al. 2025, RndEmbQK): the attention map is computed
 * from fixed queries and keys that do not depend on the input, {@code out = softmax(scale Q0 K0^T + mask) V}, so the
 * caller's q and k are ignored and only v is mixed. {@code Q0 [Hq, Lq, D]} and {@code K0 [Hkv, Lk, D]} are standard
 * normal from {@code seed} (the same for every batch entry, as a fixed input would be): a token mixer with a fixed,
 * seeded map, measurable like any mechanism. It is flash on {@code (Q0, K0, v)}: any mask, score mods, GQA, a true
 * log-sum-exp of the fixed map, and a backward pass (dq = dk = 0: the map does not depend on them). FixedSeqQK
 * (Q and K from a fixed text through the layer's projections) and StaticEmbQK (from static token embeddings) differ
 * only in where the layer takes its queries and keys from; they belong to the layer (attend-nn) and call plain flash.
 */
public final class FixedMapAttention extends AttentionMechanism {
    public static final String NAME = "fixed-map";

    public static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, FixedMapAttention::new)
            .summary("Deconstructing Attention RndEmbQK: softmax map from fixed seeded random queries and keys (q, k ignored), mixes v")
            .param(Param.ofLong("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE, "seed of the fixed queries and keys"))
            .scoreMods(true).backward(true)
            .seeded("seed")
            .approximate()
            .build();

    private final long seed;

    private FixedMapAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.seed = p.getLong("seed");
    }

    private AttentionProblem fixed(AttentionProblem p) {
        Tensor q0 = broadcast(Tensor.randn(seed, 1, p.hq(), p.lq(), p.headDim()), p.batch());
        Tensor k0 = broadcast(Tensor.randn(seed ^ 0x9E3779B97F4A7C15L, 1, p.hkv(), p.lk(), p.headDim()), p.batch());
        return new AttentionProblem(q0, k0, p.v(), p.mask(), p.scoreMod(), p.scale());
    }

    /** {@code t [1, H, L, D]} repeated over {@code b} batch entries. */
    private static Tensor broadcast(Tensor t, int b) {
        if (b == 1) return t;
        Tensor out = Tensor.zeros(b, t.dim(1), t.dim(2), t.dim(3));
        float[] row = new float[(int) t.dim(3)];
        long rows = t.rows();
        for (int bi = 0; bi < b; bi++) {
            for (long r = 0; r < rows; r++) {
                t.readRow(r, row, 0);
                out.writeRow(bi * rows + r, row, 0);
            }
        }
        return out;
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        return Attention.flash().forward(fixed(p));
    }

    @Override
    protected Gradients computeBackward(AttentionProblem p, AttentionResult forward, Tensor dOut) {
        Gradients g = Attention.flash().backward(fixed(p), forward, dOut);
        return new Gradients(Tensor.zeros(p.q().shape()), Tensor.zeros(p.k().shape()), g.dv());
    }
}
