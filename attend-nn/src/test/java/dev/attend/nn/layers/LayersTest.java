package dev.attend.nn.layers;

import dev.attend.attention.mask.Masks;
import dev.attend.nn.autograd.GradCheck;
import dev.attend.nn.autograd.Var;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole layers against finite differences, and the model's structure: names, seeds, tied head, chosen rows. */
class LayersTest {
    @Test
    void gqaAttentionWithRopeHasTheGradientOfItsFunction() {
        MultiHeadAttention mha = new MultiHeadAttention(16, 4, 2, true, 10000, "flash", new Random(1));
        GradCheck.check("mha", v -> mha.forward(v[0], Masks.causal()), GradCheck.randn(2, 2, 5, 16));
    }

    @Test
    void blocksWithSwiGluAndRmsNormHaveTheGradientOfTheirFunction() {
        DecoderLM.Config c = new DecoderLM.Config(7, 8, 1, 2, 1, 12, 8, true, false, true, true, "flash", 3, 0f);
        TransformerBlock b = new TransformerBlock(c, new Random(2));
        GradCheck.check("block", v -> b.forward(v[0], Masks.causal()), GradCheck.randn(3, 1, 4, 8));
    }

    @Test
    void theModelIsNamedSeededTiedAndComputesTheHeadAtChosenRows() throws Exception {
        DecoderLM.Config c = DecoderLM.Config.gpt(13, 8, 2, 2, 6, 5);
        DecoderLM a = new DecoderLM(c), b = new DecoderLM(c);
        Map<String, Var> pa = a.parameters();
        assertEquals(List.of("tok.weight", "pos.weight", "blocks.0.norm1.weight"), pa.keySet().stream().limit(3).toList());
        assertTrue(pa.keySet().stream().noneMatch(n -> n.startsWith("head")), "tied head has no weight of its own");
        for (var e : pa.entrySet()) assertArrayEquals(e.getValue().data(), b.parameters().get(e.getKey()).data(), e.getKey());
        int[] tokens = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        try (AutoCloseable s = Var.noGrad()) {
            float[] all = a.logits(tokens, 2, 6).data();
            float[] some = a.logitsAt(tokens, 2, 6, new int[] {7, 0}).data();
            for (int j = 0; j < 13; j++) {
                assertEquals(all[7 * 13 + j], some[j], 1e-6);
                assertEquals(all[j], some[13 + j], 1e-6);
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> a.logits(tokens, 2, 5));
        assertTrue(e.getMessage().startsWith("tokens: expected batch x len"), e.getMessage());
    }
}
