package dev.attend.tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) of float32 ({@code '<f4'}) and float16
 * ({@code '<f2'}) arrays in C order, read into and written from F32 {@link Tensor}s.
 *
 * <p>Layout: the magic {@code \x93NUMPY}, major and minor version bytes, the header length (little-endian
 * uint16 in 1.0, uint32 in 2.0/3.0), the header (a Python dict literal such as
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}, Latin-1 in 1.0/2.0, UTF-8 in 3.0, padded
 * with spaces and a final {@code '\n'} so that the data start at a multiple of 64), then the raw data.
 *
 * <p>Reading is strict and bounded: the header length is checked against the file size and capped at
 * {@value #MAX_HEADER_BYTES} bytes before anything is allocated from it, the dict is parsed by a small strict
 * parser (string, int, bool, tuple literals; nesting capped), the keys must be exactly {@code descr},
 * {@code fortran_order} and {@code shape}, and {@code prod(shape) * itemsize} must equal the bytes after the
 * header exactly. Every malformed file gives a {@link TensorFormatException} naming the file, the field, the
 * expected and actual values; real I/O failures are {@link IOException}s. F16 data are converted to F32 on read.
 *
 * <p>Paths must name regular files. A directory, a pipe or FIFO (e.g. {@code /dev/stdin} on a pipe), a socket or a
 * device is refused by name, before it is opened, with a {@link java.nio.file.FileSystemException}: reading maps
 * the file and checks the header's sizes against the file's length before allocating anything, which a pipe
 * (no length, readable once, and a FIFO blocks on open until a writer appears) cannot offer. Read a pipe with
 * {@link #read(InputStream)}, which takes memory only as bytes arrive. Null arguments are refused with an
 * {@link IllegalArgumentException} naming the argument.
 *
 * <p>Writing produces byte-for-byte what {@code numpy.save} (NumPy >= 1.24) writes for the same array: keys in
 * sorted order, the spare spaces NumPy leaves for growing the first axis, 64-byte alignment, version 1.0 unless
 * the header needs 2.0.
 *
 * <p>Cost: reading a file maps it and copies (converting F16) once into a new off-heap tensor, so tensors
 * beyond 2 GB work; {@link #map} avoids even that copy for {@code '<f4'} files. Writing streams in 32 KB chunks.
 */
public final class Npy {
    /** Largest header accepted (NumPy itself refuses headers above 10000 bytes by default). */
    public static final int MAX_HEADER_BYTES = 1 << 20;
    /** Largest rank accepted, NumPy's NPY_MAXDIMS; {@link Safetensors#MAX_RANK} is the same. */
    public static final int MAX_RANK = Codec.MAX_RANK;
    private static final String STREAM = "use Npy.read(InputStream)";
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    private static final int ALIGN = 64;

    private Npy() {}

    /** What a {@code .npy} header says: the stored dtype ({@link DType#F32} or {@link DType#F16}), shape, and where the data start. */
    public record Header(int majorVersion, int minorVersion, DType dtype, long[] shape, long dataOffset, long dataBytes) {
        public Header {
            Checks.notNull("dtype", dtype);
            Checks.notNull("shape", shape);
            shape = shape.clone();
        }

        @Override
        public long[] shape() { return shape.clone(); }

        @Override
        public String toString() {
            return "Npy.Header[v" + majorVersion + "." + minorVersion + ", " + dtype + ", " + Arrays.toString(shape)
                    + ", data at " + dataOffset + "]";
        }
    }

    // ---------------------------------------------------------------- reading

    /** Reads a {@code .npy} file into a new F32 tensor (F16 data are converted). */
    public static Tensor read(Path path) throws IOException {
        Checks.notNull("path", path);
        String src = path.toString();
        try (FileChannel ch = Codec.openRegularFile(path, STREAM, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            Header h = header(file, src);
            return Codec.decode(file, h.dataOffset(), h.dtype(), h.shape);
        }
    }

    /** Parses an in-memory {@code .npy} file into a new F32 tensor. */
    public static Tensor read(byte[] bytes) {
        Checks.notNull("bytes", bytes);
        MemorySegment file = MemorySegment.ofArray(bytes);
        Header h = header(file, null);
        return Codec.decode(file, h.dataOffset(), h.dtype(), h.shape);
    }

    /**
     * Reads a {@code .npy} file from a stream, which must end right after the data. Memory is taken as bytes
     * arrive (the header's sizes are never trusted up front), at most about twice the data size.
     */
    public static Tensor read(InputStream in) throws IOException {
        Checks.notNull("in", in);
        String src = "<stream>";
        byte[] pre = in.readNBytes(10);
        if (pre.length >= 8 && pre[6] >= 2 && pre.length == 10) {
            byte[] more = in.readNBytes(2);
            pre = Arrays.copyOf(pre, 10 + more.length);
            System.arraycopy(more, 0, pre, 10, more.length);
        }
        Prefix p = prefix(MemorySegment.ofArray(pre), -1, src);
        byte[] hb = in.readNBytes((int) p.headerLen);
        if (hb.length < p.headerLen) {
            throw new TensorFormatException(src, "header length", p.headerLen + " header bytes",
                    hb.length + " bytes before the end of the stream");
        }
        Parsed d = parseDict(hb, p, src);
        long bytes = Codec.dataBytes(d.shape, d.dtype, src, "shape");
        MemorySegment data = Codec.readExactly(in, bytes, src, "data length",
                "for shape " + Arrays.toString(d.shape) + " of " + descr(d.dtype));
        return Codec.decode(data, 0, d.dtype, d.shape);
    }

    /** Reads and validates only the header of a {@code .npy} file (the data length is checked too). */
    public static Header readHeader(Path path) throws IOException {
        Checks.notNull("path", path);
        try (FileChannel ch = Codec.openRegularFile(path, STREAM, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            return header(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena), path.toString());
        }
    }

    /**
     * Reads and validates only the header of a {@code .npy} file held by {@code in}: the prefix first, then exactly the
     * header's bytes once its length is checked against the file's size and {@link #MAX_HEADER_BYTES}; the data
     * length is checked too. {@code src} names the file in errors.
     */
    public static Header readHeader(ByteSource in, String src) throws IOException {
        Checks.notNull("in", in);
        Checks.notNull("src", src);
        long size = in.size();
        byte[] pre = in.read(0, (int) Math.min(12, size));
        Prefix p = prefix(MemorySegment.ofArray(pre), size, src);
        byte[] head = in.read(0, Math.toIntExact(p.prefixLen + p.headerLen));
        return header(MemorySegment.ofArray(head), src, size);
    }

    /**
     * Maps a {@code '<f4'} file as a tensor without reading it: pages load on first touch, so this opens files
     * far larger than memory. For a writable file the mapping is private (copy-on-write): writes to the tensor
     * change memory, never the file; for a read-only file the mapping is read-only and writes to the tensor throw.
     * The mapping lives until the tensor is garbage collected. Needs a little-endian platform.
     *
     * @throws TensorFormatException if the file is malformed or its dtype is not {@code '<f4'}
     */
    public static Tensor map(Path path) throws IOException {
        Checks.notNull("path", path);
        String src = path.toString();
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("Npy.map needs a little-endian platform; use Npy.read");
        }
        // A private (copy-on-write) mapping needs a channel opened for writing, though it never writes the file.
        boolean writable = java.nio.file.Files.isWritable(path);
        try (FileChannel ch = writable ? Codec.openRegularFile(path, STREAM, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : Codec.openRegularFile(path, STREAM, StandardOpenOption.READ)) {
            Header h;
            try (Arena arena = Arena.ofConfined()) {
                long head = Math.min(ch.size(), 12L + MAX_HEADER_BYTES);
                h = header(ch.map(FileChannel.MapMode.READ_ONLY, 0, head, arena), src, ch.size());
            }
            if (h.dtype() != DType.F32) {
                throw new TensorFormatException(src, "descr", "'<f4' (map reads only float32; use Npy.read)", descr(h.dtype()));
            }
            MemorySegment data = ch.map(writable ? FileChannel.MapMode.PRIVATE : FileChannel.MapMode.READ_ONLY,
                    h.dataOffset(), h.dataBytes(), Arena.ofAuto());
            return Tensor.wrap(data, h.shape);
        }
    }

    private record Prefix(int major, int minor, long headerLen, int prefixLen) {}

    private record Parsed(DType dtype, long[] shape) {}

    private static Header header(MemorySegment file, String src) {
        return header(file, src, file.byteSize());
    }

    /** Validates the whole header of a file of {@code fileSize} bytes whose first bytes are in {@code head}. */
    private static Header header(MemorySegment head, String src, long fileSize) {
        Prefix p = prefix(head, fileSize, src);
        byte[] hb = head.asSlice(p.prefixLen, p.headerLen).toArray(ValueLayout.JAVA_BYTE);
        Parsed d = parseDict(hb, p, src);
        long dataOffset = p.prefixLen + p.headerLen;
        long expected = Codec.dataBytes(d.shape, d.dtype, src, "shape");
        long actual = fileSize - dataOffset;
        if (expected != actual) {
            throw new TensorFormatException(src, "data length", expected + " bytes for shape " + Arrays.toString(d.shape)
                    + " of " + descr(d.dtype), actual + " bytes (" + (actual < expected ? "truncated" : "trailing data") + ")");
        }
        return new Header(p.major, p.minor, d.dtype, d.shape, dataOffset, expected);
    }

    /** Magic, version and header length; {@code fileSize} is -1 for a stream of unknown length. */
    private static Prefix prefix(MemorySegment b, long fileSize, String src) {
        long have = b.byteSize();
        for (int i = 0; i < MAGIC.length && i < have; i++) {
            if (b.get(ValueLayout.JAVA_BYTE, i) != MAGIC[i]) {
                byte[] got = b.asSlice(0, Math.min(6, have)).toArray(ValueLayout.JAVA_BYTE);
                throw new TensorFormatException(src, "magic", "\\x93NUMPY (not a .npy file?)",
                        TensorFormatException.show(new String(got, StandardCharsets.ISO_8859_1)));
            }
        }
        if (have < 10) throw new TensorFormatException(src, "file length", "at least 10 bytes", have + " bytes");
        int major = b.get(ValueLayout.JAVA_BYTE, 6) & 0xff, minor = b.get(ValueLayout.JAVA_BYTE, 7) & 0xff;
        if (minor != 0 || major < 1 || major > 3) {
            throw new TensorFormatException(src, "version", "1.0, 2.0 or 3.0", major + "." + minor);
        }
        int prefixLen = major == 1 ? 10 : 12;
        if (have < prefixLen) throw new TensorFormatException(src, "file length", "at least " + prefixLen + " bytes", have + " bytes");
        long hlen = major == 1
                ? b.get(Codec.LE_I16, 8) & 0xffffL
                : b.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8) & 0xffffffffL;
        if (fileSize >= 0 && hlen > fileSize - prefixLen) {
            throw new TensorFormatException(src, "header length", "at most " + (fileSize - prefixLen)
                    + " (the bytes after the " + prefixLen + "-byte prefix of a " + fileSize + "-byte file)", hlen);
        }
        if (hlen > MAX_HEADER_BYTES) {
            throw new TensorFormatException(src, "header length", "at most " + MAX_HEADER_BYTES + " bytes", hlen);
        }
        return new Prefix(major, minor, hlen, prefixLen);
    }

    private static Parsed parseDict(byte[] hb, Prefix p, String src) {
        String text;
        if (p.major == 3) {
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(hb)).toString();
            } catch (CharacterCodingException e) {
                throw new TensorFormatException(src, "header", "UTF-8 text (version 3.0)", "invalid UTF-8");
            }
        } else {
            text = new String(hb, StandardCharsets.ISO_8859_1);
        }
        Object root = new PyLiteral(text, src).parseAll();
        if (!(root instanceof Map<?, ?> dict)) {
            throw new TensorFormatException(src, "header", "a dict literal", PyLiteral.typeName(root));
        }
        for (String k : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(k)) {
                throw new TensorFormatException(src, "header", "keys 'descr', 'fortran_order' and 'shape'", "no key '" + k + "'");
            }
        }
        for (Object k : dict.keySet()) {
            if (!List.of("descr", "fortran_order", "shape").contains(k)) {
                throw new TensorFormatException(src, "header", "only keys 'descr', 'fortran_order' and 'shape'",
                        "extra key " + TensorFormatException.show(String.valueOf(k)));
            }
        }
        Object descr = dict.get("descr");
        DType dtype;
        if ("<f4".equals(descr)) dtype = DType.F32;
        else if ("<f2".equals(descr)) dtype = DType.F16;
        else {
            throw new TensorFormatException(src, "descr", "'<f4' or '<f2' (unsupported dtype)",
                    descr instanceof String s ? TensorFormatException.show(s) : PyLiteral.typeName(descr) + " (structured dtype?)");
        }
        Object fo = dict.get("fortran_order");
        if (Boolean.TRUE.equals(fo)) {
            throw new TensorFormatException(src, "fortran_order", "Fortran order not supported (expected False; "
                    + "save a C-order array, e.g. np.ascontiguousarray(a))");
        }
        if (!Boolean.FALSE.equals(fo)) {
            throw new TensorFormatException(src, "fortran_order", "False", PyLiteral.typeName(fo));
        }
        Object sh = dict.get("shape");
        if (!(sh instanceof PyLiteral.Tuple(List<Object> items))) {
            throw new TensorFormatException(src, "shape", "a tuple of ints", PyLiteral.typeName(sh));
        }
        Codec.checkRank(items.size(), src, "shape");
        long[] shape = new long[items.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(items.get(i) instanceof BigInteger v)) {
                throw new TensorFormatException(src, "shape[" + i + "]", "an int", PyLiteral.typeName(items.get(i)));
            }
            if (v.signum() < 0 || v.bitLength() >= 64) {
                throw new TensorFormatException(src, "shape[" + i + "]", "a dimension in [0, 2^63)", v);
            }
            shape[i] = v.longValue();
        }
        return new Parsed(dtype, shape);
    }

    // ---------------------------------------------------------------- writing

    /** Writes {@code t} as a float32 ({@code '<f4'}) {@code .npy} file. */
    public static void write(Path path, Tensor t) throws IOException {
        write(path, t, DType.F32);
    }

    /**
     * Writes {@code t} as a {@code .npy} file of {@code dtype} {@link DType#F32} ({@code '<f4'}) or
     * {@link DType#F16} ({@code '<f2'}, rounded to nearest even). NumPy has no bfloat16 or Q8_0.
     */
    public static void write(Path path, Tensor t, DType dtype) throws IOException {
        Checks.notNull("path", path);
        byte[] head = headerBytes(t, dtype);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            write(ch, head, t, dtype);
        }
    }

    /** Writes a {@code .npy} file to a stream (the stream is not closed). */
    public static void write(OutputStream out, Tensor t, DType dtype) throws IOException {
        Checks.notNull("out", out);
        byte[] head = headerBytes(t, dtype);
        write(Channels.newChannel(out), head, t, dtype);
    }

    /** The bytes of the {@code .npy} file for {@code t} (tensors under 2 GB). */
    public static byte[] toBytes(Tensor t, DType dtype) {
        Checks.notNull("t", t);
        if (t.size() > (Integer.MAX_VALUE - (1 << 20)) / 4) {
            throw new IllegalArgumentException("t: " + t.size() + " elements do not fit a byte[]; use write(Path, ...)");
        }
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try {
            write(bos, t, dtype);
        } catch (IOException e) {
            throw new AssertionError("in-memory write failed", e);
        }
        return bos.toByteArray();
    }

    private static void write(WritableByteChannel ch, byte[] head, Tensor t, DType dtype) throws IOException {
        java.nio.ByteBuffer hb = java.nio.ByteBuffer.wrap(head);
        while (hb.hasRemaining()) ch.write(hb);
        Codec.encode(t, dtype, ch);
    }

    /** The exact header numpy.save writes (NumPy >= 1.24): sorted keys, growth spaces, 64-byte alignment. */
    static byte[] headerBytes(Tensor t, DType dtype) {
        Checks.notNull("t", t);
        Checks.notNull("dtype", dtype);
        if (dtype != DType.F32 && dtype != DType.F16) {
            throw new IllegalArgumentException("dtype: expected F32 or F16 for .npy, got " + dtype);
        }
        long[] shape = t.shape();
        if (shape.length > MAX_RANK) {
            throw new IllegalArgumentException("t: expected at most " + MAX_RANK + " dimensions for .npy, got " + shape.length);
        }
        StringBuilder s = new StringBuilder("{'descr': ").append(descr(dtype)).append(", 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) s.append(", ");
            s.append(shape[i]);
        }
        if (shape.length == 1) s.append(',');
        s.append("), }");
        if (shape.length > 0) s.append(" ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length())));
        int hlen = s.length() + 1;                          // + '\n'
        // Version 1.0 unless its 16-bit length field cannot hold the padded header, as numpy.save decides.
        int major = 1, prefix = 10;
        int pad = ALIGN - (prefix + hlen) % ALIGN;          // NumPy pads a full 64 when already aligned
        if (hlen + pad > 0xffff) {
            major = 2;
            prefix = 12;
            pad = ALIGN - (prefix + hlen) % ALIGN;
        }
        s.append(" ".repeat(pad)).append('\n');
        byte[] text = s.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[prefix + text.length];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[6] = (byte) major;
        out[7] = 0;
        int len = text.length;
        out[8] = (byte) len;
        out[9] = (byte) (len >>> 8);
        if (major == 2) {
            out[10] = (byte) (len >>> 16);
            out[11] = (byte) (len >>> 24);
        }
        System.arraycopy(text, 0, out, prefix, len);
        return out;
    }

    private static String descr(DType d) {
        return d == DType.F16 ? "'<f2'" : "'<f4'";
    }

    /**
     * The subset of Python literal syntax that NumPy headers use: dict, tuple, list, str (no escapes), int,
     * True, False, None. Ints are kept as {@link BigInteger} (at most 100 digits) so that overflow is reported,
     * not wrapped. Nesting is capped at 16 levels.
     */
    static final class PyLiteral {
        record Tuple(List<Object> items) {}

        static final Object NONE = new Object() {
            @Override public String toString() { return "None"; }
        };
        private static final int MAX_DEPTH = 16;
        private static final int MAX_DIGITS = 100;

        private final String s;
        private final String src;
        private int pos;

        PyLiteral(String s, String src) {
            this.s = s;
            this.src = src;
        }

        static String typeName(Object v) {
            if (v instanceof Map) return "a dict";
            if (v instanceof Tuple) return "a tuple";
            if (v instanceof List) return "a list";
            if (v instanceof String str) return "a str " + TensorFormatException.show(str);
            if (v instanceof Boolean b) return b ? "True" : "False";
            if (v instanceof BigInteger i) return "the int " + i;
            return "None";
        }

        Object parseAll() {
            ws();
            Object v = value(0);
            ws();
            if (pos != s.length()) throw error("only spaces and '\\n' after the dict", here());
            return v;
        }

        private TensorFormatException error(String expected, String actual) {
            return new TensorFormatException(src, "header", "a Python literal dict: " + expected + " at offset " + pos, actual);
        }

        private String here() {
            return pos >= s.length() ? "end of header" : TensorFormatException.show(s.substring(pos, Math.min(s.length(), pos + 16)));
        }

        private void ws() {
            while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t' || s.charAt(pos) == '\n' || s.charAt(pos) == '\r')) pos++;
        }

        private Object value(int depth) {
            if (depth > MAX_DEPTH) throw error("nesting depth at most " + MAX_DEPTH, "deeper");
            if (pos >= s.length()) throw error("a value", "end of header");
            char c = s.charAt(pos);
            if (c == '{') return dict(depth);
            if (c == '(') return sequence(depth, ')');
            if (c == '[') return sequence(depth, ']');
            if (c == '\'' || c == '"') return string();
            if (c == '-' || (c >= '0' && c <= '9')) return integer();
            if (s.startsWith("True", pos)) { pos += 4; return Boolean.TRUE; }
            if (s.startsWith("False", pos)) { pos += 5; return Boolean.FALSE; }
            if (s.startsWith("None", pos)) { pos += 4; return NONE; }
            throw error("a value", here());
        }

        private Map<Object, Object> dict(int depth) {
            pos++;
            Map<Object, Object> m = new LinkedHashMap<>();
            while (true) {
                ws();
                if (pos < s.length() && s.charAt(pos) == '}') { pos++; return m; }
                int keyAt = pos;
                Object k = value(depth + 1);
                if (!(k instanceof String)) {
                    pos = keyAt;
                    throw error("a str key", here());
                }
                ws();
                if (pos >= s.length() || s.charAt(pos) != ':') throw error("':'", here());
                pos++;
                ws();
                Object v = value(depth + 1);
                if (m.containsKey(k)) {
                    throw new TensorFormatException(src, "header", "unique keys", "duplicate key " + TensorFormatException.show((String) k));
                }
                m.put(k, v);
                ws();
                if (pos < s.length() && s.charAt(pos) == ',') { pos++; continue; }
                if (pos < s.length() && s.charAt(pos) == '}') { pos++; return m; }
                throw error("',' or '}'", here());
            }
        }

        /** A tuple or list; {@code (x)} without a comma is just x, as in Python. */
        private Object sequence(int depth, char close) {
            pos++;
            List<Object> items = new ArrayList<>();
            boolean comma = false;
            while (true) {
                ws();
                if (pos < s.length() && s.charAt(pos) == close) { pos++; break; }
                items.add(value(depth + 1));
                ws();
                if (pos < s.length() && s.charAt(pos) == ',') { pos++; comma = true; continue; }
                if (pos < s.length() && s.charAt(pos) == close) { pos++; break; }
                throw error("',' or '" + close + "'", here());
            }
            if (close == ']') return items;
            if (items.size() == 1 && !comma) return items.getFirst();
            return new Tuple(items);
        }

        private String string() {
            char q = s.charAt(pos++);
            int start = pos;
            while (pos < s.length() && s.charAt(pos) != q) {
                char c = s.charAt(pos);
                if (c == '\\' || c == '\n' || c == '\r') throw error("a plain string (no escapes or line breaks)", here());
                pos++;
            }
            if (pos >= s.length()) throw error("closing quote", "end of header");
            return s.substring(start, pos++);
        }

        private BigInteger integer() {
            int start = pos;
            if (s.charAt(pos) == '-') pos++;
            int digits = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') pos++;
            if (pos == digits) throw error("a digit", here());
            if (pos - digits > MAX_DIGITS) {
                pos = start;
                throw error("an int of at most " + MAX_DIGITS + " digits", here());
            }
            if (s.charAt(digits) == '0' && pos - digits > 1) {
                pos = start;
                throw error("an int without leading zeros", here());
            }
            if (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '.' || s.charAt(pos) == '_')) {
                throw error("an int literal", here());
            }
            return new BigInteger(s.substring(start, pos));
        }
    }
}
