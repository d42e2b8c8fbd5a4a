package dev.attend.tensor;

// Jazzer's annotation; it shadows this package's FuzzTest (the mutation fuzzer without coverage) in this file.
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Coverage-guided fuzz targets (Jazzer) for the file readers: {@code .npy}, safetensors and the JSON reader.
 * Only {@link TensorFormatException} may escape a reader, and whatever a reader accepts must survive a round
 * trip through the writer bit for bit; the two {@code .npy} readers (bytes, stream) must agree.
 *
 * <p>{@code ./attend test} replays the seed corpus and every saved finding in
 * {@code src/test/resources/dev/attend/tensor/FileFormatFuzzTestInputs/<target>/} (regression mode, seconds);
 * {@code ./attend fuzz npy safetensors json} fuzzes (see CONTRIBUTING.md).
 */
class FileFormatFuzzTest {
    @FuzzTest(maxDuration = "5m")
    @DictionaryFile(resourcePath = "npy.dict")
    void npy(byte[] data) {
        Tensor fromBytes = null, fromStream = null;
        TensorFormatException bytesRefusal = null, streamRefusal = null;
        try {
            fromBytes = Npy.read(data);
        } catch (TensorFormatException e) {
            bytesRefusal = checkMessage(e);
        }
        try {
            fromStream = Npy.read(new ByteArrayInputStream(data));
        } catch (TensorFormatException e) {
            streamRefusal = checkMessage(e);
        } catch (IOException e) {
            throw new AssertionError("an in-memory stream cannot fail to read", e);
        }
        if ((bytesRefusal == null) != (streamRefusal == null)) {
            throw new AssertionError("the byte[] and stream readers disagree: byte[] "
                    + (bytesRefusal == null ? "accepts" : "refuses (" + bytesRefusal.getMessage() + ")") + ", stream "
                    + (streamRefusal == null ? "accepts" : "refuses (" + streamRefusal.getMessage() + ")"));
        }
        // The positioned header reader (what a reader of shards on a distributed file system uses) agrees, and reads
        // at most the prefix and the header.
        Npy.Header header = null;
        CountingSource src = new CountingSource(data);
        try {
            header = Npy.readHeader(src, "fuzz");
        } catch (TensorFormatException e) {
            checkMessage(e);
        } catch (IOException e) {
            throw new AssertionError("an in-memory source cannot fail to read", e);
        }
        if ((header == null) != (bytesRefusal != null)) {
            throw new AssertionError("the byte[] reader " + (bytesRefusal == null ? "accepts" : "refuses") + " but the header reader "
                    + (header == null ? "refuses" : "accepts"));
        }
        if (header != null && src.bytesRead > 12 + header.dataOffset()) {
            throw new AssertionError("the header reader read " + src.bytesRead + " bytes for a header ending at " + header.dataOffset());
        }
        if (fromBytes == null) return;
        if (!Arrays.equals(header.shape(), fromBytes.shape())) {
            throw new AssertionError("header shape " + Arrays.toString(header.shape()) + " but the data read as " + Arrays.toString(fromBytes.shape()));
        }
        assertSameTensor("stream reader", fromBytes, fromStream);
        // Round trip: what was read writes and reads back to the same bits; through F16 too when every value is a
        // half (as all values of an F16 file are).
        assertSameTensor("F32 round trip", fromBytes, Npy.read(Npy.toBytes(fromBytes, DType.F32)));
        if (allHalves(fromBytes)) assertSameTensor("F16 round trip", fromBytes, Npy.read(Npy.toBytes(fromBytes, DType.F16)));
    }

    private static boolean allHalves(Tensor t) {
        for (float x : t.toArray()) {
            if (!Float.isNaN(x) && Float.floatToRawIntBits(F16.toFloat(F16.fromFloat(x))) != Float.floatToRawIntBits(x)) return false;
        }
        return true;
    }

