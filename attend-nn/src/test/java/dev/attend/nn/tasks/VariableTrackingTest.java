package dev.attend.nn.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VariableTrackingTest {
    /** Follows the assignments from the asked value: the variables in chain order. */
    static List<Integer> solve(int[] in) {
        int query = -1;
        Map<Integer, Integer> assignedFrom = new HashMap<>(); // variable -> what it was assigned (value or variable)
        for (int t = 0; t < in.length; t++) {
            if (in[t] == VariableTracking.QUERY) {
                query = t;
                break;
            }
            if (in[t] == VariableTracking.VAR) {
                assertEquals(VariableTracking.EQUALS, in[t + 2]);
                assertEquals(null, assignedFrom.put(in[t + 1], in[t + 3]), "each variable assigned once");
                t += 3;
            }
        }
        List<Integer> chain = new ArrayList<>();
        int from = in[query + 1];
        while (true) {
            int next = -1;
            for (Map.Entry<Integer, Integer> e : assignedFrom.entrySet()) if (e.getValue() == from) next = e.getKey();
            if (next < 0) return chain;
            chain.add(next);
            from = next;
        }
    }

    @Test
    void bruteForceSolverAnswersEveryExample() {
        VariableTracking task = new VariableTracking(256, 160, 3, 4, 1);
        for (int i = 0; i < 200; i++) {
            Example e = task.example(Split.TRAIN, i);
            List<Integer> chain = solve(e.inputs());
            assertEquals(5, chain.size());
            int answer = 160 - 5;
            assertEquals(VariableTracking.ANSWER, e.inputs()[answer]);
            for (int s = 0; s < 5; s++) {
                assertEquals(chain.get(s), e.targets()[answer + s]);
                assertEquals(s, e.tags()[answer + s]);
            }
            assertEquals(5, e.answers());
        }
    }

    @Test
    void statementsOfAChainComeInOrder() {
        VariableTracking task = new VariableTracking(256, 200, 2, 3, 2);
        for (int i = 0; i < 50; i++) {
            int[] in = task.example(Split.TEST, i).inputs();
            Map<Integer, Integer> position = new HashMap<>();
            for (int t = 0; in[t] != VariableTracking.QUERY; t++) if (in[t] == VariableTracking.VAR) position.put(in[t + 1], t);
            for (int t = 0; in[t] != VariableTracking.QUERY; t++) {
                if (in[t] == VariableTracking.VAR && position.containsKey(in[t + 3])) {
                    assertTrue(position.get(in[t + 3]) < t, "a variable is assigned before it is used");
                }
            }
        }
    }

    @Test
    void rulerDefaultsAndRefusals() {
        VariableTracking vt = new VariableTracking(256, 128, 0);
        assertEquals(1, vt.chains());
        assertEquals(4, vt.hops());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new VariableTracking(256, 20, 2, 4, 0))
                .getMessage().startsWith("seqLength: expected >= 47 "));
        assertThrows(IllegalArgumentException.class, () -> new VariableTracking(20, 200, 2, 4, 0));
    }
}
