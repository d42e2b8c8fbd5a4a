package dev.attend.nn.tokenize;

import dev.attend.tensor.Json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level byte-pair encoding. Ids 0..255 are the bytes; id {@code 256 + i} is merge {@code i}, the
 * concatenation of the two ids {@code merges()[i]} (each smaller than {@code 256 + i}). Text is cut into chunks by
 * the {@link Pretokenizer} rule {@value Pretokenizer#NAME} (words with their leading space, whitespace runs,
 * at most 64 bytes), merges never cross a chunk, and within a chunk the lowest-numbered merge present is applied
 * first, to all its occurrences left to right; that gives exactly the segmentation training produced.
 *
 * <p>Training ({@link #train}): the most frequent adjacent pair merges next, ties to the smallest left id, then
 * the smallest right id; it stops at {@code vocabSize} ids or when no pair occurs {@code minFrequency} times,
 * so the vocabulary may come out smaller than asked ({@link #vocabSize()} says what it is).
 *
 * <p>File format (JSON, UTF-8; written by {@link #save}, read by {@link #load}):
 * <pre>{@code
 * {
 *   "format": "attend-bpe",
 *   "version": 1,
 *   "pretokenizer": "whitespace-64",
 *   "vocab_size": 259,
 *   "merges": [[104, 101], [256, 108], [32, 257]]
 * }
 * }</pre>
 * All five keys are required and no other key is allowed; {@code vocab_size} must equal {@code 256 +}
 * the number of merges; each merge is two integers, both ids that exist before it; no pair may appear twice
 * (a repeated pair could never apply). A file breaking any of these is refused with an
 * {@link IllegalArgumentException} naming the file, the field (e.g. {@code merges[3][1]}), the expected and the
 * actual value.
 *
 * <p>Cost: encoding is O(n) chunk cuts plus, per distinct chunk (cached), O(c^2) for a chunk of c bytes;
 * decoding is O(output bytes). Thread-safe.
 */
public final class BpeTokenizer implements Tokenizer {
    /** The value of the {@code format} field. */
    public static final String FORMAT = "attend-bpe";
    /** The version of the file format this class reads and writes. */
    public static final int VERSION = 1;
    /** Largest vocabulary accepted (ids stay exact in float32, as the .npy export stores them). */
    public static final int MAX_VOCAB = 1 << 24;
    private static final int CACHE_LIMIT = 1 << 16;

    private final int[][] merges;
    private final byte[][] tokens;
    private final Map<Long, Integer> ranks;
    private final Map<ChunkKey, int[]> cache = new ConcurrentHashMap<>();

    private BpeTokenizer(int[][] merges) {
        this.merges = merges;
        tokens = new byte[ByteTokenizer.VOCAB_SIZE + merges.length][];
        for (int b = 0; b < ByteTokenizer.VOCAB_SIZE; b++) tokens[b] = new byte[] {(byte) b};
        ranks = new HashMap<>(merges.length * 2);
        for (int i = 0; i < merges.length; i++) {
            byte[] l = tokens[merges[i][0]], r = tokens[merges[i][1]];
            byte[] t = Arrays.copyOf(l, l.length + r.length);
            System.arraycopy(r, 0, t, l.length, r.length);
            tokens[ByteTokenizer.VOCAB_SIZE + i] = t;
            ranks.put(BpeTrainer.pair(merges[i][0], merges[i][1]), i);
        }
    }

    /**
     * Learns merges from {@code corpus} (any bytes; usually UTF-8 text) until {@code vocabSize} ids, or until the
     * most frequent pair occurs fewer than {@code minFrequency} times.
     */
    public static BpeTokenizer train(byte[] corpus, int vocabSize, int minFrequency) {
        if (corpus == null) throw new IllegalArgumentException("corpus: expected an array, got null");
        if (vocabSize < ByteTokenizer.VOCAB_SIZE || vocabSize > MAX_VOCAB) {
            throw new IllegalArgumentException("vocabSize: expected in [256, " + MAX_VOCAB + "], got " + vocabSize);
        }
        if (minFrequency < 1) throw new IllegalArgumentException("minFrequency: expected >= 1, got " + minFrequency);
        return new BpeTokenizer(BpeTrainer.train(corpus, vocabSize, minFrequency));
    }

    /** {@link #train(byte[], int, int)} on the UTF-8 encoding of {@code text}, merging pairs seen at least twice. */
    public static BpeTokenizer train(String text, int vocabSize) {
        return train(Utf8.strictBytes(text), vocabSize, 2);
    }

    /** A tokenizer from explicit merges, validated as a loaded file is. */
    public static BpeTokenizer fromMerges(int[][] merges) {
        if (merges == null) throw new IllegalArgumentException("merges: expected an array, got null");
        int[][] copy = new int[merges.length][];
        for (int i = 0; i < merges.length; i++) {
            if (merges[i] == null || merges[i].length != 2) {
                throw new IllegalArgumentException("merges[" + i + "]: expected two ids, got "
                        + (merges[i] == null ? "null" : merges[i].length + " values"));
            }
            copy[i] = merges[i].clone();
        }
        validate(copy, "merges");
        return new BpeTokenizer(copy);
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    /** The merges in order: merge {@code i} makes id {@code 256 + i} from {@code merges()[i][0]} and {@code [1]}. */
    public int[][] merges() {
        int[][] out = new int[merges.length][];
        for (int i = 0; i < merges.length; i++) out[i] = merges[i].clone();
        return out;
    }

    /** The bytes id {@code id} stands for. */
    public byte[] tokenBytes(int id) {
        checkId("id", id);
        return tokens[id].clone();
    }

    @Override
    public int[] encodeBytes(byte[] bytes) {
        if (bytes == null) throw new IllegalArgumentException("bytes: expected an array, got null");
        int[][] out = {new int[Math.max(16, bytes.length / 3)]};
        int[] size = {0};
        Pretokenizer.forEach(bytes, (s, e) -> {
            int[] ids = chunk(bytes, s, e);
            if (size[0] + ids.length > out[0].length) out[0] = Arrays.copyOf(out[0], Math.max(out[0].length * 2, size[0] + ids.length));
            System.arraycopy(ids, 0, out[0], size[0], ids.length);
            size[0] += ids.length;
        });
        return Arrays.copyOf(out[0], size[0]);
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        if (ids == null) throw new IllegalArgumentException("ids: expected an array, got null");
        int n = 0;
        for (int i = 0; i < ids.length; i++) {
            checkId("ids[" + i + "]", ids[i]);
            n += tokens[ids[i]].length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (int id : ids) {
            System.arraycopy(tokens[id], 0, out, at, tokens[id].length);
            at += tokens[id].length;
        }
        return out;
    }

    /** Applies the merges to one chunk: the lowest-numbered pair present first, all its occurrences left to right. */
    private int[] chunk(byte[] bytes, int start, int end) {
        ChunkKey key = new ChunkKey(Arrays.copyOfRange(bytes, start, end));
        int[] cached = cache.get(key);
        if (cached != null) return cached;
        int len = end - start;
        int[] s = new int[len];
        for (int i = 0; i < len; i++) s[i] = bytes[start + i] & 0xFF;
        while (len > 1) {
            int best = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < len; i++) {
                Integer r = ranks.get(BpeTrainer.pair(s[i], s[i + 1]));
                if (r != null && r < best) best = r;
            }
            if (best == Integer.MAX_VALUE) break;
            int a = merges[best][0], b = merges[best][1], id = ByteTokenizer.VOCAB_SIZE + best;
            int out = 0;
            for (int i = 0; i < len; ) {
                if (i + 1 < len && s[i] == a && s[i + 1] == b) {
                    s[out++] = id;
                    i += 2;
                } else {
                    s[out++] = s[i++];
                }
            }
            len = out;
        }
        int[] ids = Arrays.copyOf(s, len);
        if (cache.size() < CACHE_LIMIT) cache.put(key, ids);
        return ids;
    }

    // ---------------------------------------------------------------- file format

    /** The JSON document of the file format (one merge per line). */
    public String toJson() {
        StringBuilder b = new StringBuilder(32 + merges.length * 14);
        b.append("{\n  \"format\": \"").append(FORMAT).append("\",\n  \"version\": ").append(VERSION)
                .append(",\n  \"pretokenizer\": \"").append(Pretokenizer.NAME).append("\",\n  \"vocab_size\": ")
                .append(vocabSize()).append(",\n  \"merges\": [");
        for (int i = 0; i < merges.length; i++) {
            b.append(i == 0 ? "\n    [" : ",\n    [").append(merges[i][0]).append(", ").append(merges[i][1]).append(']');
        }
        return b.append(merges.length == 0 ? "]\n}\n" : "\n  ]\n}\n").toString();
    }

    /** Writes {@link #toJson()} to {@code path} (UTF-8). */
    public void save(Path path) throws IOException {
        if (path == null) throw new IllegalArgumentException("path: expected a file path, got null");
        Files.writeString(path, toJson(), StandardCharsets.UTF_8);
    }

    /** Reads a file written by {@link #save}; a malformed or inconsistent file is refused (see the type's Javadoc). */
    public static BpeTokenizer load(Path path) throws IOException {
        if (path == null) throw new IllegalArgumentException("path: expected a file path, got null");
        byte[] bytes = Files.readAllBytes(path);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(path + ": expected a UTF-8 JSON file, got bytes that are not UTF-8");
        }
        return fromJson(text, path.toString());
    }

    /** Parses the file format from {@code json}; {@code source} names the input in error messages. */
    public static BpeTokenizer fromJson(String json, String source) {
        if (json == null) throw new IllegalArgumentException("json: expected a string, got null");
        String src = source == null ? "tokenizer JSON" : source;
        if (!(Json.parse(json, src, "document") instanceof Map<?, ?> doc)) {
            throw new IllegalArgumentException(src + ": expected a JSON object at the top level");
        }
        Set<String> keys = Set.of("format", "version", "pretokenizer", "vocab_size", "merges");
        for (Object k : doc.keySet()) {
            if (!keys.contains(k)) throw new IllegalArgumentException(src + ": unknown key \"" + k + "\": expected only " + keys);
        }
        for (String k : keys) {
            if (!doc.containsKey(k)) throw new IllegalArgumentException(src + ": missing key \"" + k + "\"");
        }
        expectValue(src, "format", doc.get("format"), FORMAT);
        expectValue(src, "version", doc.get("version"), (long) VERSION);
        expectValue(src, "pretokenizer", doc.get("pretokenizer"), Pretokenizer.NAME);
        long vocab = integer(src, "vocab_size", doc.get("vocab_size"), ByteTokenizer.VOCAB_SIZE, MAX_VOCAB);
        if (!(doc.get("merges") instanceof List<?> list)) {
            throw new IllegalArgumentException(src + ": merges: expected an array, got " + Json.typeName(doc.get("merges")));
        }
        if (list.size() != vocab - ByteTokenizer.VOCAB_SIZE) {
            throw new IllegalArgumentException(src + ": merges: expected vocab_size - 256 = " + (vocab - ByteTokenizer.VOCAB_SIZE)
                    + " merges, got " + list.size());
        }
        int[][] merges = new int[list.size()][];
        for (int i = 0; i < merges.length; i++) {
            String field = "merges[" + i + "]";
            if (!(list.get(i) instanceof List<?> m) || m.size() != 2) {
                throw new IllegalArgumentException(src + ": " + field + ": expected an array of two ids, got "
                        + (list.get(i) instanceof List<?> l ? "an array of " + l.size() : Json.typeName(list.get(i))));
            }
            merges[i] = new int[] {
                (int) integer(src, field + "[0]", m.get(0), 0, Integer.MAX_VALUE),
                (int) integer(src, field + "[1]", m.get(1), 0, Integer.MAX_VALUE)};
        }
        validate(merges, src + ": merges");
        return new BpeTokenizer(merges);
    }

    /** Every id exists before its merge, and no pair repeats. */
    private static void validate(int[][] merges, String where) {
        if (merges.length > MAX_VOCAB - ByteTokenizer.VOCAB_SIZE) {
            throw new IllegalArgumentException(where + ": expected at most " + (MAX_VOCAB - ByteTokenizer.VOCAB_SIZE)
                    + " merges, got " + merges.length);
        }
        Map<Long, Integer> seen = new HashMap<>();
        for (int i = 0; i < merges.length; i++) {
            for (int side = 0; side < 2; side++) {
                int id = merges[i][side];
                if (id < 0 || id >= ByteTokenizer.VOCAB_SIZE + i) {
                    throw new IllegalArgumentException(where + "[" + i + "][" + side + "]: expected an id in [0, "
                            + (ByteTokenizer.VOCAB_SIZE + i) + ") (bytes and earlier merges), got " + id);
                }
            }
            Integer first = seen.putIfAbsent(BpeTrainer.pair(merges[i][0], merges[i][1]), i);
            if (first != null) {
                throw new IllegalArgumentException(where + "[" + i + "]: expected a pair not merged before, got ["
                        + merges[i][0] + ", " + merges[i][1] + "], already merges[" + first + "]");
            }
        }
    }

    private static void expectValue(String src, String field, Object v, Object expected) {
        if (!expected.equals(v)) {
            String shown = expected instanceof String ? "\"" + expected + "\"" : expected.toString();
            String got = v instanceof String str ? "\"" + str + "\"" : Json.typeName(v);
            throw new IllegalArgumentException(src + ": " + field + ": expected " + shown + ", got " + got);
        }
    }

    private static long integer(String src, String field, Object v, long min, long max) {
        if (!(v instanceof Long l) || l < min || l > max) {
            throw new IllegalArgumentException(src + ": " + field + ": expected an integer in [" + min + ", " + max
                    + "], got " + Json.typeName(v));
        }
        return l;
    }

    private void checkId(String name, int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException(name + ": expected an id in [0, " + tokens.length + "), got " + id);
        }
    }

    private record ChunkKey(byte[] bytes) {
        @Override public boolean equals(Object o) { return o instanceof ChunkKey k && Arrays.equals(bytes, k.bytes); }
        @Override public int hashCode() { return Arrays.hashCode(bytes); }
    }
}
