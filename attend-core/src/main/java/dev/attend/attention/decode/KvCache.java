package dev.attend.attention.decode;

import dev.attend.attention.Cost;
import dev.attend.simd.Gemm;
import dev.attend.simd.VMath;
import dev.attend.tensor.DType;
import dev.attend.tensor.Q8_0;
import dev.attend.tensor.Tensor;

import java.util.Arrays;

/**
 * The keys and values seen so far by a decoding model, {@code [B, Hkv, length, D]}, stored as F32, BF16
 * or Q8_0 (blocks of 32 along D, so Q8_0 needs {@code D % 32 == 0}); one storage class per format holds the
 * arrays in the tiled layout its decode kernel streams ({@link KvStorage}). Tokens are appended one or a few
 * at a time; storage grows by doubling, up to {@link #maxTokens(int)} tokens per (batch, kv head). Not
 * thread-safe for concurrent appends. Made by {@link DecodeAttention#newCache} or directly.
 */
public final class KvCache {
    /** Tokens per key tile: one vector of floats. */
    public static final int TILE = Gemm.LANES;

    private final DType format;
    private final int batch, kvHeads, headDim;
    private final KvStorage storage;
    private int length;

    /**
     * An empty cache for {@code initialCapacity} tokens.
     *
     * @throws IllegalArgumentException naming the argument when a size is not positive, the format is not one a
     *     cache stores, or the capacity exceeds {@link #maxTokens(int)}
     */
    public KvCache(DType format, int batch, int kvHeads, int headDim, int initialCapacity) {
        if (format == null || (format != DType.F32 && format != DType.BF16 && format != DType.Q8_0)) {
            throw new IllegalArgumentException("format: expected F32, BF16 or Q8_0, got " + format);
        }
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
    }

    /** The most tokens a cache with this head dimension holds per (batch, kv head). */
    public static int maxTokens(int headDim) {
        positive("headDim", headDim);
        return KvStorage.maxTokens(headDim);
    }

    private static void positive(String name, int v) {
        if (v < 1) throw new IllegalArgumentException(name + ": expected at least 1, got " + v);
    }

    public DType format() { return format; }
    public int batch() { return batch; }
    public int kvHeads() { return kvHeads; }
    public int headDim() { return headDim; }
    /** Tokens stored. */
    public int length() { return length; }

    /** Bytes of K and V storage that a decode step over the whole cache reads ({@link Cost#kvCacheBytes}). */
    public long bytesRead() {
        return Cost.kvCacheBytes(format, batch, kvHeads, length, headDim);
    }

    /** Appends {@code T} tokens: {@code k, v [B, Hkv, T, D]}, any views. */
    public void append(Tensor k, Tensor v) {
        if (k == null || v == null) throw new IllegalArgumentException((k == null ? "k" : "v") + ": expected a tensor, got null");
        if (k.rank() != 4 || k.dim(0) != batch || k.dim(1) != kvHeads || k.dim(3) != headDim) {
            throw new IllegalArgumentException("k: expected shape [" + batch + ", " + kvHeads + ", T, " + headDim
                    + "], got " + Arrays.toString(k.shape()));
        }
        if (!Arrays.equals(v.shape(), k.shape())) {
            throw new IllegalArgumentException("v: expected the shape of k " + Arrays.toString(k.shape()) + ", got "
                    + Arrays.toString(v.shape()));
        }
        long t = k.dim(2), limit = maxTokens(headDim);
        if (length + t > limit) {
            throw new IllegalArgumentException("k: the cache would hold " + (length + t) + " tokens, more than the "
                    + limit + " that fit per (batch, kv head) at head dim " + headDim);
        }
        if (length + t > storage.capacity) storage.grow((int) Math.min(limit, Math.max(length + t, 2L * storage.capacity)));
        float[] kr = new float[headDim], vr = new float[headDim];
        for (int bh = 0; bh < batch * kvHeads; bh++) {
            for (int i = 0; i < t; i++) {
                long row = (long) bh * t + i;
                k.readRow(row, kr, 0);
                v.readRow(row, vr, 0);
                if (format == DType.Q8_0 && !(VMath.allFinite(kr, 0, headDim) && VMath.allFinite(vr, 0, headDim))) {
                    throw new IllegalArgumentException((VMath.allFinite(kr, 0, headDim) ? "v" : "k") + ": token " + i + " of (b="
                            + bh / kvHeads + ", kv head " + bh % kvHeads + ") holds a NaN or infinity; a Q8_0 cache stores finite values only"
                            + " (tokens before it in this call were not appended)");
                }
                storage.store(bh, length + i, kr, vr);
            }
        }
        length += (int) t;
    }

    /** The stored keys or values as F32 {@code [B, Hkv, length, D]}: exactly what attention over this cache sees. */
    public Tensor dequantized(boolean ofKeys) {
        Tensor out = Tensor.zeros(batch, kvHeads, length, headDim);
        float[] row = new float[headDim];
        for (int bh = 0; bh < batch * kvHeads; bh++) {
            for (int i = 0; i < length; i++) {
                storage.read(bh, i, ofKeys, row);
                out.writeRow((long) bh * length + i, row, 0);
            }
        }
        return out;
    }

    KvStorage storage() {
        return storage;
    }

    @Override
    public String toString() {
        return "KvCache[" + format + ", B=" + batch + ", Hkv=" + kvHeads + ", D=" + headDim + ", length=" + length + "]";
    }
}
