package dev.attend.nn.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MqarTest {
    @Test
    void pairsThenEachKeyQueriedOnceWithItsValueAsTarget() {
        Mqar task = new Mqar(8192, 256, 16, 1);
        for (int i = 0; i < 100; i++) {
            Example e = task.example(Split.TRAIN, i);
            int[] in = e.inputs();
            Set<Integer> keys = new HashSet<>(), values = new HashSet<>();
            for (int j = 0; j < 16; j++) {
                assertTrue(in[2 * j] >= 1 && in[2 * j] < 4096, "key " + in[2 * j]);
                assertTrue(in[2 * j + 1] >= 4096 && in[2 * j + 1] < 8192, "value " + in[2 * j + 1]);
                assertTrue(keys.add(in[2 * j]) && values.add(in[2 * j + 1]), "distinct keys and values");
            }
            Set<Integer> queried = new HashSet<>();
            for (int t = 0; t < 256; t++) {
                if (e.targets()[t] == Task.IGNORE) continue;
                assertTrue(t >= 32 && t % 2 == 0, "queries at even positions after the pairs: " + t);
                assertTrue(queried.add(in[t]) && keys.contains(in[t]), "each key queried once");
            }
            assertEquals(16, queried.size());
        }
    }

    @Test
    void bruteForceSolverRecoversEveryAnswer() {
        Mqar task = new Mqar(1024, 128, 8, 2);
        Batch batch = task.batch(Split.TEST, 0, 200);
        int[] predictions = new int[batch.inputs().length];
        for (int b = 0; b < batch.size(); b++) {
            int[] p = solve(Arrays.copyOfRange(batch.inputs(), b * 128, (b + 1) * 128), 8);
            System.arraycopy(p, 0, predictions, b * 128, 128);
        }
        Accuracy acc = new Accuracy().add(batch, predictions);
        assertEquals(1.0, acc.tokens());
        assertEquals(200 * 8, acc.answerCount());
    }

    /**
     * Predicts, at each position after the pairs, the value paired with the key read there (the model's job too: a
     * random filler may repeat a key, but the loss only asks at the true queries).
     */
    static int[] solve(int[] in, int pairs) {
        int[] out = new int[in.length];
        for (int t = 2 * pairs; t < in.length; t++) {
            for (int j = 0; j < pairs; j++) if (in[t] == in[2 * j]) out[t] = in[2 * j + 1];
        }
        return out;
    }

    @Test
    void querySlotsFollowThePowerLaw() {
        // One pair: its slot g in [0, S) has probability (g + 1)^(a - 1) / sum; S = (64 - 2) / 2 = 31.
        double a = 0.3;
        Mqar task = new Mqar(128, 64, 1, a, 3);
        int space = 31, n = 40_000;
        long[] seen = new long[space];
        for (int i = 0; i < n; i++) {
            int[] tg = task.example(Split.TRAIN, i).targets();
            for (int t = 0; t < 64; t++) if (tg[t] != Task.IGNORE) seen[(t - 2) / 2]++;
        }
        double total = 0;
        for (int g = 0; g < space; g++) total += Math.pow(g + 1, a - 1);
        for (int g = 0; g < space; g++) {
            double p = Math.pow(g + 1, a - 1) / total, expected = n * p, sd = Math.sqrt(n * p * (1 - p));
            assertTrue(Math.abs(seen[g] - expected) < 5 * sd, "slot " + g + ": " + seen[g] + " vs " + expected);
        }
        assertTrue(seen[0] > 5 * seen[space - 1]);
    }

    @Test
    void fillerPositionsAreRandomIds() {
        Mqar task = new Mqar(1024, 128, 8, 4);
        Set<Integer> fillers = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            Example e = task.example(Split.TRAIN, i);
            for (int t = 16; t < 128; t++) if (e.targets()[t] == Task.IGNORE) fillers.add(e.inputs()[t]);
        }
        assertTrue(fillers.size() > 500, "distinct filler ids: " + fillers.size());
        assertFalse(fillers.contains(-1));
    }

    @Test
    void tagIsTheDistanceFromKeyToQuery() {
        Example e = new Mqar(1024, 128, 8, 5).example(Split.TRAIN, 0);
        for (int t = 0; t < 128; t++) {
            if (e.targets()[t] == Task.IGNORE) continue;
            int key = 0;
            while (e.inputs()[key] != e.inputs()[t]) key += 2;
            assertEquals(t - key, e.tags()[t]);
        }
    }

    @Test
    void badSettingsAreRefusedByName() {
        assertEquals("seqLength: expected even and >= 4 x pairs = 64, got 60",
                assertThrows(IllegalArgumentException.class, () -> new Mqar(1024, 60, 16, 0)).getMessage());
        assertEquals("vocabSize: expected > seqLength = 128 (as Zoology), got 100",
                assertThrows(IllegalArgumentException.class, () -> new Mqar(100, 128, 8, 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Mqar(1024, 127, 8, 0));
        assertThrows(IllegalArgumentException.class, () -> new Mqar(1024, 128, 8, 0.0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Mqar(1024, 128, 0, 0));
    }
}
