package dev.attend.nn.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attend.tensor.Npy;
import dev.attend.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskExportTest {
    @Test
    void filesHoldTheTrainingBatchesAndTheTestSetExactly(@TempDir Path dir) throws IOException {
        Task task = new Mqar(8192, 64, 4, 3);
        TaskExport.write(task, dir, 3, 5, 7);
        Tensor in = Npy.read(dir.resolve("train-inputs.npy")), tg = Npy.read(dir.resolve("train-targets.npy"));
        assertArrayEquals(new long[] {3, 5, 64}, in.shape());
        for (int s = 0; s < 3; s++) {
            Batch b = task.trainBatch(s, 5);
            for (int i = 0; i < 5; i++) {
                for (int t = 0; t < 64; t++) {
                    assertEquals(b.inputs()[i * 64 + t], (int) in.get(s, i, t));
                    assertEquals(b.targets()[i * 64 + t], (int) tg.get(s, i, t));
                }
            }
        }
        Tensor testIn = Npy.read(dir.resolve("test-inputs.npy")), testTags = Npy.read(dir.resolve("test-tags.npy"));
        assertArrayEquals(new long[] {7, 64}, testIn.shape());
        Example last = task.example(Split.TEST, 6);
        for (int t = 0; t < 64; t++) {
            assertEquals(last.inputs()[t], (int) testIn.get(6, t));
            assertEquals(last.tags()[t], (int) testTags.get(6, t));
        }
        String json = Files.readString(dir.resolve("task.json"));
        assertTrue(json.contains("\"config\": \"" + task + "\""), json);
        assertTrue(json.contains("\"ignore_index\": -100"), json);
    }

    @Test
    void badArgumentsAreRefused(@TempDir Path dir) {
        Task task = new Mqar(1024, 64, 4, 3);
        assertEquals("steps, batch, testExamples: expected >= 1, got 0, 5, 7",
                assertThrows(IllegalArgumentException.class, () -> TaskExport.write(task, dir, 0, 5, 7)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> TaskExport.write(null, dir, 1, 1, 1));
    }
}
