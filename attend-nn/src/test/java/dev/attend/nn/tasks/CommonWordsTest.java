package dev.attend.nn.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommonWordsTest {
    /** Counts the words before the question; the {@code common} most frequent, in order of first occurrence. */
    static List<Integer> solve(int[] in, int common) {
        Map<Integer, Integer> counts = new LinkedHashMap<>();
        for (int t = 0; in[t] != CommonWords.QUERY; t++) if (in[t] != CommonWords.PAD) counts.merge(in[t], 1, Integer::sum);
        List<Integer> byCount = new ArrayList<>(counts.keySet());
        byCount.sort((a, b) -> counts.get(b) - counts.get(a)); // stable: first occurrence among equal counts
        List<Integer> top = byCount.subList(0, common);
        assertTrue(counts.get(top.get(common - 1)) > counts.get(byCount.get(common)), "the common words stand out");
        List<Integer> ordered = new ArrayList<>();
        for (int w : counts.keySet()) if (top.contains(w)) ordered.add(w);
        return ordered;
    }

    @Test
    void bruteForceSolverAnswersEveryExample() {
        CommonWords task = new CommonWords(512, 200, 5, 6, 2, 1);
        for (int i = 0; i < 200; i++) {
            Example e = task.example(Split.TRAIN, i);
            List<Integer> answer = solve(e.inputs(), 5);
            int at = 200 - 5;
            assertEquals(CommonWords.ANSWER, e.inputs()[at]);
            for (int k = 0; k < 5; k++) assertEquals(answer.get(k), e.targets()[at + k]);
            assertEquals(5, e.answers());
        }
    }

    @Test
    void wordsOccurAsOftenAsSaid() {
        CommonWords task = new CommonWords(512, 200, 5, 6, 2, 2);
        int[] in = task.example(Split.TEST, 3).inputs();
        Map<Integer, Integer> counts = new LinkedHashMap<>();
        int pads = 0;
        for (int t = 0; in[t] != CommonWords.QUERY; t++) {
            if (in[t] == CommonWords.PAD) pads++;
            else counts.merge(in[t], 1, Integer::sum);
        }
        assertEquals(5 + task.uncommonWords(), counts.size());
        assertEquals(5, counts.values().stream().filter(c -> c == 6).count());
        assertEquals(task.uncommonWords(), counts.values().stream().filter(c -> c == 2).count());
        assertTrue(pads < 2);
    }

    @Test
    void refusals() {
        assertThrows(IllegalArgumentException.class, () -> new CommonWords(512, 200, 5, 2, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> new CommonWords(512, 20, 5, 6, 2, 0));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CommonWords(40, 200, 5, 6, 1, 0))
                .getMessage().startsWith("vocabSize: expected >= "));
    }
}
