package dev.attend.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Rows of views: readRow and writeRow respect offset and strides; contiguous copies whole rows. */
class TensorViewTest {
    @Test
    void rowsOfASliceAreTheSlicesRows() {
        Tensor t = Tensor.randn(1, 3, 4, 5);
        Tensor s = t.slice(0, 1, 3);   // rows 4..11 of the parent
        float[] row = new float[5];
        s.readRow(0, row, 0);
        for (int x = 0; x < 5; x++) assertEquals(t.get(1, 0, x), row[x]);
        s.readRow(7, row, 0);
        for (int x = 0; x < 5; x++) assertEquals(t.get(2, 3, x), row[x]);
        s.writeRow(2, new float[] {1, 2, 3, 4, 5}, 0);
        assertEquals(3f, t.get(1, 2, 2));
    }

    @Test
    void rowsOfAPermutedViewFollowItsStrides() {
        Tensor blhd = Tensor.randn(2, 2, 6, 3, 4);     // [B, L, H, D]
        Tensor bhld = blhd.permute(0, 2, 1, 3);         // [B, H, L, D] view
        float[] row = new float[4];
        bhld.readRow((1 * 3 + 2) * 6 + 5, row, 0);      // (b=1, h=2, l=5)
        for (int x = 0; x < 4; x++) assertEquals(blhd.get(1, 5, 2, x), row[x]);
        Tensor c = bhld.contiguous();
        for (int b = 0; b < 2; b++) for (int h = 0; h < 3; h++) for (int l = 0; l < 6; l++) for (int x = 0; x < 4; x++) {
            assertEquals(blhd.get(b, l, h, x), c.get(b, h, l, x));
        }
        // A view whose last dimension is strided is copied element by element.
        Tensor t = bhld.permute(0, 1, 3, 2);            // [B, H, D, L]
        float[] col = new float[6];
        t.readRow(0, col, 0);
        for (int l = 0; l < 6; l++) assertEquals(blhd.get(0, l, 0, 0), col[l]);
        assertArrayEquals(t.contiguous().toArray(), t.copy().toArray());
    }

    @Test
    void badRowAccessIsRefused() {
        Tensor t = Tensor.zeros(2, 3);
        assertThrows(IndexOutOfBoundsException.class, () -> t.readRow(2, new float[3], 0));
        var e = assertThrows(IllegalArgumentException.class, () -> t.readRow(0, new float[2], 0));
        assertEquals("dst: expected room for 3 floats at offset 0, got an array of length 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.writeRow(0, null, 0));
        assertEquals("src: expected an array, got null", e.getMessage());
    }
}
