package dev.attend.nn.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AccuracyTest {
    private static final int I = Task.IGNORE;

    @Test
    void countsOnlyAnswersAndGroupsByTag() {
        Batch b = new Batch(2, 4,
                new int[] {5, 6, 7, 8, 1, 2, 3, 4},
                new int[] {I, 9, I, 9, I, I, 7, 7},
                new int[] {0, 10, 0, 50, 0, 0, 10, 50});
        int[] pred = {0, 9, 0, 1, 0, 0, 7, 7}; // wrong only at position 3; positions without answers are ignored
        Accuracy acc = new Accuracy().add(b, pred);
        assertEquals(0.75, acc.tokens());
        assertEquals(0.5, acc.examples());
        assertEquals(4, acc.answerCount());
        assertEquals(Map.of(10, 1.0, 50, 0.5), acc.byTag());
        acc.add(b, b.targets().clone());
        assertEquals(7.0 / 8, acc.tokens());
        assertEquals(0.75, acc.examples());
    }

    @Test
    void emptyAccuracyIsNaNAndBadPredictionsAreRefused() {
        assertEquals(Double.NaN, new Accuracy().tokens());
        Batch b = new Batch(1, 2, new int[2], new int[] {I, 1}, new int[2]);
        assertEquals("predictions: expected 2 ids (size x length), got 3",
                assertThrows(IllegalArgumentException.class, () -> new Accuracy().add(b, new int[3])).getMessage());
    }

    @Test
    void argmaxTakesTheFirstLargest() {
        assertArrayEquals(new int[] {1, 0}, Accuracy.argmax(new float[] {0, 3, 3, 5, 1, 5}, 3));
        assertThrows(IllegalArgumentException.class, () -> Accuracy.argmax(new float[4], 3));
    }
}
