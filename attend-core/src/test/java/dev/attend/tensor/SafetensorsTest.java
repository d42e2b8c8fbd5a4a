package dev.attend.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsTest {
    /** A safetensors file built by hand: 8-byte little-endian header length, the JSON, the data. */
    static byte[] st(String json, byte[] data) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }

    static TensorFormatException refuse(byte[] file, String... parts) {
        var e = assertThrows(TensorFormatException.class, () -> Safetensors.read(file));
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        return e;
    }

    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void readsAFileBuiltByHand() {
        byte[] data = ByteBuffer.allocate(14).order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(1.5f).putFloat(-2f)                      // a: F32 [2]
                .putShort((short) 0x3c00).putShort((short) 0xc000) // b: F16 [2] = 1, -2
                .putShort((short) 0x3f80).array();                 // c: BF16 [] = 1
        byte[] file = st("{\"__metadata__\":{\"format\":\"pt\"}," + entry("a", "F32", "[2]", 0, 8) + ","
                + entry("b", "F16", "[1,2]", 8, 12) + "," + entry("c", "BF16", "[]", 12, 14) + "}  ", data);
        Safetensors.Contents c = Safetensors.load(file);
        assertEquals(List.of("a", "b", "c"), List.copyOf(c.tensors().keySet()));
        assertArrayEquals(new float[] {1.5f, -2f}, c.tensors().get("a").toArray());
        assertArrayEquals(new long[] {1, 2}, c.tensors().get("b").shape());
        assertArrayEquals(new float[] {1f, -2f}, c.tensors().get("b").toArray());
        assertEquals(0, c.tensors().get("c").rank());
        assertEquals(1f, c.tensors().get("c").get());
        assertEquals(Map.of("a", DType.F32, "b", DType.F16, "c", DType.BF16), c.dtypes());
        assertEquals(Map.of("format", "pt"), c.metadata());
        // Header order, not offset order, and escapes in names.
        byte[] f2 = st("{" + entry("z\\u00e9\\\"", "F32", "[1]", 4, 8) + "," + entry("y", "F32", "[1]", 0, 4) + "}", new byte[8]);
        assertEquals(List.of("zé\"", "y"), List.copyOf(Safetensors.read(f2).keySet()));
    }

    @Test
    void roundTripsDtypesShapesAndMetadata(@TempDir Path dir) throws IOException {
        Map<String, Tensor> ts = new LinkedHashMap<>();
        ts.put("scalar", Tensor.of(new float[] {3.25f}));
        ts.put("empty", Tensor.zeros(3, 0, 2));
        ts.put("w.f16", Tensor.randn(1, 5, 7));
        ts.put("w.bf16", Tensor.randn(2, 4, 3, 2));
        ts.put("w.f32", Tensor.randn(3, 33));
        ts.put("view", Tensor.randn(4, 6, 4).permute(1, 0));
        ts.put("ünï \"quoted\"", Tensor.zeros(1));
        Map<String, DType> dt = Map.of("w.f16", DType.F16, "w.bf16", DType.BF16, "empty", DType.BF16);
        Map<String, String> md = Map.of("format", "pt", "note", "line\nbreak \"q\" \u0001");
        Path p = dir.resolve("m.safetensors");
        Safetensors.write(p, ts, dt, md);
        Safetensors.Contents c = Safetensors.load(p);
        assertEquals(List.copyOf(ts.keySet()), List.copyOf(c.tensors().keySet()));
        assertEquals(md, c.metadata());
        for (var e : ts.entrySet()) {
            Tensor t = e.getValue(), r = c.tensors().get(e.getKey());
            assertArrayEquals(t.shape(), r.shape(), e.getKey());
            DType d = dt.getOrDefault(e.getKey(), DType.F32);
            assertEquals(d, c.dtypes().get(e.getKey()));
            float[] expect = switch (d) {
                case F16 -> F16.decode(F16.encode(t), t.shape()).toArray();
                case BF16 -> Bf16.decode(Bf16.encode(t), t.shape()).toArray();
                default -> t.toArray();
            };
            assertArrayEquals(expect, r.toArray(), e.getKey());
        }
        // Header padded to 8 bytes with spaces; the length field says so.
        byte[] b = Safetensors.toBytes(ts, dt, md);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        String json = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{\"__metadata__\":{") && json.stripTrailing().endsWith("}"), json);
        assertTrue(json.substring(json.stripTrailing().length()).chars().allMatch(ch -> ch == ' '), "padding is spaces");
        assertTrue(Safetensors.read(Safetensors.toBytes(Map.of(), Map.of(), Map.of())).isEmpty());
        Safetensors.write(p, Map.of("x", Tensor.zeros(2)));
        assertEquals(Map.of("x", DType.F32), Safetensors.load(p).dtypes());
    }

    @Test
    void refusesBadLengthsAndHeaders() {
        refuse(new byte[5], "file length", "at least 8");
        byte[] good = st("{" + entry("a", "F32", "[1]", 0, 4) + "}", new byte[4]);
        byte[] b = good.clone();
        b[0] = (byte) 200;
        refuse(b, "header length", "at most " + (good.length - 8), "200");
        b = good.clone();
        b[7] = (byte) 0x80;                                 // 2^63 + ...: shown unsigned
        refuse(b, "header length", "9223372036854775");
        refuse(st("{\"a\":", new byte[0]), "header", "valid JSON");
        refuse(st("{\"a\":1,}", new byte[0]), "valid JSON", "a string key");
        refuse(st("[1, 2]", new byte[0]), "header", "a JSON object", "an array");
        refuse(st("{} x", new byte[0]), "end of JSON");
        refuse(st("{\"a\": 01}", new byte[0]), "valid JSON");
        refuse(st("[".repeat(100_000), new byte[0]), "nesting depth");
        byte[] bad = st("{\"\u00e9\":1}", new byte[0]);
        bad[10] = (byte) 0xff;
        refuse(bad, "UTF-8");
        refuse(st("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("a", "F32", "[1]", 4, 8) + "}", new byte[8]),
                "duplicate key 'a'");
        refuse(st("{\"__metadata__\":{\"k\":1}}", new byte[0]), "__metadata__ 'k'", "a string", "the integer 1");
        refuse(st("{\"__metadata__\":[]}", new byte[0]), "__metadata__", "an object");
    }

    @Test
    void refusesBadEntries() {
        byte[] d4 = new byte[4];
        refuse(st("{\"a\":3}", d4), "tensor 'a'", "an object with dtype");
        refuse(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", d4), "tensor 'a'", "a field 'data_offsets'");
        refuse(st("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", d4), "a field 'dtype'");
        refuse(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":0}}", d4), "a field 'x'");
        for (String dt : List.of("F64", "I8", "U8", "BOOL", "F8_E4M3")) {
            refuse(st("{" + entry("a", dt, "[1]", 0, 4) + "}", d4), "tensor 'a' dtype", "expected F32, F16 or BF16", "'" + dt + "' (unsupported dtype)");
        }
        refuse(st("{" + entry("a", "f32", "[1]", 0, 4) + "}", d4), "'f32' (unknown dtype)");
        refuse(st("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", d4), "dtype", "a string");
        refuse(st("{" + entry("a", "F32", "[-1]", 0, 4) + "}", d4), "tensor 'a' shape[0]", "[0, 2^63)", "-1");
        refuse(st("{" + entry("a", "F32", "[1.0]", 0, 4) + "}", d4), "shape[0]", "an integer", "1.0");
        refuse(st("{" + entry("a", "F32", "[18446744073709551616]", 0, 4) + "}", d4), "shape[0]", "18446744073709551616");
        refuse(st("{" + entry("a", "F32", "[4294967296,4294967296,4]", 0, 4) + "}", d4), "shape", "fits a long");
        refuse(st("{" + entry("a", "F32", "{}", 0, 4) + "}", d4), "shape", "an array");
        refuse(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", d4), "data_offsets", "[begin, end]", "an array of 1");
        refuse(st("{" + entry("a", "F32", "[1]", 0, 8) + "}", d4), "tensor 'a' data_offsets", "end <= 4", "[0, 8]");
        refuse(st("{" + entry("a", "F32", "[0]", 4, 0) + "}", d4), "begin <= end", "[4, 0]");
        refuse(st("{" + entry("a", "F32", "[2]", 0, 4) + "}", d4), "end - begin = 8 bytes for shape [2] of F32", "got 4 bytes");
        // A header that promises a terabyte over 4 bytes of data: refused, no allocation.
        refuse(st("{" + entry("a", "F32", "[250000000000]", 0, 4) + "}", d4), "end - begin = 1000000000000 bytes");
    }

    @Test
    void refusesOverlapsHolesAndTrailingData() {
        byte[] d8 = new byte[8];
        refuse(st("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[1]", 4, 8) + "}", d8),
                "tensor 'b' data_offsets", "no overlap with tensor 'a'", "[4, 8]");
        refuse(st("{" + entry("a", "F32", "[1]", 4, 8) + "}", d8), "tensor 'a'", "no hole", "[4, 8]");
        refuse(st("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[0]", 2, 2) + "}", new byte[4]), "no overlap");
        var e = refuse(st("{" + entry("a", "F32", "[1]", 0, 4) + "}", d8), "data region", "8 bytes covered", "4 trailing bytes");
        assertEquals("data region", e.field());
        // Zero-size tensors at the boundary are fine.
        assertEquals(3, Safetensors.read(st("{" + entry("a", "F32", "[0]", 0, 0) + "," + entry("b", "F32", "[2]", 0, 8)
                + "," + entry("c", "F16", "[0,5]", 8, 8) + "}", d8)).size());
    }

    @Test
    void capsTheHeaderAndNamesTheFile(@TempDir Path dir) throws IOException {
        // A sparse 100 MB file whose header length fits in the file but exceeds the cap.
        Path p = dir.resolve("huge.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(8 + Safetensors.MAX_HEADER_BYTES + 16);
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(Safetensors.MAX_HEADER_BYTES + 1).array());
        }
        var e = assertThrows(TensorFormatException.class, () -> Safetensors.read(p));
        assertTrue(e.getMessage().startsWith(p + ": header length: expected at most 100000000 bytes, got 100000001"), e.getMessage());
        assertEquals(p.toString(), e.source());
    }

    @Test
    void refusesBadWrites() {
        Map<String, Tensor> ts = Map.of("a", Tensor.zeros(32));
        var e = assertThrows(IllegalArgumentException.class, () -> Safetensors.toBytes(ts, Map.of("a", DType.Q8_0), Map.of()));
        assertTrue(e.getMessage().contains("Q8_0") && e.getMessage().contains("F32, F16 or BF16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Safetensors.toBytes(ts, Map.of("b", DType.F16), Map.of()));
        assertTrue(e.getMessage().contains("no tensor named 'b'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Safetensors.toBytes(Map.of("__metadata__", Tensor.zeros(1)), Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("__metadata__"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Safetensors.toBytes(Map.of("\ud800", Tensor.zeros(1)), Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("surrogate"), e.getMessage());
        assertFalse(e instanceof TensorFormatException);
    }
}
