package dev.attend.attention.decode;

import dev.attend.attention.Cost;
import dev.attend.simd.Gemm;
import dev.attend.simd.VMath;
import dev.attend.tensor.DType;
import dev.attend.tensor.Q8_0;
import dev.attend.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.BitSet;

/**
 * The keys and values seen so far by a decoding model, {@code [B, Hkv, length, D]}, stored as F32, F16, BF16
 * or Q8_0 (blocks of 32 along D, so Q8_0 needs {@code D % 32 == 0}); one storage class per format holds the
 * arrays in the tiled layout its decode kernel streams ({@link KvStorage}). Tokens are appended one or a few
 * at a time, to every sequence of the batch at once or to one sequence ({@link #append(int, Tensor, Tensor)}:
 * continuous batching, where each sequence has its own length and a decode step reads each one's own tokens, with
 * no padding work); storage grows by doubling, up to {@link #maxTokens(int)} tokens per (batch, kv head). Not
 * thread-safe for concurrent appends. Made by {@link DecodeAttention#newCache} or directly.
 */
public final class KvCache {
    /** Tokens per key tile: one vector of floats. */
    public static final int TILE = Gemm.LANES;

    private final DType format;
    private final int batch, kvHeads, headDim;
    private final KvStorage storage;
    private final int[] lengths;              // per sequence
    private final BitSet[] nonFiniteValues;   // per (batch, kv head): tokens whose value holds a NaN or infinity

    /**
     * An empty cache for {@code initialCapacity} tokens.
     *
     * @throws IllegalArgumentException naming the argument when a size is not positive, the format is not one a
     *     cache stores, or the capacity exceeds {@link #maxTokens(int)}
     */
    public KvCache(DType format, int batch, int kvHeads, int headDim, int initialCapacity) {
        if (format == null || !FORMATS.contains(format)) throw new IllegalArgumentException("format: expected one of " + FORMATS + ", got " + format);
        positive("batch", batch);
        positive("kvHeads", kvHeads);
        positive("headDim", headDim);
        positive("initialCapacity", initialCapacity);
        if (format == DType.Q8_0 && headDim % Q8_0.BLOCK != 0) {
            throw new IllegalArgumentException("headDim: Q8_0 needs a multiple of " + Q8_0.BLOCK + ", got " + headDim);
        }
        if ((long) batch * kvHeads > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("batch * kvHeads: expected below 2^31, got " + (long) batch * kvHeads);
        }
        int max = maxTokens(headDim);
        if (initialCapacity > max) {
            throw new IllegalArgumentException("initialCapacity: at most " + max + " tokens fit per (batch, kv head) at head dim "
                    + headDim + " (one array of under 2^31 elements per head), got " + initialCapacity);
        }
        this.format = format;
        this.batch = batch;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.storage = KvStorage.of(format, batch * kvHeads, headDim);
        storage.grow(initialCapacity);
        this.lengths = new int[batch];
        this.nonFiniteValues = new BitSet[batch * kvHeads];
        for (int i = 0; i < nonFiniteValues.length; i++) nonFiniteValues[i] = new BitSet();
    }

    /** The formats a cache stores, fastest-to-read last: every list of formats (mechanisms, bench, docs) is this one. */
    public static final List<DType> FORMATS = List.of(DType.F32, DType.F16, DType.BF16, DType.Q8_0);

    /** The most tokens a cache with this head dimension holds per (batch, kv head). */
    public static int maxTokens(int headDim) {
        positive("headDim", headDim);
        return KvStorage.maxTokens(headDim);
    }

    /**
     * Why this cache's format cannot store {@code row}, or null: Q8_0 stores finite values only; F16 would store a
     * finite value beyond its range as an infinity.
     */
    private String unstorable(float[] row) {
        if (format == DType.Q8_0 && !VMath.allFinite(row, 0, headDim)) return "a NaN or infinity; a Q8_0 cache stores finite values only";
        if (format == DType.F16) {
            for (int x = 0; x < headDim; x++) {
                if (Float.isFinite(row[x]) && Float.isInfinite(Float.float16ToFloat(Float.floatToFloat16(row[x])))) {
                    return row[x] + " at dimension " + x + ", beyond F16's largest finite value 65504";
                }
            }
        }
        return null;
    }

    private static void positive(String name, int v) {
        if (v < 1) throw new IllegalArgumentException(name + ": expected at least 1, got " + v);
    }

    public DType format() { return format; }
    public int batch() { return batch; }
    public int kvHeads() { return kvHeads; }
    public int headDim() { return headDim; }
    /** Tokens stored in the longest sequence (in every sequence, when they are appended together). */
    public int length() {
        int max = 0;
        for (int n : lengths) max = Math.max(max, n);
        return max;
    }

    /** Tokens stored in sequence {@code b}. */
    public int length(int b) {
        if (b < 0 || b >= batch) throw new IllegalArgumentException("b: expected 0 <= b < " + batch + ", got " + b);
        return lengths[b];
    }

    /** Bytes of K and V storage that a decode step over the whole cache reads ({@link Cost#kvCacheBytes}). */
    public long bytesRead() {
        long bytes = 0;
        for (int n : lengths) bytes += Cost.kvCacheBytes(format, 1, kvHeads, n, headDim);
        return bytes;
    }

