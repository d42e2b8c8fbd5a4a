package dev.attend.tensor;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Mutates valid files thousands of times (bit flips, byte overwrites with interesting values, truncation,
 * header-length changes, insertions, deletions, header-text splices) and parses each. The only exception allowed
 * out of a parser is {@link TensorFormatException}; anything else (another RuntimeException, an Error such as
 * OutOfMemoryError or StackOverflowError) fails the test with the seed and mutation to replay it, and the whole
 * run is bounded in time so a hang fails too.
 */
class FuzzTest {
    private static final int MUTATIONS = 5000;
    private static final byte[] INTERESTING = {0, 1, -1, 0x7f, (byte) 0x80, ' ', '\n', '"', '\'', '{', '}', '[', ']',
            '(', ')', ',', ':', '-', '0', '9', 'e', '.', '\\'};
    private static final String[] TOKENS = {"-1", "0", "99999999999999999999999", "4294967296", "[", "]", "{", "}",
            "(", ")", ",", ":", "\"", "'", "True", "False", "None", "null", "1e9", "\"F64\"", "'<f8'", "\\u0000", "\"__metadata__\"",
            "\"data_offsets\"", "\"shape\"", "'shape'", "'descr'", "'fortran_order'"};

    private static List<byte[]> npySeeds() {
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(Npy.toBytes(Tensor.randn(1, 2, 3), DType.F32));
        seeds.add(Npy.toBytes(Tensor.randn(2, 5), DType.F16));
        seeds.add(Npy.toBytes(Tensor.of(new float[] {7.5f}), DType.F32));
        seeds.add(Npy.toBytes(Tensor.zeros(3, 0, 2), DType.F32));
        seeds.add(Npy.toBytes(Tensor.randn(3, 4, 4, 4), DType.F16));
        seeds.add(NpyTest.npy(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", NpyTest.f32(1, 2)));
        seeds.add(Npy.toBytes(Tensor.randn(5, 4, 64), DType.F32));   // data-heavy: flips there must parse
        seeds.add(NpyTest.npy(3, "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 1), }", new byte[2]));
        return seeds;
    }

    private static List<byte[]> safetensorsSeeds() {
        List<byte[]> seeds = new ArrayList<>();
        Map<String, Tensor> ts = new LinkedHashMap<>();
        ts.put("a", Tensor.randn(1, 2, 3));
        ts.put("b", Tensor.randn(2, 4));
        ts.put("c", Tensor.of(new float[] {1}));
        ts.put("d", Tensor.zeros(0, 3));
        seeds.add(Safetensors.toBytes(ts, Map.of("b", DType.F16, "c", DType.BF16), Map.of("format", "pt")));
        seeds.add(Safetensors.toBytes(Map.of("w", Tensor.randn(3, 3, 5)), Map.of(), Map.of()));
        seeds.add(Safetensors.toBytes(Map.of(), Map.of(), Map.of("k", "v")));
        seeds.add(Safetensors.toBytes(Map.of("big", Tensor.randn(6, 4, 64)), Map.of("big", DType.BF16), Map.of()));
        seeds.add(SafetensorsTest.st("{\"x\":{\"dtype\":\"BF16\",\"shape\":[2,1],\"data_offsets\":[0,4]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]}}", new byte[8]));
        return seeds;
    }

    /** One random mutation; {@code lengthAt}/{@code lengthBytes} locate the header-length field. */
    static byte[] mutate(byte[] src, Random r, int lengthAt, int lengthBytes, int headerEnd, StringBuilder what) {
        byte[] b = src.clone();
        int kind = r.nextInt(9);
        switch (kind) {
            case 0 -> { // bit flips
                int n = 1 + r.nextInt(4);
                for (int i = 0; i < n && b.length > 0; i++) {
                    int at = r.nextInt(b.length), bit = r.nextInt(8);
                    b[at] ^= (byte) (1 << bit);
                    what.append("flip ").append(at).append('.').append(bit).append(' ');
                }
            }
            case 1 -> { // byte overwrites, mostly in the header
                int n = 1 + r.nextInt(3);
                for (int i = 0; i < n && b.length > 0; i++) {
                    int at = r.nextInt(r.nextBoolean() ? Math.min(b.length, headerEnd) : b.length);
                    b[at] = r.nextBoolean() ? INTERESTING[r.nextInt(INTERESTING.length)] : (byte) r.nextInt(256);
                    what.append("set ").append(at).append('=').append(b[at]).append(' ');
                }
            }
            case 2 -> { // truncation
                int at = r.nextInt(b.length + 1);
                b = Arrays.copyOf(b, at);
                what.append("truncate ").append(at);
            }
            case 3, 4 -> { // header-length field: small deltas, random values, extremes
                if (b.length < lengthAt + lengthBytes) break;
                ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                long v = lengthBytes == 2 ? bb.getShort(lengthAt) & 0xffff : lengthBytes == 4 ? bb.getInt(lengthAt) & 0xffffffffL : bb.getLong(lengthAt);
                long nv = switch (r.nextInt(4)) {
                    case 0 -> v + r.nextInt(-64, 65);
                    case 1 -> r.nextLong();
                    case 2 -> r.nextBoolean() ? -1L : Long.MIN_VALUE;
                    default -> r.nextInt(b.length + 16);
                };
                for (int i = 0; i < lengthBytes; i++) b[lengthAt + i] = (byte) (nv >>> (8 * i));
                what.append("length ").append(v).append("->").append(nv);
            }
            case 5 -> { // random insertion
                int at = r.nextInt(b.length + 1), n = 1 + r.nextInt(16);
                byte[] ins = new byte[n];
                r.nextBytes(ins);
                b = splice(b, at, 0, ins);
                what.append("insert ").append(n).append('@').append(at);
            }
            case 6 -> { // deletion
                if (b.length == 0) break;
                int at = r.nextInt(b.length), n = 1 + r.nextInt(Math.min(16, b.length - at));
                b = splice(b, at, n, new byte[0]);
                what.append("delete ").append(n).append('@').append(at);
            }
            default -> { // overwrite header text with a syntactic token (keeps the length field consistent)
                String tok = TOKENS[r.nextInt(TOKENS.length)];
                int start = Math.min(lengthAt + lengthBytes, b.length), end = Math.min(headerEnd, b.length);
                if (end <= start) break;
                int at = start + r.nextInt(end - start);
                byte[] t = tok.getBytes(StandardCharsets.ISO_8859_1);
                for (int i = 0; i < t.length && at + i < end; i++) b[at + i] = t[i];
                what.append("token ").append(tok).append('@').append(at);
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] ins) {
        byte[] out = new byte[b.length - remove + ins.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(ins, 0, out, at, ins.length);
        System.arraycopy(b, at + remove, out, at + ins.length, b.length - at - remove);
        return out;
    }

    private static void fuzz(String format, List<byte[]> seeds, int lengthAt, Consumer<byte[]> parse, long seed) {
        Random r = new Random(seed);
        int accepted = 0, refused = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            byte[] s = seeds.get(i % seeds.size());
            int lengthBytes = format.equals("npy") ? (s[6] == 1 ? 2 : 4) : 8;
            int headerEnd = format.equals("npy") ? Math.min(s.length, (lengthBytes == 2 ? 10 : 12) + 128) : Math.min(s.length, 8 + 256);
            StringBuilder what = new StringBuilder();
            byte[] m = mutate(s, r, lengthAt, lengthBytes, headerEnd, what);
            // Stack mutations now and then, so that one valid-looking change meets another.
            if (r.nextInt(4) == 0) m = mutate(m, r, lengthAt, lengthBytes, Math.min(m.length, headerEnd), what.append(" + "));
            try {
                parse.accept(m);
                accepted++;
            } catch (TensorFormatException expected) {
                refused++;
                if (expected.getMessage() == null || expected.getMessage().isBlank()) fail("empty message: " + what);
            } catch (Throwable t) {
                fail(format + " mutation " + i + " of seed file " + (i % seeds.size()) + " (" + what + ") threw "
                        + t + "; only TensorFormatException may escape", t);
            }
        }
        System.out.println(format + " fuzz: " + accepted + " accepted, " + refused + " refused");
        // Both outcomes must be common, or the mutations are not probing the parser.
        if (refused < MUTATIONS / 4 || accepted < MUTATIONS / 50) fail("fuzzer is not probing: " + accepted + " accepted, " + refused + " refused");
    }

    @Test
    void npyParserOnlyEverThrowsTensorFormatException() {
        List<byte[]> seeds = npySeeds();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            fuzz("npy", seeds, 8, Npy::read, 11);
            fuzz("npy", seeds, 8, b -> {
                try {
                    Npy.read(new ByteArrayInputStream(b));
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }, 12);
        });
    }

    @Test
    void safetensorsParserOnlyEverThrowsTensorFormatException() {
        List<byte[]> seeds = safetensorsSeeds();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> fuzz("safetensors", seeds, 0, Safetensors::read, 13));
    }
}
