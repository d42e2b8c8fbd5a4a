package dev.attend.nn.layers;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.mask.Mask;
import dev.attend.nn.autograd.AttentionOp;
import dev.attend.nn.autograd.Rope;
import dev.attend.nn.autograd.Shapes;
import dev.attend.nn.autograd.Var;

import java.util.Random;

/**
 * Multi-head attention with grouped-query heads: x {@code [B, L, dim]} is projected to q ({@code heads} heads) and
 * k, v ({@code kvHeads} heads, a divisor of heads), each of {@code dim / heads}; optionally rotated by RoPE; the
 * heads are permuted to {@code [B, H, L, Dh]} as views (no copy) and handed to the attention mechanism named by a
 * registry spec ({@code "flash"}, {@code "flash:blockQ=64"}, ...) through {@link AttentionOp}; the output
 * projection brings them back to {@code dim}.
 */
public final class MultiHeadAttention extends Module {
    private final int heads, kvHeads, headDim;
    private final boolean rope;
    private final double ropeBase;
    private final AttentionMechanism mechanism;
    private final Linear q, k, v, o;

    public MultiHeadAttention(int dim, int heads, int kvHeads, boolean rope, double ropeBase, String mechanism, Random r) {
        if (heads < 1 || dim % heads != 0) throw new IllegalArgumentException("heads: must divide dModel " + dim + ", got " + heads);
        if (kvHeads < 1 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("kvHeads: must divide heads " + heads + " (GQA), got " + kvHeads);
        }
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = dim / heads;
        if (rope && headDim % 2 != 0) throw new IllegalArgumentException("rope: head dimension must be even, got " + headDim);
        this.rope = rope;
        this.ropeBase = ropeBase;
        this.mechanism = Attention.of(mechanism);
        this.q = child("q", new Linear(dim, heads * headDim, true, r));
        this.k = child("k", new Linear(dim, kvHeads * headDim, true, r));
        this.v = child("v", new Linear(dim, kvHeads * headDim, true, r));
        this.o = child("o", new Linear(heads * headDim, dim, true, r));
    }

    public AttentionMechanism mechanism() {
        return mechanism;
    }

    public Var forward(Var x, Mask mask) {
        int b = x.dim(0), l = x.dim(1);
        Var qs = Shapes.reshape(q.forward(x), b, l, heads, headDim);
        Var ks = Shapes.reshape(k.forward(x), b, l, kvHeads, headDim);
        Var vs = Shapes.reshape(v.forward(x), b, l, kvHeads, headDim);
        if (rope) {
            qs = Rope.rope(qs, null, ropeBase);
            ks = Rope.rope(ks, null, ropeBase);
        }
        Var a = AttentionOp.attention(Shapes.permute(qs, 0, 2, 1, 3), Shapes.permute(ks, 0, 2, 1, 3), Shapes.permute(vs, 0, 2, 1, 3),
                mechanism, mask, (float) (1 / Math.sqrt(headDim)));
        Var merged = Shapes.reshape(Shapes.permute(a, 0, 2, 1, 3), b, l, (long) heads * headDim);
        return o.forward(merged);
    }
}
