package dev.attend.nn.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DepthLengthGridTest {
    @Test
    void measureVisitsEveryCellWithItsDepthAndLength() {
        Niah base = Niah.single(300, 128, Niah.RULER_DEPTHS, 1);
        // a stand-in "model": scores each cell by its own settings, so the grid shows where each cell came from
        DepthLengthGrid g = DepthLengthGrid.measure("t", base, new int[] {0, 50, 100}, new int[] {128, 256},
                task -> task.depths()[0] / 100.0 * task.seqLength() / 256.0);
        assertArrayEquals(new double[] {0, 0}, g.accuracy()[0]);
        assertArrayEquals(new double[] {0.25, 0.5}, g.accuracy()[1]);
        assertArrayEquals(new double[] {0.5, 1.0}, g.accuracy()[2]);
    }

    @Test
    void shapesAndValuesAreChecked() {
        assertEquals("accuracy: expected 2 rows (one per depth), got 1", assertThrows(IllegalArgumentException.class,
                () -> new DepthLengthGrid("t", new int[] {0, 1}, new int[] {8}, new double[][] {{1}})).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DepthLengthGrid("t", new int[] {0}, new int[] {8}, new double[][] {{1.5}}));
        assertEquals(Double.NaN, new DepthLengthGrid("t", new int[] {0}, new int[] {8}, new double[][] {{Double.NaN}}).accuracy()[0][0]);
    }
}
