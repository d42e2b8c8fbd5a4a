package dev.attend.tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * safetensors files (the Hugging Face format) of F32, F16 and BF16 tensors, read into and written from F32
 * {@link Tensor}s.
 *
 * <p>Layout: an unsigned 64-bit little-endian header length N; N bytes of UTF-8 JSON, an object mapping each
 * tensor name to {@code {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}} plus an optional
 * {@code "__metadata__"} object of string values; then the data region, where each tensor's little-endian,
 * row-major bytes lie at {@code [begin, end)} relative to the region's start.
 *
 * <p>Reading is strict and bounded, following the reference implementation: N must fit in the file and be at
 * most {@value #MAX_HEADER_BYTES} bytes (checked before anything is allocated), the header must be valid JSON
 * (strict parser, duplicate keys refused, nesting capped) and an object; each entry must have exactly the
 * fields {@code dtype}, {@code shape} and {@code data_offsets}; the dtype must be F32, F16 or BF16 (others, e.g.
 * F64 or I8, are refused by name); a shape has at most {@value #MAX_RANK} dimensions (as in {@code .npy}), each
 * non-negative, with a product that fits; offsets must
 * satisfy {@code begin <= end <= data length} and {@code end - begin = prod(shape) * dtype size}; and the
 * tensors must tile the data region exactly, without overlaps, holes or trailing bytes. Every malformed file
 * gives a {@link TensorFormatException} naming the file, the field (e.g. {@code tensor 'w' data_offsets}), the
 * expected and the actual value; real I/O failures are {@link IOException}s.
 *
 * <p>Tensors come back in header order (the order of the JSON object), F16 and BF16 converted to F32.
 * Writing puts {@code __metadata__} first, then the tensors in map order with consecutive offsets, and pads
 * the header with spaces to a multiple of 8 bytes so the data are 8-byte aligned (as the reference writer does).
 *
 * <p>Paths must name regular files: a directory, a pipe or FIFO (e.g. {@code /dev/stdin} on a pipe), a socket or a
 * device is refused by name, before it is opened, with a {@link java.nio.file.FileSystemException}. Reading maps
 * the file and checks the header's sizes and offsets against the file's length before allocating anything, which
 * a pipe (no length, readable once, and a FIFO blocks on open until a writer appears) cannot offer; read such a
 * source into a byte array and use {@link #read(byte[])}. Null arguments are refused with an
 * {@link IllegalArgumentException} naming the argument.
 *
 * <p>Cost: reading maps the file and copies each tensor once (converting 16-bit types), so files beyond 2 GB
 * work; writing streams in 32 KB chunks.
 */
public final class Safetensors {
    /** Largest header accepted; the reference implementation uses the same 100 MB cap. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Largest rank accepted, the same cap as {@link Npy#MAX_RANK} (NumPy's NPY_MAXDIMS). */
    public static final int MAX_RANK = Codec.MAX_RANK;
    private static final String METADATA = "__metadata__";
    private static final Set<String> OTHER_DTYPES = Set.of("F64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3",
            "F6_E3M2", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL", "C64");
    private static final ValueLayout.OfLong LE_I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Safetensors() {}

    /**
     * Everything a safetensors file holds: tensors (as F32, header order), the dtype each was stored in, and the
     * {@code __metadata__} strings (empty when absent). The maps are unmodifiable.
     */
    public record Contents(Map<String, Tensor> tensors, Map<String, DType> dtypes, Map<String, String> metadata) {
        public Contents {
            Checks.notNull("tensors", tensors);
            Checks.notNull("dtypes", dtypes);
            Checks.notNull("metadata", metadata);
        }
    }

    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    // ---------------------------------------------------------------- reading

    /** Reads all tensors of a file, in header order, as F32. */
    public static Map<String, Tensor> read(Path path) throws IOException {
        return load(path).tensors();
    }

    /** Parses all tensors of an in-memory file, in header order, as F32. */
    public static Map<String, Tensor> read(byte[] bytes) {
        return load(bytes).tensors();
    }

    /** Reads a file: tensors, stored dtypes and metadata. */
    public static Contents load(Path path) throws IOException {
        Checks.notNull("path", path);
        try (FileChannel ch = Codec.openRegularFile(path, "read its bytes and use Safetensors.read(byte[])", StandardOpenOption.READ);
             Arena arena = Arena.ofConfined()) {
            return parse(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena), path.toString());
        }
    }

    /** Parses an in-memory file: tensors, stored dtypes and metadata. */
    public static Contents load(byte[] bytes) {
        Checks.notNull("bytes", bytes);
        return parse(MemorySegment.ofArray(bytes), null);
    }

    /** Where one tensor of a file lies: its stored dtype and shape, and its bytes at {@code [offset, offset + bytes)} of the file. */
    public record Stored(DType dtype, long[] shape, long offset, long bytes) {
        public Stored {
            Checks.notNull("dtype", dtype);
            Checks.notNull("shape", shape);
            shape = shape.clone();
        }

        @Override
        public long[] shape() { return shape.clone(); }
    }

    /**
     * Reads and validates only the header of a file held by {@code in} (the 8-byte length first, then exactly the
     * header once its length is checked against the file's size and {@link #MAX_HEADER_BYTES}), with the same checks
     * as {@link #load}: where each tensor lies, by name in header order. {@code src} names the file in errors.
     */
    public static Map<String, Stored> readIndex(ByteSource in, String src) throws IOException {
        Checks.notNull("in", in);
        Checks.notNull("src", src);
        long size = in.size();
        long n = headerLength(MemorySegment.ofArray(in.read(0, (int) Math.min(8, size))), size, src);
        Index ix = index(MemorySegment.ofArray(in.read(0, Math.toIntExact(8 + n))), size, src);
        Map<String, Stored> out = new LinkedHashMap<>();
        for (Entry e : ix.entries) out.put(e.name, new Stored(e.dtype, e.shape, ix.dataStart + e.begin, e.end - e.begin));
        return Collections.unmodifiableMap(out);
    }

    private record Index(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

    private static long headerLength(MemorySegment head, long size, String src) {
        if (size < 8) throw new TensorFormatException(src, "file length", "at least 8 bytes (the header length)", size + " bytes");
        long n = head.get(LE_I64, 0);
        if (n < 0 || n > size - 8) {
            throw new TensorFormatException(src, "header length", "at most " + (size - 8) + " (file size - 8)",
                    Long.toUnsignedString(n));
        }
        if (n > MAX_HEADER_BYTES) {
            throw new TensorFormatException(src, "header length", "at most " + MAX_HEADER_BYTES + " bytes", n);
        }
        return n;
    }

    private static Contents parse(MemorySegment file, String src) {
        Index ix = index(file, file.byteSize(), src);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, DType> dtypes = new LinkedHashMap<>();
        for (Entry e : ix.entries) {
            tensors.put(e.name, Codec.decode(file, ix.dataStart + e.begin, e.dtype, e.shape));
            dtypes.put(e.name, e.dtype);
        }
        return new Contents(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(dtypes),
                Collections.unmodifiableMap(ix.metadata));
    }

    /** The header of a file of {@code size} bytes whose first bytes (at least the header) are in {@code file}. */
    private static Index index(MemorySegment file, long size, String src) {
        long n = headerLength(file, size, src);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(file.asSlice(8, n).asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw new TensorFormatException(src, "header", "UTF-8 text", "invalid UTF-8");
        }
        Object root = Json.parse(text, src, "header");
        if (!(root instanceof Map<?, ?> header)) throw new TensorFormatException(src, "header", "a JSON object", Json.typeName(root));
        long dataStart = 8 + n, dataLen = size - dataStart;

        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA)) {
                if (!(e.getValue() instanceof Map<?, ?> md)) {
                    throw new TensorFormatException(src, METADATA, "an object of strings", Json.typeName(e.getValue()));
                }
                for (Map.Entry<?, ?> m : md.entrySet()) {
                    if (!(m.getValue() instanceof String v)) {
                        throw new TensorFormatException(src, METADATA + " " + TensorFormatException.show((String) m.getKey()),
                                "a string", Json.typeName(m.getValue()));
                    }
                    metadata.put((String) m.getKey(), v);
                }
                continue;
            }
            entries.add(entry(name, e.getValue(), dataLen, src));
        }
        checkTiling(entries, dataLen, src);
        return new Index(entries, metadata, dataStart);
    }

    private static Entry entry(String name, Object value, long dataLen, String src) {
        String f = "tensor " + TensorFormatException.show(name);
        if (!(value instanceof Map<?, ?> m)) {
            throw new TensorFormatException(src, f, "an object with dtype, shape and data_offsets", Json.typeName(value));
        }
        for (String k : List.of("dtype", "shape", "data_offsets")) {
            if (!m.containsKey(k)) throw new TensorFormatException(src, f, "a field '" + k + "'", "none");
        }
        for (Object k : m.keySet()) {
            if (!List.of("dtype", "shape", "data_offsets").contains(k)) {
                throw new TensorFormatException(src, f, "only the fields dtype, shape and data_offsets",
                        "a field " + TensorFormatException.show((String) k));
            }
        }
        Object dt = m.get("dtype");
        if (!(dt instanceof String dts)) throw new TensorFormatException(src, f + " dtype", "a string", Json.typeName(dt));
        DType dtype = switch (dts) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            default -> throw new TensorFormatException(src, f + " dtype", "F32, F16 or BF16",
                    TensorFormatException.show(dts) + (OTHER_DTYPES.contains(dts) ? " (unsupported dtype)" : " (unknown dtype)"));
        };
        if (!(m.get("shape") instanceof List<?> dims)) {
            throw new TensorFormatException(src, f + " shape", "an array of integers", Json.typeName(m.get("shape")));
        }
        Codec.checkRank(dims.size(), src, f + " shape");
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = nonNegative(dims.get(i), src, f + " shape[" + i + "]");
        if (!(m.get("data_offsets") instanceof List<?> offs) || offs.size() != 2) {
            throw new TensorFormatException(src, f + " data_offsets", "an array [begin, end]",
                    m.get("data_offsets") instanceof List<?> l ? "an array of " + l.size() : Json.typeName(m.get("data_offsets")));
        }
        long begin = nonNegative(offs.get(0), src, f + " data_offsets[0]");
        long end = nonNegative(offs.get(1), src, f + " data_offsets[1]");
        if (begin > end) {
            throw new TensorFormatException(src, f + " data_offsets", "begin <= end", "[" + begin + ", " + end + "]");
        }
        if (end > dataLen) {
            throw new TensorFormatException(src, f + " data_offsets", "end <= " + dataLen + " (the data region length)",
                    "[" + begin + ", " + end + "]");
        }
        long bytes = Codec.dataBytes(shape, dtype, src, f + " shape");
        if (end - begin != bytes) {
            throw new TensorFormatException(src, f + " data_offsets", "end - begin = " + bytes + " bytes for shape "
                    + Arrays.toString(shape) + " of " + dtype, (end - begin) + " bytes");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long nonNegative(Object v, String src, String field) {
        if (v instanceof Long l && l >= 0) return l;
        if (v instanceof Long || v instanceof BigInteger) {
            throw new TensorFormatException(src, field, "an integer in [0, 2^63)", v);
        }
        throw new TensorFormatException(src, field, "an integer", Json.typeName(v));
    }

    /** The tensors must cover the data region exactly: sorted by offsets, each begins where the previous ended. */
    private static void checkTiling(List<Entry> entries, long dataLen, String src) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long cursor = 0;
        String prev = null;
        for (Entry e : sorted) {
            String f = "tensor " + TensorFormatException.show(e.name) + " data_offsets";
            if (e.begin < cursor) {
                throw new TensorFormatException(src, f, "begin >= " + cursor + " (no overlap with tensor "
                        + TensorFormatException.show(prev) + ")", "[" + e.begin + ", " + e.end + "]");
            }
            if (e.begin > cursor) {
                throw new TensorFormatException(src, f, "begin = " + cursor + " (no hole in the data region after "
                        + (prev == null ? "its start" : "tensor " + TensorFormatException.show(prev)) + ")",
                        "[" + e.begin + ", " + e.end + "]");
            }
            cursor = e.end;
            prev = e.name;
        }
        if (cursor != dataLen) {
            throw new TensorFormatException(src, "data region", dataLen + " bytes covered by tensors",
                    cursor + " bytes covered (" + (dataLen - cursor) + " trailing bytes)");
        }
    }

    // ---------------------------------------------------------------- writing

    /** Writes tensors as F32, without metadata. */
    public static void write(Path path, Map<String, Tensor> tensors) throws IOException {
        write(path, tensors, Map.of(), Map.of());
    }

    /**
     * Writes tensors in map order.
     *
     * @param dtypes   the stored dtype per tensor name (F32, F16 or BF16; missing names are F32); values are
     *                 rounded to nearest even
     * @param metadata {@code __metadata__} strings (written only when not empty)
     * @throws IllegalArgumentException for a null or reserved name, a dtype other than F32/F16/BF16, a dtype for
     *                                  a name that is not a tensor, or a null metadata key or value
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, DType> dtypes,
                             Map<String, String> metadata) throws IOException {
        Checks.notNull("path", path);
        byte[] head = header(tensors, dtypes, metadata);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            write(ch, head, tensors, dtypes);
        }
    }

    /** Writes a safetensors file to a stream (not closed); see {@link #write(Path, Map, Map, Map)}. */
    public static void write(OutputStream out, Map<String, Tensor> tensors, Map<String, DType> dtypes,
                             Map<String, String> metadata) throws IOException {
        Checks.notNull("out", out);
        byte[] head = header(tensors, dtypes, metadata);
        write(Channels.newChannel(out), head, tensors, dtypes);
    }

    /** The bytes of the safetensors file (files under 2 GB); see {@link #write(Path, Map, Map, Map)}. */
    public static byte[] toBytes(Map<String, Tensor> tensors, Map<String, DType> dtypes, Map<String, String> metadata) {
        Checks.notNull("tensors", tensors);
        long elements = 0;
        for (Tensor t : tensors.values()) elements = Math.min(Long.MAX_VALUE / 2, elements + (t == null ? 0 : t.size()));
        if (elements > (Integer.MAX_VALUE - (1 << 20)) / 4) {
            throw new IllegalArgumentException("tensors: " + elements + " elements do not fit a byte[]; use write(Path, ...)");
        }
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try {
            write(bos, tensors, dtypes, metadata);
        } catch (IOException e) {
            throw new AssertionError("in-memory write failed", e);
        }
        return bos.toByteArray();
    }

    private static void write(WritableByteChannel ch, byte[] head, Map<String, Tensor> tensors,
                              Map<String, DType> dtypes) throws IOException {
        ByteBuffer hb = ByteBuffer.wrap(head);
        while (hb.hasRemaining()) ch.write(hb);
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Codec.encode(e.getValue(), dtypes.getOrDefault(e.getKey(), DType.F32), ch);
        }
    }

    /** Length field + padded JSON header. */
    private static byte[] header(Map<String, Tensor> tensors, Map<String, DType> dtypes, Map<String, String> metadata) {
        Checks.notNull("tensors", tensors);
        Checks.notNull("dtypes", dtypes);
        Checks.notNull("metadata", metadata);
        for (String k : dtypes.keySet()) {
            // Map.of().containsKey(null) throws: test for a null name first.
            if (k == null || !tensors.containsKey(k)) {
                throw new IllegalArgumentException("dtypes: expected names of tensors, got "
                        + (k == null ? "null" : TensorFormatException.show(k) + " (no tensor named " + TensorFormatException.show(k) + ")"));
            }
        }
        StringBuilder s = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            s.append(Json.quote(METADATA)).append(":{");
            boolean first = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                if (m.getKey() == null || m.getValue() == null) {
                    throw new IllegalArgumentException("metadata: expected non-null keys and values, got " + m.getKey() + "=" + m.getValue());
                }
                if (!first) s.append(',');
                first = false;
                s.append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
            }
            s.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.equals(METADATA)) {
                throw new IllegalArgumentException("tensors: expected a tensor name other than null and " + METADATA + ", got " + name);
            }
            Tensor t = e.getValue();
            if (t == null) throw new IllegalArgumentException("tensors: expected a tensor for " + TensorFormatException.show(name) + ", got null");
            DType d = dtypes.getOrDefault(name, DType.F32);
            if (d != DType.F32 && d != DType.F16 && d != DType.BF16) {
                throw new IllegalArgumentException("dtypes: expected F32, F16 or BF16 for " + TensorFormatException.show(name) + ", got " + d);
            }
            if (t.rank() > MAX_RANK) {
                throw new IllegalArgumentException("tensors: expected at most " + MAX_RANK + " dimensions (what readers accept) for "
                        + TensorFormatException.show(name) + ", got " + t.rank());
            }
            long bytes = d.byteSize(t.size());
            if (s.length() > 1) s.append(',');
            s.append(Json.quote(name)).append(":{\"dtype\":\"").append(d).append("\",\"shape\":[");
            long[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) s.append(i == 0 ? "" : ",").append(shape[i]);
            s.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        s.append('}');
        byte[] json;
        try {
            ByteBuffer bb = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(s));
            json = Arrays.copyOf(bb.array(), bb.limit());
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("tensors/metadata: names and strings must be valid Unicode (lone surrogate?)");
        }
        int padded = (json.length + 7) / 8 * 8; // 8-byte aligned data, as the reference writer does
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("header: " + padded + " bytes, more than readers accept (" + MAX_HEADER_BYTES + ")");
        }
        byte[] out = new byte[8 + padded];
        MemorySegment.ofArray(out).set(LE_I64, 0, padded);
        System.arraycopy(json, 0, out, 8, json.length);
        Arrays.fill(out, 8 + json.length, out.length, (byte) ' ');
        return out;
    }
}
