package dev.attend.nn.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What every task promises: ids in range, answers only where targets say, determinism, batches, no leakage. */
class TaskContractTest {
    static Stream<Task> tasks() {
        return Stream.of(
                new Mqar(1024, 128, 8, 1),
                new Mqar(8192, 256, 16, 2),
                Niah.single(512, 200, Niah.RULER_DEPTHS, 3),
                Niah.multiKey(512, 200, 4, Niah.RULER_DEPTHS, 4),
                Niah.multiValue(512, 200, 4, Niah.RULER_DEPTHS, 5),
                Niah.multiQuery(512, 200, 4, Niah.RULER_DEPTHS, 6),
                new VariableTracking(256, 160, 2, 4, 7),
                new CommonWords(512, 200, 5, 6, 2, 8),
                new TextTask("corpus", TextTaskTest.corpus(9, 200_000).getBytes(java.nio.charset.StandardCharsets.UTF_8), 512, 64, 0.2, 9));
    }

    @ParameterizedTest
    @MethodSource("tasks")
    void idsInRangeAndTargetsOnlyOnAnswers(Task task) {
        for (Split split : Split.values()) {
            for (int i = 0; i < 50; i++) {
                Example e = task.example(split, i);
                assertEquals(task.seqLength(), e.inputs().length);
                assertTrue(e.answers() > 0);
                for (int t = 0; t < e.inputs().length; t++) {
                    assertTrue(e.inputs()[t] >= 0 && e.inputs()[t] < task.vocabSize(), "input " + e.inputs()[t]);
                    int y = e.targets()[t];
                    assertTrue(y == Task.IGNORE || (y >= 0 && y < task.vocabSize()), "target " + y);
                    if (y == Task.IGNORE) assertEquals(0, e.tags()[t]);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("tasks")
    void sameSeedSameExamplesOtherIndexOtherExamples(Task task) {
        Example a = task.example(Split.TRAIN, 17), b = task.example(Split.TRAIN, 17), c = task.example(Split.TRAIN, 18);
        assertArrayEquals(a.inputs(), b.inputs());
        assertArrayEquals(a.targets(), b.targets());
        assertArrayEquals(a.tags(), b.tags());
        assertFalse(Arrays.equals(a.inputs(), c.inputs()));
    }

    @ParameterizedTest
    @MethodSource("tasks")
    void batchesStackExamplesWhateverTheBatchSize(Task task) {
        Batch big = task.batch(Split.TEST, 10, 6);
        Batch first = task.batch(Split.TEST, 10, 2), rest = task.batch(Split.TEST, 12, 4);
        int len = task.seqLength();
        assertArrayEquals(Arrays.copyOfRange(big.inputs(), 0, 2 * len), first.inputs());
        assertArrayEquals(Arrays.copyOfRange(big.targets(), 2 * len, 6 * len), rest.targets());
        assertArrayEquals(task.example(Split.TEST, 13).inputs(), Arrays.copyOfRange(big.inputs(), 3 * len, 4 * len));
    }

    @ParameterizedTest
    @MethodSource("tasks")
    void testExamplesAreNotTrainingExamples(Task task) {
        Set<List<Integer>> train = new HashSet<>();
        for (int i = 0; i < 2000; i++) train.add(Arrays.stream(task.example(Split.TRAIN, i).inputs()).boxed().toList());
        for (int i = 0; i < 500; i++) {
            assertFalse(train.contains(Arrays.stream(task.example(Split.TEST, i).inputs()).boxed().toList()), "test example " + i);
        }
        // the same index in the two splits differs, and so does the same index under another seed
        assertFalse(Arrays.equals(task.example(Split.TRAIN, 0).inputs(), task.example(Split.TEST, 0).inputs()));
    }
}
