package dev.attend.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The readers' and writers' public boundary: paths that are not regular files are refused by name, null arguments
 * are refused naming the argument (never an NPE from inside), and both formats cap the rank at the same 64.
 */
class ReaderBoundaryTest {
    private interface PathRead {
        void read(Path p) throws IOException;
    }

    private static final Map<String, PathRead> PATH_READERS = new LinkedHashMap<>();

    static {
        PATH_READERS.put("Npy.read", Npy::read);
        PATH_READERS.put("Npy.readHeader", Npy::readHeader);
        PATH_READERS.put("Npy.map", Npy::map);
        PATH_READERS.put("Safetensors.read", Safetensors::read);
        PATH_READERS.put("Safetensors.load", Safetensors::load);
    }

    private static void assertRefused(Path p, String... parts) {
        for (Map.Entry<String, PathRead> r : PATH_READERS.entrySet()) {
            FileSystemException e = assertThrows(FileSystemException.class, () -> r.getValue().read(p), r.getKey());
            assertEquals(p.toString(), e.getFile(), r.getKey());
            assertTrue(e.getMessage().startsWith(p + ": "), r.getKey() + ": " + e.getMessage());
            for (String part : parts) assertTrue(e.getMessage().contains(part), r.getKey() + ": '" + part + "' not in " + e.getMessage());
        }
    }

    @Test
    void aDirectoryIsRefusedByName(@TempDir Path dir) {
        assertRefused(dir, "is a directory");
    }