    @FuzzTest(maxDuration = "5m")
    @DictionaryEntries({"{\"", "\":{\"dtype\":\"", "F32", "F16", "BF16", "F64", "\",\"shape\":[", "],\"data_offsets\":[",
        "]}", "__metadata__", "\"format\":\"pt\"", "\\u0000", "\\ud800", "1e400", "-0", "9223372036854775808"})
    void safetensors(byte[] data) {
        Map<String, Safetensors.Stored> index = null;
        try {
            index = Safetensors.readIndex(new CountingSource(data), "fuzz");
        } catch (TensorFormatException e) {
            checkMessage(e);
        } catch (IOException e) {
            throw new AssertionError("an in-memory source cannot fail to read", e);
        }
        Safetensors.Contents c;
        try {
            c = Safetensors.load(data);
        } catch (TensorFormatException e) {
            checkMessage(e);
            if (index != null) throw new AssertionError("load refuses (" + e.getMessage() + ") but readIndex accepts");
            return;
        }
        if (index == null) throw new AssertionError("load accepts but readIndex refuses");
        if (!List.copyOf(index.keySet()).equals(List.copyOf(c.tensors().keySet()))) {
            throw new AssertionError("readIndex names " + index.keySet() + ", load " + c.tensors().keySet());
        }
        for (Map.Entry<String, Safetensors.Stored> e : index.entrySet()) {
            Safetensors.Stored st = e.getValue();
            if (!Arrays.equals(st.shape(), c.tensors().get(e.getKey()).shape()) || st.dtype() != c.dtypes().get(e.getKey())
                    || st.offset() + st.bytes() > data.length) {
                throw new AssertionError("readIndex entry " + e.getKey() + " disagrees with load: " + st);
            }
        }
        byte[] again = Safetensors.toBytes(c.tensors(), c.dtypes(), c.metadata());
        Safetensors.Contents back = Safetensors.load(again);
        if (!List.copyOf(c.tensors().keySet()).equals(List.copyOf(back.tensors().keySet()))) {
            throw new AssertionError("round trip changed the tensor names or their order: " + c.tensors().keySet()
                    + " -> " + back.tensors().keySet());
        }
        if (!c.dtypes().equals(back.dtypes())) throw new AssertionError("round trip changed dtypes: " + c.dtypes() + " -> " + back.dtypes());
        if (!c.metadata().equals(back.metadata())) throw new AssertionError("round trip changed metadata: " + c.metadata() + " -> " + back.metadata());
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            assertSameTensor("round trip of tensor '" + e.getKey() + "'", e.getValue(), back.tensors().get(e.getKey()));
        }
    }

    @FuzzTest(maxDuration = "5m")
    @DictionaryEntries({"{", "}", "[", "]", ":", ",", "\"", "\\\"", "\\\\", "\\/", "\\b", "\\u00e9", "\\ud83d\\ude00", "\\udc00",
        "true", "false", "null", "-", "0", "-0", "1.5e-3", "E+", "1e400", "9223372036854775807", "9223372036854775808"})
    void json(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        Object v;
        try {
            v = Json.parse(text, "fuzz", "json");
        } catch (TensorFormatException e) {
            checkMessage(e);
            return;
        }
        if (!finite(v)) return; // 1e400 reads as Infinity, which has no JSON text to round-trip through
        String written = write(v);
        Object back = Json.parse(written, "fuzz", "json (written back)");
        if (!v.equals(back)) throw new AssertionError("round trip changed the value: " + written + " read back as " + write(back));
    }

    // ---------------------------------------------------------------- oracles

    private static TensorFormatException checkMessage(TensorFormatException e) {
        if (e.getMessage() == null || e.getMessage().isBlank() || e.field() == null) {
            throw new AssertionError("a TensorFormatException without a message or field", e);
        }
        return e;
    }

    /** Same shape and the same value bits, except that any NaN equals any NaN (the writer may quiet a payload). */
    static void assertSameTensor(String what, Tensor want, Tensor got) {
        if (!Arrays.equals(want.shape(), got.shape())) {
            throw new AssertionError(what + ": shape " + Arrays.toString(want.shape()) + " became " + Arrays.toString(got.shape()));
        }
        float[] a = want.toArray(), b = got.toArray();
        for (int i = 0; i < a.length; i++) {
            boolean same = Float.floatToRawIntBits(a[i]) == Float.floatToRawIntBits(b[i]) || (Float.isNaN(a[i]) && Float.isNaN(b[i]));
            if (!same) {
                throw new AssertionError(what + ": element " + i + " was " + a[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(a[i]))
                        + "), became " + b[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(b[i])) + ")");
            }
        }
    }

    private static boolean finite(Object v) {
        if (v instanceof Double d) return Double.isFinite(d);
        if (v instanceof Map<?, ?> m) return m.values().stream().allMatch(FileFormatFuzzTest::finite);
        if (v instanceof List<?> l) return l.stream().allMatch(FileFormatFuzzTest::finite);
        return true;
    }

    /** JSON text for a parsed value (finite numbers only). */
    static String write(Object v) {
        if (v instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (b.length() > 1) b.append(',');
                b.append(Json.quote((String) e.getKey())).append(':').append(write(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (Object o : l) b.append(b.length() > 1 ? "," : "").append(write(o));
            return b.append(']').toString();
        }
        if (v instanceof String s) return Json.quote(s);
        if (v instanceof Long || v instanceof BigInteger || v instanceof Boolean) return v.toString();
        if (v instanceof Double d) return Double.toString(d);
        if (v == Json.NULL) return "null";
        throw new AssertionError("Json.parse returned a " + v.getClass().getName() + ": " + v);
    }

    /** An in-memory {@link ByteSource} that counts the bytes read. */
    static final class CountingSource implements ByteSource {
        final byte[] data;
        long bytesRead;

        CountingSource(byte[] data) {
            this.data = data;
        }

        @Override
        public long size() {
            return data.length;
        }

        @Override
        public void readFully(long position, byte[] dst) throws IOException {
            if (position < 0 || position + dst.length > data.length) throw new IOException("past the end");
            System.arraycopy(data, (int) position, dst, 0, dst.length);
            bytesRead += dst.length;
        }
    }
}
