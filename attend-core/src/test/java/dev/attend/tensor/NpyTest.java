package dev.attend.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class NpyTest {
    /** numpy 2.4.6: np.save(f, np.arange(6, dtype=np.float32).reshape(2, 3)). */
    private static final String NUMPY_F32_2x3 = "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000803f0000004000004040000080400000a040";
    /** numpy 2.4.6: np.save(f, np.array([1, -2, 0.5], dtype=np.float16)). */
    private static final String NUMPY_F16_3 = "934e554d5059010076007b276465736372273a20273c6632272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a003c00c00038";
    /** numpy 2.4.6: np.save(f, np.array(7.5, dtype=np.float32)), a 0-d array. */
    private static final String NUMPY_F32_0D = "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000f040";

    /** A .npy file built by hand: magic, version, header length, the dict padded to 64 with '\n', the data. */
    static byte[] npy(int major, String dict, byte[] data) {
        int prefix = major == 1 ? 10 : 12;
        int hlen = dict.length() + 1;
        int pad = 64 - (prefix + hlen) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(prefix + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) b.putShort((short) header.length());
        else b.putInt(header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    static TensorFormatException refuse(byte[] file, String... parts) {
        var e = assertThrows(TensorFormatException.class, () -> Npy.read(file));
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        // The stream reader must agree.
        var s = assertThrows(TensorFormatException.class, () -> Npy.read(new ByteArrayInputStream(file)));
        assertEquals(e.field(), s.field(), s.getMessage());
        return e;
    }

    @Test
    void readsAFileBuiltByteByByteAsNumpyWrites() {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + " ".repeat(21 - 1);
        byte[] file = npy(1, dict, f32(0, 1, 2, 3, 4, 5));
        assertEquals(128 + 24, file.length);
        assertEquals(118, (file[8] & 0xff) | (file[9] & 0xff) << 8);
        assertEquals('\n', file[127]);
        assertEquals(' ', file[126]);
        assertArrayEquals(file, HexFormat.of().parseHex(NUMPY_F32_2x3));
        Tensor t = Npy.read(file);
        assertArrayEquals(new long[] {2, 3}, t.shape());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, t.toArray());
    }

    @Test
    void writesExactlyWhatNumpyWrites() {
        assertArrayEquals(HexFormat.of().parseHex(NUMPY_F32_2x3),
                Npy.toBytes(Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 2, 3), DType.F32));
        assertArrayEquals(HexFormat.of().parseHex(NUMPY_F16_3), Npy.toBytes(Tensor.of(new float[] {1, -2, 0.5f}, 3), DType.F16));
        assertArrayEquals(HexFormat.of().parseHex(NUMPY_F32_0D), Npy.toBytes(Tensor.of(new float[] {7.5f}), DType.F32));
        assertArrayEquals(new float[] {1, -2, 0.5f}, Npy.read(HexFormat.of().parseHex(NUMPY_F16_3)).toArray());
        Tensor s = Npy.read(HexFormat.of().parseHex(NUMPY_F32_0D));
        assertEquals(0, s.rank());
        assertEquals(7.5f, s.get());
        // Every header is padded so the data start at a multiple of 64, after a '\n'.
        for (long[] shape : List.of(new long[0], new long[] {5}, new long[] {123456789, 0}, new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0})) {
            byte[] b = Npy.toBytes(Tensor.zeros(shape), DType.F32);
            int hlen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
            assertEquals(0, (10 + hlen) % 64);
            assertEquals('\n', b[10 + hlen - 1]);
        }
    }

    @Test
    void roundTripsAllShapesAndBothDtypes(@TempDir Path dir) throws IOException {
        List<long[]> shapes = List.of(new long[0], new long[] {0}, new long[] {7}, new long[] {2, 3}, new long[] {2, 0, 4},
                new long[] {1, 1, 1, 1, 1}, new long[] {17, 33}, new long[] {3, 5000});
        int k = 0;
        for (long[] shape : shapes) {
            Tensor t = Tensor.randn(k++, shape);
            Path p = dir.resolve("t" + k + ".npy");
            Npy.write(p, t);
            assertArrayEquals(t.toArray(), Npy.read(p).toArray());
            assertArrayEquals(shape, Npy.read(p).shape());
            assertArrayEquals(t.toArray(), Npy.read(Files.readAllBytes(p)).toArray());
            assertArrayEquals(t.toArray(), Npy.read(Files.newInputStream(p)).toArray());
            assertArrayEquals(t.toArray(), Npy.map(p).toArray());
            assertEquals(DType.F32, Npy.readHeader(p).dtype());

            Npy.write(p, t, DType.F16);
            float[] expect = F16.decode(F16.encode(t), shape).toArray();
            assertArrayEquals(expect, Npy.read(p).toArray());
            assertArrayEquals(shape, Npy.read(p).shape());
            assertEquals(DType.F16, Npy.readHeader(p).dtype());
            assertEquals(0, Npy.readHeader(p).dataOffset() % 64);
        }
        // A strided view writes its logical (row-major) elements.
        Tensor v = Tensor.randn(9, 4, 6).permute(1, 0).slice(0, 1, 5);
        assertArrayEquals(v.toArray(), Npy.read(Npy.toBytes(v, DType.F32)).toArray());
    }

    @Test
    void readsVersions2And3AndNumpyVariants() {
        byte[] data = f32(1, 2, 3);
        for (int major : new int[] {1, 2, 3}) {
            assertArrayEquals(new float[] {1, 2, 3}, Npy.read(npy(major, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data)).toArray());
        }
        // Key order, quotes, no trailing comma, extra whitespace: all valid Python literals.
        assertArrayEquals(new float[] {1, 2, 3}, Npy.read(npy(1, "{\"shape\":(3,),'fortran_order':False,'descr':\"<f4\"}", data)).toArray());
        assertArrayEquals(new long[] {1, 3}, Npy.read(npy(1, "{ 'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 1 , 3 ) }", data)).shape());
        // Version 3.0 headers are UTF-8; invalid UTF-8 is refused.
        byte[] bad = npy(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 'é'}", data);
        for (int i = 0; i < bad.length; i++) if (bad[i] == (byte) 0xe9) bad[i] = (byte) 0xff;
        refuse(bad, "UTF-8");
    }

    @Test
    void mapsFilesBeyondTwoGigabytes(@TempDir Path dir) throws IOException {
        long n = (1L << 31) + 16;                           // elements: an 8.6 GB sparse file
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, " + n / 2 + "), }";
        byte[] file = npy(1, dict, new byte[0]);
        Path p = dir.resolve("big.npy");
        Files.write(p, file);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(file.length + n * 4);
            raf.seek(file.length + (n - 1) * 4);
            raf.write(f32(42.5f));
        }
        Npy.Header h = Npy.readHeader(p);
        assertArrayEquals(new long[] {2, n / 2}, h.shape());
        assertEquals(n * 4, h.dataBytes());
        Tensor t = Npy.map(p);
        assertEquals(n, t.size());
        assertEquals(42.5f, t.get(1, n / 2 - 1));
        assertEquals(0f, t.get(0, 0));
        t.set(1f, 0, 0);                                    // private mapping: memory only
        assertEquals(1f, t.get(0, 0));
    }

    @Test
    void refusesBadMagicVersionAndHeaderLength() {
        byte[] good = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f32(1));
        byte[] b = good.clone();
        b[1] = 'X';
        refuse(b, "magic", "\\x93NUMPY");
        refuse("PK\3\4 not a numpy file at all".getBytes(StandardCharsets.ISO_8859_1), "magic");
        refuse(new byte[0], "file length", "at least 10", "got 0");
        refuse(java.util.Arrays.copyOf(good, 7), "file length", "got 7 bytes");
        b = good.clone();
        b[6] = 4;
        refuse(b, "version", "4.0");
        b = good.clone();
        b[7] = 1;
        refuse(b, "version", "1.1");
        b = good.clone();
        b[8] = (byte) 0xff;
        b[9] = (byte) 0x7f;
        refuse(b, "header length", "32767");
        var e = assertThrows(TensorFormatException.class, () -> Npy.read(java.util.Arrays.copyOf(good, 11)));
        assertTrue(e.getMessage().contains("header length") && e.getMessage().contains("at most 1"), e.getMessage());
        // Version 2.0 with a 4 GB header length: refused before any allocation.
        byte[] v2 = npy(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f32(1));
        v2[8] = v2[9] = v2[10] = v2[11] = (byte) 0xff;
        refuse(v2, "header length", "4294967295");
    }

    @Test
    void refusesMalformedHeaders() {
        byte[] d = f32(1, 2, 3);
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, ", d), "header", "end of header");
        refuse(npy(1, "{'descr': '<f4' 'fortran_order': False, 'shape': (3,)}", d), "header", "',' or '}'");
        refuse(npy(1, "[1, 2, 3]", d), "header", "a dict literal", "a list");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False}", d), "no key 'shape'");
        refuse(npy(1, "{'descr': '<f4', 'shape': (3,)}", d), "no key 'fortran_order'");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", d), "extra key 'x'");
        refuse(npy(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", d), "duplicate key 'descr'");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} x", d), "after the dict");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", d), "fortran_order", "Fortran order not supported");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (3,), }", d), "fortran_order", "expected False", "int 0");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", d), "shape", "a tuple", "int 3");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': [3], }", d), "shape", "a tuple", "a list");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 'a'), }", d), "shape[1]", "an int");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3.0,), }", d), "header", "int literal");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (03,), }", d), "leading zeros");
        refuse(npy(1, "{'descr': 'a\\'b', 'fortran_order': False, 'shape': (3,), }", d), "no escapes");
        refuse(npy(1, "{'x': " + "(".repeat(40) + ")".repeat(40) + "}", d), "nesting depth");
    }

    @Test
    void refusesUnsupportedDtypesByName() {
        byte[] d = f32(1, 2);
        for (String descr : List.of("<f8", ">f4", "|u1", "<i4", "f4", "<f4 ")) {
            refuse(npy(1, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2,), }", d),
                    "descr", "expected '<f4' or '<f2'", "got '" + descr + "'");
        }
        refuse(npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", d), "descr", "structured");
    }

    @Test
    void refusesBadDimensionsAndDataLengths() {
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }", f32(1)), "shape[0]", "-1");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", f32(1)),
                "shape[0]", "99999999999999999999");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", f32(1)),
                "shape", "fits a long");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, ".repeat(65) + "), }", f32(1)),
                "shape", "at most 64");
        // A header that lies about the size: a terabyte promised, 4 bytes present. No allocation, a clear message.
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (250000000000,), }", f32(1)),
                "data length", "expected 1000000000000 bytes", "got 4 bytes (truncated)");
        refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f32(1, 2, 3, 4, 5)),
                "data length", "expected 24 bytes for shape [2, 3] of '<f4'", "got 20 bytes (truncated)");
        refuse(npy(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", f32(1, 2, 3, 4)),
                "data length", "expected 12 bytes", "got 16 bytes (trailing data)");
        var e = refuse(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f32(1, 2, 3)), "trailing data");
        assertEquals("data length", e.field());
    }

    @Test
    void namesTheFileAndRefusesUnsupportedWrites(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("broken.npy");
        Files.write(p, npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new byte[8]));
        var e = assertThrows(TensorFormatException.class, () -> Npy.read(p));
        assertTrue(e.getMessage().startsWith(p.toString() + ": descr: expected '<f4' or '<f2'"), e.getMessage());
        assertEquals(p.toString(), e.source());
        assertThrows(TensorFormatException.class, () -> Npy.map(p));
        Files.write(p, Npy.toBytes(Tensor.zeros(2), DType.F16));
        e = assertThrows(TensorFormatException.class, () -> Npy.map(p));
        assertTrue(e.getMessage().contains("map reads only float32"), e.getMessage());
        var i = assertThrows(IllegalArgumentException.class, () -> Npy.toBytes(Tensor.zeros(2), DType.BF16));
        assertTrue(i.getMessage().contains("F32 or F16") && i.getMessage().contains("BF16"), i.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Npy.read(dir.resolve("missing.npy")));
        // Stream reads: a stream that ends early is a truncated file.
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        Npy.write(bos, Tensor.zeros(100), DType.F32);
        byte[] whole = bos.toByteArray();
        var t = assertThrows(TensorFormatException.class, () -> Npy.read(new ByteArrayInputStream(whole, 0, whole.length - 1)));
        assertTrue(t.getMessage().contains("399 bytes (truncated)"), t.getMessage());
    }
}
