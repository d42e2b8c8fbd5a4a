package dev.attend.tensor;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Bulk conversion between little-endian file bytes (F32, F16, BF16) and F32 tensors, shared by the file
 * formats. Works in fixed chunks, so a tensor of any size (beyond 2^31 elements) streams through a few KB of
 * buffers; no allocation grows with the data except the destination.
 */
final class Codec {
    static final ValueLayout.OfFloat LE_F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort LE_I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK = 8192;
    private static final int STREAM_CHUNK = 1 << 20;

    /** Largest rank a file may declare, NumPy's NPY_MAXDIMS: the .npy and the safetensors readers share it. */
    static final int MAX_RANK = 64;

    private Codec() {}

    /** Refuses a declared rank above {@link #MAX_RANK}, before anything is allocated for the dimensions. */
    static void checkRank(int rank, String source, String field) {
        if (rank > MAX_RANK) {
            throw new TensorFormatException(source, field, "at most " + MAX_RANK + " dimensions", rank + " dimensions");
        }
    }

    /**
     * Opens a file that a reader maps. A directory, and anything else that is not a regular file (a pipe or FIFO,
     * {@code /dev/stdin} on a pipe, a socket, a device), is refused by name before it is opened: the readers map
     * the file and check every size its header declares against the file's length before allocating anything, and
     * a pipe has no length, can be read only once, and opening a FIFO blocks until a writer appears.
     *
     * @param instead what to do for a stream, for the message (e.g. "use Npy.read(InputStream)")
     * @throws java.nio.file.NoSuchFileException when nothing is at {@code path}
     * @throws FileSystemException naming the path and what it is, when it is not a regular file
     */
    static FileChannel openRegularFile(Path path, String instead, OpenOption... options) throws IOException {
        Checks.notNull("path", path);
        BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class); // follows links, e.g. /dev/stdin
        if (a.isDirectory()) throw new FileSystemException(path.toString(), null, "is a directory, expected a file");
        if (!a.isRegularFile()) {
            throw new FileSystemException(path.toString(), null, "not a regular file but " + kind(path)
                    + "; the readers map regular files only (save the data to a file, or " + instead + ")");
        }
        return FileChannel.open(path, options);
    }

    /** What a non-regular, non-directory file is, from its Unix mode when the platform tells. */
    private static String kind(Path path) {
        try {
            int type = (Integer) Files.getAttribute(path, "unix:mode") & 0170000;
            return switch (type) {
                case 0010000 -> "a pipe or FIFO";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return "a special file (a pipe, FIFO, socket or device)";
        }
    }

    /** Bytes a file needs for {@code shape} in {@code dtype}, or a TensorFormatException naming the overflow. */
    static long dataBytes(long[] shape, DType dtype, String source, String field) {
        long n = 1;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new TensorFormatException(source, field, "an element count that fits a long",
                        "shape " + Arrays.toString(shape));
            }
        }
        if (n > Long.MAX_VALUE / 4) {
            throw new TensorFormatException(source, field, "at most " + Long.MAX_VALUE / 4 + " elements",
                    n + " for shape " + Arrays.toString(shape));
        }
        return n * dtype.blockBytes();
    }

    /** A new F32 tensor from {@code shape} values in {@code dtype} at byte {@code off} of {@code src}. */
    static Tensor decode(MemorySegment src, long off, DType dtype, long[] shape) {
        Tensor t = Tensor.zeros(shape);
        long n = t.size();
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, LE_F32, off, t.segment(), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, n);
            case F16, BF16 -> {
                short[] sb = new short[CHUNK];
                float[] fb = new float[CHUNK];
                for (long i = 0; i < n; i += CHUNK) {
                    int m = (int) Math.min(CHUNK, n - i);
                    MemorySegment.copy(src, LE_I16, off + 2 * i, sb, 0, m);
                    if (dtype == DType.F16) F16.decode(sb, 0, fb, 0, m);
                    else Bf16.decode(sb, 0, fb, 0, m);
                    t.writeFloats(i, fb, 0, m);
                }
            }
            default -> throw new IllegalArgumentException("dtype: expected F32, F16 or BF16, got " + dtype);
        }
        return t;
    }

    /**
     * Reads exactly {@code bytes} bytes of data and then expects the end of the stream. Memory is taken only
     * as data actually arrive (chunks of 1 MB), so a header that lies about the size cannot exhaust memory.
     */
    static MemorySegment readExactly(InputStream in, long bytes, String source, String field, String what) throws IOException {
        List<byte[]> chunks = new ArrayList<>();
        long got = 0;
        while (got < bytes) {
            int want = (int) Math.min(STREAM_CHUNK, bytes - got);
            byte[] c = in.readNBytes(want); // blocks until `want` bytes or the end of the stream
            if (c.length > 0) chunks.add(c);
            got += c.length;
            if (c.length < want) {
                throw new TensorFormatException(source, field, bytes + " bytes " + what, got + " bytes (truncated)");
            }
        }
        if (in.read() != -1) {
            throw new TensorFormatException(source, field, bytes + " bytes " + what, "at least " + (bytes + 1) + " bytes (trailing data)");
        }
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(1, bytes));
        long at = 0;
        for (byte[] c : chunks) {
            MemorySegment.copy(c, 0, seg, ValueLayout.JAVA_BYTE, at, c.length);
            at += c.length;
        }
        return seg;
    }

    /** Writes all elements of {@code t} (any layout) in row-major order as little-endian {@code dtype}. */
    static void encode(Tensor t, DType dtype, WritableByteChannel ch) throws IOException {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("dtype: expected F32, F16 or BF16, got " + dtype);
        }
        Tensor c = t.contiguous();
        long n = c.size();
        if (n == 0) return;
        long base = c.offsetOf(new long[c.rank()]);
        float[] fb = new float[CHUNK];
        ByteBuffer bb = ByteBuffer.allocate(CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i += CHUNK) {
            int m = (int) Math.min(CHUNK, n - i);
            c.readFloats(base + i, fb, 0, m);
            bb.clear();
            switch (dtype) {
                case F32 -> {
                    bb.asFloatBuffer().put(fb, 0, m);
                    bb.limit(4 * m);
                }
                case F16 -> {
                    for (int j = 0; j < m; j++) bb.putShort(Float.floatToFloat16(fb[j]));
                    bb.flip();
                }
                default -> {
                    for (int j = 0; j < m; j++) bb.putShort(Bf16.fromFloat(fb[j]));
                    bb.flip();
                }
            }
            while (bb.hasRemaining()) ch.write(bb);
        }
    }
}
