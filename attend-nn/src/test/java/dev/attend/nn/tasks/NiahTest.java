package dev.attend.nn.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NiahTest {
    static Stream<Niah> variants() {
        int[] d = {0, 10, 25, 50, 75, 90, 100};
        return Stream.of(
                Niah.single(300, 128, d, 1),
                Niah.multiKey(300, 160, 4, d, 2),
                Niah.multiValue(300, 160, 4, d, 3),
                Niah.multiQuery(300, 200, 4, d, 4),
                new Niah(1000, 300, 3, 2, 2, 3, 4, d, 5));
    }

    /** Parses the text as a reader would and answers the question: a brute-force solver. */
    record Solved(int[] predictions, int[] source, int answerStart, List<int[]> needles) {}

    static Solved solve(Niah task, int[] in) {
        int kt = task.keyTokens(), vt = task.valueTokens();
        int query = indexOf(in, Niah.QUERY);
        List<int[]> needles = new ArrayList<>(); // {start, key..., value...}
        for (int t = 0; t < query; t++) {
            if (in[t] != Niah.NEEDLE) continue;
            assertEquals(Niah.IS, in[t + 1 + kt]);
            int[] n = new int[1 + kt + vt];
            n[0] = t;
            System.arraycopy(in, t + 1, n, 1, kt);
            System.arraycopy(in, t + 2 + kt, n, 1 + kt, vt);
            needles.add(n);
            t += 1 + kt + vt;
        }
        int answer = query + 1 + task.queries() * kt;
        assertEquals(Niah.ANSWER, in[answer]);
        int[] predictions = new int[in.length], source = new int[in.length];
        int at = answer;
        for (int q = 0; q < task.queries(); q++) {
            int[] key = Arrays.copyOfRange(in, query + 1 + q * kt, query + 1 + (q + 1) * kt);
            for (int i = 0; i < needles.size(); i++) {
                int[] n = needles.get(i);
                if (!Arrays.equals(key, Arrays.copyOfRange(n, 1, 1 + kt))) continue;
                for (int k = 0; k < vt; k++) {
                    source[at] = i;
                    predictions[at++] = n[1 + kt + k];
                }
            }
        }
        return new Solved(predictions, source, answer, needles);
    }

    @ParameterizedTest
    @MethodSource("variants")
    void bruteForceSolverAnswersEveryExample(Niah task) {
        for (int i = 0; i < 100; i++) {
            Example e = task.example(Split.TRAIN, i);
            Solved s = solve(task, e.inputs());
            assertEquals(task.keys() * task.valuesPerKey(), s.needles().size());
            assertEquals(task.queries() * task.valuesPerKey() * task.valueTokens(), e.answers());
            assertEquals(1.0, new Accuracy().add(Batch.of(e), s.predictions()).tokens(), "example " + i);
            // teacher forcing: each answer token is the input at the next position
            for (int t = s.answerStart(); t + 1 < e.inputs().length; t++) assertEquals(e.targets()[t], e.inputs()[t + 1]);
        }
    }

    @ParameterizedTest
    @MethodSource("variants")
    void needlesSitAtTheirDepthAndTagsSayWhich(Niah task) {
        int needleLength = 2 + task.keyTokens() + task.valueTokens(), hay = task.haystackLength();
        for (int i = 0; i < 100; i++) {
            Example e = task.example(Split.TEST, i);
            Solved s = solve(task, e.inputs());
            // the tag of an answer token is the depth of the needle it comes from
            for (int t = s.answerStart(); t < e.inputs().length; t++) {
                int k = s.source()[t];
                int haystackBefore = s.needles().get(k)[0] - k * needleLength;
                assertEquals((int) ((long) hay * e.tags()[t] / 100), haystackBefore, "needle " + k + " of example " + i);
            }
        }
    }

    @Test
    void oneDepthPlacesEveryNeedleThere() {
        for (int depth : new int[] {0, 33, 50, 100}) {
            Niah task = Niah.single(300, 128, Niah.RULER_DEPTHS, 1).withDepths(depth);
            int hay = task.haystackLength();
            for (int i = 0; i < 20; i++) {
                Example e = task.example(Split.TEST, i);
                assertEquals(hay * depth / 100, indexOf(e.inputs(), Niah.NEEDLE));
                for (int t = 0; t < 128; t++) if (e.targets()[t] != Task.IGNORE) assertEquals(depth, e.tags()[t]);
            }
        }
        Example last = Niah.single(300, 128, new int[] {100}, 1).example(Split.TRAIN, 0);
        assertEquals(Niah.QUERY, last.inputs()[indexOf(last.inputs(), Niah.NEEDLE) + 6], "depth 100 ends right before the question");
    }

    @Test
    void depthsAreDrawnFromTheList() {
        Niah task = Niah.single(300, 128, new int[] {20, 80}, 2);
        Set<Integer> seen = new TreeSet<>();
        for (int i = 0; i < 200; i++) {
            Example e = task.example(Split.TRAIN, i);
            for (int t = 0; t < 128; t++) if (e.targets()[t] != Task.IGNORE) seen.add(e.tags()[t]);
        }
        assertEquals(Set.of(20, 80), seen);
        assertEquals(40, Niah.RULER_DEPTHS.length);
        assertEquals(0, Niah.RULER_DEPTHS[0]);
        assertEquals(3, Niah.RULER_DEPTHS[1]);
        assertEquals(100, Niah.RULER_DEPTHS[39]);
    }

    @Test
    void multiValueAnswersInTextOrder() {
        Niah task = Niah.multiValue(300, 160, 3, Niah.RULER_DEPTHS, 9);
        Example e = task.example(Split.TRAIN, 0);
        Solved s = solve(task, e.inputs());
        int at = s.answerStart();
        for (int[] n : s.needles()) {
            assertEquals(n[3], e.targets()[at]);
            assertEquals(n[4], e.targets()[at + 1]);
            at += 2;
        }
    }

    @Test
    void extrapolationKeepsTheTaskButTheLength() {
        Niah short512 = Niah.single(300, 512, Niah.RULER_DEPTHS, 3), long2048 = short512.withSeqLength(2048);
        assertEquals(2048, long2048.example(Split.TEST, 0).inputs().length);
        assertEquals(short512.withSeqLength(512), short512);
        assertTrue(long2048.haystackLength() > short512.haystackLength());
    }

    @Test
    void badSettingsAreRefusedByName() {
        assertEquals("queries: expected <= keys = 2, got 3",
                assertThrows(IllegalArgumentException.class, () -> new Niah(300, 128, 2, 1, 3, 2, 2, new int[] {0}, 0)).getMessage());
        assertEquals("depths: expected percentages in [0, 100], got 101",
                assertThrows(IllegalArgumentException.class, () -> Niah.single(300, 128, new int[] {101}, 0)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Niah.multiKey(300, 20, 4, new int[] {0}, 0))
                .getMessage().startsWith("seqLength: expected >= "));
        assertThrows(IllegalArgumentException.class, () -> Niah.single(300, 128, new int[0], 0));
        assertThrows(IllegalArgumentException.class, () -> Niah.single(9, 128, new int[] {0}, 0));
    }

    @Test
    void depthsAreCopied() {
        int[] d = {10};
        Niah task = Niah.single(300, 128, d, 0);
        d[0] = 90;
        assertArrayEquals(new int[] {10}, task.depths());
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        throw new AssertionError("no " + v);
    }
}
