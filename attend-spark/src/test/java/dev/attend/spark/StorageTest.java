package dev.attend.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which paths are local, positioned reads, and writes that are whole or absent. */
class StorageTest {
    @Test
    void localAndRemotePaths() {
        for (String local : new String[] {"/tmp/a b%20c.npy", "rel/x.npy", "file:/tmp/x.npy", "file:///tmp/x.npy", "C:\\data\\q.npy", "q#k.npy"}) {
            assertTrue(Storage.isLocal(local), local);
        }
        for (String remote : new String[] {"hdfs://nn:8020/d/q.npy", "s3a://bucket/q.npy", "viewfs://c/q.npy"}) {
            assertFalse(Storage.isLocal(remote), remote);
        }
    }

    @Test
    void readsAtPositionsAndRefusesPastTheEnd(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bytes.bin");
        Files.write(f, new byte[] {0, 1, 2, 3, 4, 5, 6, 7});
        try (Storage.Source s = Storage.open(f.toString())) {
            assertEquals(8, s.size());
            assertArrayEquals(new byte[] {3, 4, 5}, s.read(3, 3));
            assertThrows(IOException.class, () -> s.read(6, 3));
        }
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("out.npy");
        Files.writeString(f, "old");
        assertThrows(IOException.class, () -> Storage.writeWhole(f.toString(), "t1", o -> {
            o.write("partial".getBytes());
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(f));
        Storage.writeWhole(f.toString(), "t2", o -> o.write("new".getBytes()));
        assertEquals("new", Files.readString(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary left behind");
        }
    }
}