    /** Appends {@code T} tokens to every sequence, each after its own last token: {@code k, v [B, Hkv, T, D]}, any views. */
    public void append(Tensor k, Tensor v) {
        append(0, batch, k, v);
    }

    /** Appends {@code T} tokens to sequence {@code b} alone: {@code k, v [1, Hkv, T, D]}, any views. */
    public void append(int b, Tensor k, Tensor v) {
        if (b < 0 || b >= batch) throw new IllegalArgumentException("b: expected 0 <= b < " + batch + ", got " + b);
        append(b, 1, k, v);
    }

    /** Sequences {@code [b0, b0 + count)} get {@code k, v [count, Hkv, T, D]}. */
    private void append(int b0, int count, Tensor k, Tensor v) {
        if (k == null || v == null) throw new IllegalArgumentException((k == null ? "k" : "v") + ": expected a tensor, got null");
        if (k.rank() != 4 || k.dim(0) != count || k.dim(1) != kvHeads || k.dim(3) != headDim) {
            throw new IllegalArgumentException("k: expected shape [" + count + ", " + kvHeads + ", T, " + headDim
                    + "], got " + Arrays.toString(k.shape()));
        }
        if (!Arrays.equals(v.shape(), k.shape())) {
            throw new IllegalArgumentException("v: expected the shape of k " + Arrays.toString(k.shape()) + ", got "
                    + Arrays.toString(v.shape()));
        }
        long t = k.dim(2), limit = maxTokens(headDim), longest = 0;
        for (int b = b0; b < b0 + count; b++) longest = Math.max(longest, lengths[b] + t);
        if (longest > limit) {
            throw new IllegalArgumentException("k: the cache would hold " + longest + " tokens, more than the "
                    + limit + " that fit per (batch, kv head) at head dim " + headDim);
        }
        float[] kr = new float[headDim], vr = new float[headDim];
        if (format == DType.F16 || format == DType.Q8_0) {
            // Checked before anything is stored, so a refused call leaves the cache as it was.
            for (long row = 0; row < (long) count * kvHeads * t; row++) {
                k.readRow(row, kr, 0);
                v.readRow(row, vr, 0);
                String which = "k", why = unstorable(kr);
                if (why == null) {
                    which = "v";
                    why = unstorable(vr);
                }
                if (why != null) {
                    long bh = row / t;
                    throw new IllegalArgumentException(which + ": token " + row % t + " of (b=" + (b0 + bh / kvHeads) + ", kv head "
                            + bh % kvHeads + ") holds " + why + " (nothing of this call was appended)");
                }
            }
        }
        if (longest > storage.capacity) storage.grow((int) Math.min(limit, Math.max(longest, 2L * storage.capacity)));
        for (int i = 0; i < count * kvHeads; i++) {
            int bh = b0 * kvHeads + i, at = lengths[bh / kvHeads];
            for (int j = 0; j < t; j++) {
                long row = (long) i * t + j;
                k.readRow(row, kr, 0);
                v.readRow(row, vr, 0);
                storage.store(bh, at + j, kr, vr);
                if (!VMath.allFinite(vr, 0, headDim)) nonFiniteValues[bh].set(at + j);
            }
        }
        for (int b = b0; b < b0 + count; b++) lengths[b] += (int) t;
    }

    /** Whether a token of slot {@code bh} in {@code [from, to)} holds a non-finite value (a masked one must not be multiplied). */
    boolean nonFiniteValueIn(int bh, int from, int to) {
        int next = nonFiniteValues[bh].nextSetBit(from);
        return next >= 0 && next < to;
    }

    /**
     * The stored keys or values as F32 {@code [B, Hkv, length, D]}: exactly what attention over this cache sees.
     *
     * @throws IllegalStateException when the sequences have different lengths (see {@link #dequantized(boolean, int)})
     */
    public Tensor dequantized(boolean ofKeys) {
        int n = length();
        for (int b = 0; b < batch; b++) {
            if (lengths[b] != n) {
                throw new IllegalStateException("the sequences hold different numbers of tokens (" + Arrays.toString(lengths)
                        + "): take them one at a time with dequantized(ofKeys, b)");
            }
        }
        Tensor out = Tensor.zeros(batch, kvHeads, n, headDim);
        for (int b = 0; b < batch; b++) copyInto(out, b, b, ofKeys);
        return out;
    }

    /** Sequence {@code b}'s stored keys or values as F32 {@code [1, Hkv, length(b), D]}. */
    public Tensor dequantized(boolean ofKeys, int b) {
        Tensor out = Tensor.zeros(1, kvHeads, length(b), headDim);
        copyInto(out, b, 0, ofKeys);
        return out;
    }

    private void copyInto(Tensor out, int b, int outB, boolean ofKeys) {
        float[] row = new float[headDim];
        int n = lengths[b];
        for (int h = 0; h < kvHeads; h++) {
            for (int i = 0; i < n; i++) {
                storage.read(b * kvHeads + h, i, ofKeys, row);
                out.writeRow(((long) outB * kvHeads + h) * n + i, row, 0);
            }
        }
    }

    KvStorage storage() {
        return storage;
    }

    @Override
    public String toString() {
        return "KvCache[" + format + ", B=" + batch + ", Hkv=" + kvHeads + ", D=" + headDim + ", lengths=" + Arrays.toString(lengths) + "]";
    }
}