    @Test
    void aFifoIsRefusedByNameWithoutBlocking(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("q.npy");
        Process mk;
        try {
            mk = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no mkfifo on this machine: " + e.getMessage());
            return;
        }
        assumeTrue(mk.waitFor() == 0 && Files.exists(fifo), "mkfifo failed");
        // Opening a FIFO for reading blocks until a writer appears: the readers must refuse it before opening.
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertRefused(fifo, "not a regular file", "a pipe or FIFO",
                "save the data to a file"));
    }

    @Test
    void aDeviceIsRefusedByName() {
        Path dev = Path.of("/dev/null");
        assumeTrue(Files.exists(dev), "no /dev/null");
        assertRefused(dev, "not a regular file", "a character device");
    }

    @Test
    void pipesHaveTheStreamReader() throws IOException {
        // What the refusal points to works: the stream reader takes a pipe's bytes as they arrive.
        byte[] file = Npy.toBytes(Tensor.randn(1, 2, 3), DType.F32);
        assertEquals(6, Npy.read(new ByteArrayInputStream(file)).size());
        var e = assertThrows(FileSystemException.class, () -> Npy.read(Path.of("/dev/null")));
        assertTrue(e.getMessage().contains("Npy.read(InputStream)"), e.getMessage());
        var s = assertThrows(FileSystemException.class, () -> Safetensors.read(Path.of("/dev/null")));
        assertTrue(s.getMessage().contains("Safetensors.read(byte[])"), s.getMessage());
    }

    // ---------------------------------------------------------------- nulls

    /** A valid value for each parameter type of the public API. */
    private static Object valid(Class<?> type, Path dir) throws IOException {
        if (type == Path.class) {
            Path p = Files.createTempFile(dir, "valid", ".bin");
            return p;
        }
        if (type == byte[].class) return Npy.toBytes(Tensor.zeros(2), DType.F32);
        if (type == InputStream.class) return new ByteArrayInputStream(Npy.toBytes(Tensor.zeros(2), DType.F32));
        if (type == OutputStream.class) return new ByteArrayOutputStream();
        if (type == ByteSource.class) return new FileFormatFuzzTest.CountingSource(Npy.toBytes(Tensor.zeros(2), DType.F32));
        if (type == Tensor.class) return Tensor.zeros(2);
        if (type == DType.class) return DType.F32;
        if (type == Map.class) return Map.of();
        if (type == long[].class) return new long[] {2};
        if (type == String.class) return "x";
        if (type == int.class) return 1;
        if (type == long.class) return 0L;
        throw new AssertionError("no valid value for " + type + ": extend this test");
    }

    /** Every public static method of the file formats, with null for each reference parameter in turn. */
    @Test
    void everyNullArgumentIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        int calls = 0;
        List<String> failures = new ArrayList<>();
        for (Class<?> c : List.of(Npy.class, Safetensors.class)) {
            for (Method m : c.getDeclaredMethods()) {
                if (!Modifier.isPublic(m.getModifiers()) || !Modifier.isStatic(m.getModifiers())) continue;
                Class<?>[] types = m.getParameterTypes();
                for (int i = 0; i < types.length; i++) {
                    if (types[i].isPrimitive()) continue;
                    Object[] args = new Object[types.length];
                    for (int j = 0; j < types.length; j++) args[j] = j == i ? null : valid(types[j], dir);
                    String call = c.getSimpleName() + "." + m.getName() + " with argument " + i + " (" + types[i].getSimpleName() + ") null";
                    calls++;
                    try {
                        m.invoke(null, args);
                        failures.add(call + ": accepted");
                    } catch (InvocationTargetException e) {
                        Throwable t = e.getCause();
                        if (!(t instanceof IllegalArgumentException) || t.getMessage() == null || !t.getMessage().contains(": expected non-null, got null")) {
                            failures.add(call + ": " + t);
                        }
                    }
                }
            }
        }
        assertTrue(calls >= 20, "found only " + calls + " calls to make");
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void nullArgumentsNameTheArgument() {
        assertMessage("path: expected non-null, got null", () -> Npy.read((Path) null));
        assertMessage("path: expected non-null, got null", () -> Npy.write(null, Tensor.zeros(1)));
        assertMessage("t: expected non-null, got null", () -> Npy.write(Path.of("never-written.npy"), null));
        assertMessage("dtype: expected non-null, got null", () -> Npy.toBytes(Tensor.zeros(1), null));
        assertMessage("path: expected non-null, got null", () -> Npy.readHeader(null));
        assertMessage("path: expected non-null, got null", () -> Npy.map(null));
        assertMessage("path: expected non-null, got null", () -> Safetensors.load((Path) null));
        assertMessage("bytes: expected non-null, got null", () -> Safetensors.read((byte[]) null));
        assertMessage("tensors: expected non-null, got null", () -> Safetensors.toBytes(null, Map.of(), Map.of()));
        assertMessage("dtypes: expected non-null, got null", () -> Safetensors.toBytes(Map.of(), null, Map.of()));
        assertMessage("metadata: expected non-null, got null", () -> Safetensors.toBytes(Map.of(), Map.of(), null));
        assertMessage("shape: expected non-null, got null", () -> new Npy.Header(1, 0, DType.F32, null, 128, 0));
        assertMessage("dtype: expected non-null, got null", () -> new Npy.Header(1, 0, null, new long[0], 128, 4));
        assertMessage("tensors: expected non-null, got null", () -> new Safetensors.Contents(null, Map.of(), Map.of()));
        // Null inside the maps: a null dtype name next to an immutable tensor map (whose containsKey(null) throws).
        Map<String, DType> nullName = new LinkedHashMap<>();
        nullName.put(null, DType.F16);
        assertMessage("dtypes: expected names of tensors, got null", () -> Safetensors.toBytes(Map.of("a", Tensor.zeros(1)), nullName, Map.of()));
        Map<String, Tensor> nullTensor = new LinkedHashMap<>();
        nullTensor.put("a", null);
        assertMessage("tensors: expected a tensor for 'a', got null", () -> Safetensors.toBytes(nullTensor, Map.of(), Map.of()));
        // The records' components are all checked.
        RecordComponent[] components = Safetensors.Contents.class.getRecordComponents();
        for (int i = 0; i < components.length; i++) {
            RecordComponent rc = components[i];
            Object[] args = {Map.of(), Map.of(), Map.of()};
            args[i] = null;
            var e = assertThrows(InvocationTargetException.class, () -> Safetensors.Contents.class
                    .getDeclaredConstructor(Map.class, Map.class, Map.class).newInstance(args));
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
            assertTrue(e.getCause().getMessage().startsWith(rc.getName() + ": "), e.getCause().getMessage());
        }
    }

    private interface Call {
        void run() throws Exception;
    }

    private static void assertMessage(String message, Call call) {
        var e = assertThrows(IllegalArgumentException.class, call::run);
        assertEquals(message, e.getMessage());
    }

    // ---------------------------------------------------------------- rank

    private static byte[] safetensorsOfRank(int rank) {
        String shape = "[" + "1,".repeat(rank).replaceAll(",$", "") + "]";
        return SafetensorsTest.st("{\"x\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,4]}}", new byte[4]);
    }

    @Test
    void safetensorsCapsTheRankAsNpyDoes() {
        assertEquals(Npy.MAX_RANK, Safetensors.MAX_RANK);
        assertEquals(64, Safetensors.MAX_RANK);
        assertEquals(64, Safetensors.read(safetensorsOfRank(64)).get("x").rank());
        for (int rank : new int[] {65, 200_000}) {
            var e = assertThrows(TensorFormatException.class, () -> Safetensors.read(safetensorsOfRank(rank)));
            assertEquals("tensor 'x' shape", e.field(), e.getMessage());
            assertEquals("tensor 'x' shape: expected at most 64 dimensions, got " + rank + " dimensions", e.getMessage());
        }
        // The same words from the .npy reader.
        byte[] npy = NpyTest.npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, ".repeat(65) + "), }", NpyTest.f32(1));
        var n = assertThrows(TensorFormatException.class, () -> Npy.read(npy));
        assertEquals("shape: expected at most 64 dimensions, got 65 dimensions", n.getMessage());
        // Writers refuse what readers would.
        Tensor deep = Tensor.zeros(new long[65]);
        var w = assertThrows(IllegalArgumentException.class, () -> Safetensors.toBytes(Map.of("d", deep), Map.of(), Map.of()));
        assertTrue(w.getMessage().contains("at most 64 dimensions") && w.getMessage().contains("65"), w.getMessage());
        assertDoesNotThrow(() -> Safetensors.read(Safetensors.toBytes(Map.of("ok", Tensor.zeros(new long[64])), Map.of(), Map.of())));
    }
}
