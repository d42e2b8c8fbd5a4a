package dev.attend.attention.recsys;

import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LAMA: each head's weights sum to 1 over the valid positions only, padding never matters, 2dK parameters. */
class LamaPoolingTest {

    @Test
    void rowsSumToOneOverValidPositionsAndPaddingWeighsNothing() {
        int d = 12, t = 20, k = 8;
        LamaPooling lama = LamaPooling.random(d, k, 1);
        Tensor h = Tensor.randn(2, 3, t, d);
        int[] valid = {20, 7, 1};
        Tensor a = lama.weights(h, valid);
        for (int b = 0; b < 3; b++) {
            for (int head = 0; head < k; head++) {
                double sum = 0;
                for (int i = 0; i < t; i++) {
                    float w = a.get(b, head, i);
                    if (i >= valid[b]) assertEquals(0f, w, "padding position " + i);
                    assertTrue(w >= 0);
                    sum += w;
                }
                assertEquals(1, sum, 1e-5, "batch " + b + " head " + head);
            }
        }
        Tensor changed = h.copy();
        for (int i = 7; i < t; i++) for (int x = 0; x < d; x++) changed.set(Float.NaN, 1, i, x);
        float[] before = lama.pool(h, valid).toArray(), after = lama.pool(changed, valid).toArray();
        assertArrayEquals(before, after, "the padding of entry 1 never reaches its pooled rows");
        assertEquals(2L * d * k, lama.parameters());
    }

    @Test
    void theFactorisedScoreIsTheBilinearOne() {
        // K = 1, d = 2: f_t = tanh((p . c)(q . h_t)), normalised over one head to sign(f_t); softmax of +-1.
        LamaPooling lama = LamaPooling.of(2, 1, new float[] {1, 0}, new float[] {0, 1});
        Tensor h = Tensor.of(new float[] {1, 2, 1, -1}, 1, 2, 2);   // c = (1, 0.5): p.c = 1; q.h = 2, -1
        Tensor a = lama.weights(h, new int[] {2});
        double e = Math.exp(2);
        assertEquals(e / (e + 1), a.get(0, 0, 0), 1e-6);
        assertEquals(1 / (e + 1), a.get(0, 0, 1), 1e-6);
    }

    @Test
    void badArgumentsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LamaPooling.random(8, 0, 1)).getMessage().startsWith("heads: expected at least 1"));
        LamaPooling lama = LamaPooling.random(4, 2, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> lama.weights(Tensor.randn(1, 1, 5, 4), new int[] {0}));
        assertEquals("valid[0]: expected a length in [1, 5], got 0", e.getMessage());
    }
}
