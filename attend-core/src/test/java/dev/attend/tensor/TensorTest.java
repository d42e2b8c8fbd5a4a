package dev.attend.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class TensorTest {
    @Test
    void viewsShareDataAndContiguousCopies() {
        Tensor t = Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 2, 3);
        Tensor tt = t.permute(1, 0);
        assertArrayEquals(new long[] {3, 2}, tt.shape());
        assertFalse(tt.isContiguous());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, tt.toArray());
        Tensor s = t.slice(1, 1, 3);
        assertArrayEquals(new float[] {1, 2, 4, 5}, s.toArray());
        s.set(9f, 0, 0);
        assertEquals(9f, t.get(0, 1));
        assertArrayEquals(new float[] {0, 9, 2, 3, 4, 5}, t.reshape(6).toArray());
    }

    @Test
    void badShapesAreRefusedWithTheirValues() {
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2L, -1L));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("expected 6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(1L << 40, 1L << 40));
        assertThrows(IndexOutOfBoundsException.class, () -> Tensor.zeros(2, 2).get(2, 0));
    }

    @Test
    void holdsMoreThanTwoToTheThirtyOneElementsWithoutAHeapArray() {
        Tensor big = Tensor.zeros((1L << 31) + 16);
        big.set(3f, (1L << 31) + 7);
        assertEquals(3f, big.get((1L << 31) + 7));
        assertEquals((1L << 31) + 16, big.size());
    }
}
