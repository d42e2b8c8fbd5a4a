package dev.attend.nn.layers;

import dev.attend.attention.mask.Mask;
import dev.attend.nn.autograd.Pointwise;
import dev.attend.nn.autograd.Var;

import java.util.Random;

/**
 * A pre-norm transformer block: {@code x + drop(attn(norm1(x)))}, then {@code + drop(mlp(norm2(.)))}; the two
 * dropouts use sites {@code site} and {@code site + 1} of the caller's {@link Dropout}.
 */
public final class TransformerBlock extends Module {
    private final LayerNorm norm1, norm2;
    private final MultiHeadAttention attn;
    private final Mlp mlp;

    public TransformerBlock(DecoderLM.Config c, Random r) {
        this.norm1 = child("norm1", new LayerNorm(c.dModel(), c.rmsNorm()));
        this.attn = child("attn", new MultiHeadAttention(c.dModel(), c.heads(), c.kvHeads(), c.rope(), 10000, c.attention(), r));
        this.norm2 = child("norm2", new LayerNorm(c.dModel(), c.rmsNorm()));
        this.mlp = child("mlp", new Mlp(c.dModel(), c.mlpHidden(), c.swiglu(), r));
    }

    public Var forward(Var x, Mask mask) {
        return forward(x, mask, Dropout.OFF, 0);
    }

    public Var forward(Var x, Mask mask, Dropout dropout, int site) {
        Var h = Pointwise.add(x, dropout.apply(attn.forward(norm1.forward(x), mask), site));
        return Pointwise.add(h, dropout.apply(mlp.forward(norm2.forward(h)), site + 1));
    }
}
