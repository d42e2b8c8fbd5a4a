package dev.attend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.attend.tensor.Npy;
import dev.attend.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input paths that are not regular files: one line naming the path and what it is, never "No such device". */
class AttentionInputFilesTest {
    private static MainTest.Run attention(Path dir, Path q) throws IOException {
        Path k = dir.resolve("k.npy");
        Npy.write(k, Tensor.randn(1, 1, 1, 4, 8));
        return MainTest.run("attention", "--q", q.toString(), "--k", k.toString(), "--v", k.toString(), "--out", dir.resolve("o.npy").toString());
    }

    @Test
    void aDirectoryIsNamed(@TempDir Path dir) throws IOException {
        MainTest.Run r = attention(dir, dir);
        assertEquals(Main.EXIT_FAILURE, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertEquals("attend attention: " + dir + ": is a directory, expected a file", r.err().strip());
        assertFalse(r.err().contains("No such device"), r.err());
    }

    @Test
    void aFifoIsNamedAndDoesNotBlock(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("q.npy");
        Process mk;
        try {
            mk = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no mkfifo: " + e.getMessage());
            return;
        }
        assumeTrue(mk.waitFor() == 0, "mkfifo failed");
        MainTest.Run r = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> attention(dir, fifo));
        assertEquals(Main.EXIT_FAILURE, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().startsWith("attend attention: " + fifo + ": not a regular file but a pipe or FIFO"), r.err());
        assertFalse(r.err().contains("expected at least 10 bytes"), r.err());
    }
}
