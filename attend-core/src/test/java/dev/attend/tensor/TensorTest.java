package dev.attend.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
    void holdsMoreThanTwoToTheThirtyOneElements(@TempDir Path dir) throws IOException {
        // A sparse memory-mapped file: 8.6 GB of address space, a few pages of real memory.
        long n = (1L << 31) + 16;
        try (FileChannel ch = FileChannel.open(dir.resolve("big.f32"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.SPARSE);
             Arena arena = Arena.ofConfined()) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, n * 4, arena);
            Tensor big = Tensor.wrap(seg, 2, n / 2);
            big.set(3f, 1, n / 2 - 1);
            assertEquals(3f, big.get(1, n / 2 - 1));
            assertEquals(n, big.size());
            Tensor row = big.slice(0, 1, 2);
            assertEquals(3f, row.get(0, n / 2 - 1));
        }
    }
}
