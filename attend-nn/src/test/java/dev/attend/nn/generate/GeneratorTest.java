package dev.attend.nn.generate;

import dev.attend.nn.autograd.Var;
import dev.attend.nn.layers.DecoderLM;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generation: greedy is the argmax of a full forward pass, sampling is seeded, and top-k / top-p cut as defined. */
class GeneratorTest {
    private static final DecoderLM MODEL = new DecoderLM(new DecoderLM.Config(17, 16, 2, 2, 1, 32, 8, false, true, false, false, "flash", 4, 0.1f));

    @Test
    void greedyIsTheArgmaxOfTheWholeWindowAndSlidesPastMaxLen() {
        int[] prompt = {3, 1, 4, 1, 5};
        int[] out = new Generator(MODEL).generate(prompt, 10, Generator.Sampling.greedy());
        assertEquals(15, out.length);
        assertArrayEquals(prompt, Arrays.copyOf(out, 5));
        for (int n = 5; n < 15; n++) {
            int from = Math.max(0, n - 8), len = n - from;
            float[] logits;
            try (AutoCloseable s = Var.noGrad()) {
                logits = MODEL.logits(Arrays.copyOfRange(out, from, n), 1, len).data();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            float[] last = Arrays.copyOfRange(logits, (len - 1) * 17, len * 17);
            int best = 0;
            for (int i = 1; i < 17; i++) if (last[i] > last[best]) best = i;
            assertEquals(best, out[n], "token " + n);
        }
    }

    @Test
    void samplingIsSeededAndTopKOfOneIsGreedy() {
        int[] prompt = {2, 7};
        Generator g = new Generator(MODEL);
        int[] a = g.generate(prompt, 12, new Generator.Sampling(1.0, 0, 1, 5)), b = g.generate(prompt, 12, new Generator.Sampling(1.0, 0, 1, 5));
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, g.generate(prompt, 12, new Generator.Sampling(1.0, 0, 1, 6))), "another seed, another text");
        assertArrayEquals(g.generate(prompt, 12, Generator.Sampling.greedy()), g.generate(prompt, 12, new Generator.Sampling(1.5, 1, 1, 9)));
    }

    @Test
    void topKAndTopPKeepTheMostLikelyIdsAndSampleInProportion() {
        // softmax of these logits: 0.6, 0.3, 0.1 (ids 2, 0, 1), and ~0 for id 3
        float[] logits = {(float) Math.log(0.3), (float) Math.log(0.1), (float) Math.log(0.6), -40f};
        SplittableRandom r = new SplittableRandom(1);
        int[] counts = new int[4], topP = new int[4], topK = new int[4];
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            counts[Generator.choose(logits, new Generator.Sampling(1, 0, 1, 0), r)]++;
            topP[Generator.choose(logits, new Generator.Sampling(1, 0, 0.8, 0), r)]++;
            topK[Generator.choose(logits, new Generator.Sampling(1, 1, 1, 0), r)]++;
        }
        assertEquals(0.6, counts[2] / (double) n, 0.005);
        assertEquals(0.3, counts[0] / (double) n, 0.005);
        assertEquals(0.1, counts[1] / (double) n, 0.005);
        assertEquals(0, topP[1] + topP[3], "top-p 0.8 keeps ids 2 and 0 (0.9 of the mass)");
        assertEquals(2.0 / 3, topP[2] / (double) n, 0.005, "renormalised over what is kept");
        assertEquals(n, topK[2]);
        assertEquals(2, Generator.choose(logits, new Generator.Sampling(1, 0, 0.5, 0), r), "top-p below the most likely id's share");
        // a low temperature sharpens towards the argmax: p^(1/T) renormalised, 0.6^10 / (0.6^10 + 0.3^10 + 0.1^10) = 0.99902
        int sharp = 0;
        for (int i = 0; i < n; i++) if (Generator.choose(logits, new Generator.Sampling(0.1, 0, 1, 0), r) == 2) sharp++;
        double want = Math.pow(0.6, 10) / (Math.pow(0.6, 10) + Math.pow(0.3, 10) + Math.pow(0.1, 10));
        assertEquals(want, sharp / (double) n, 0.0005, "temperature 0.1: " + sharp + " of " + n);
    }

    @Test
    void badSettingsAreNamed() {
        Generator g = new Generator(MODEL);
        assertEquals("prompt: expected at least one token, got none",
                assertThrows(IllegalArgumentException.class, () -> g.generate(new int[0], 3, Generator.Sampling.greedy())).getMessage());
        assertEquals("prompt[1]: expected an id in [0, 17), got 17",
                assertThrows(IllegalArgumentException.class, () -> g.generate(new int[] {1, 17}, 3, Generator.Sampling.greedy())).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Generator.Sampling(-1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Generator.Sampling(1, -1, 1, 0));
        assertEquals("top-p: expected in (0, 1], got 0.0", assertThrows(IllegalArgumentException.class, () -> new Generator.Sampling(1, 0, 0, 0)).getMessage());
    }
}
