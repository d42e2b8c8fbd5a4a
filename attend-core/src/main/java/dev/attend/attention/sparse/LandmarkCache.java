package dev.attend.attention.sparse;

import dev.attend.attention.AttentionResult;
import dev.attend.tensor.Tensor;

import java.util.Arrays;

/**
 * The KV cache of {@link LandmarkAttention}'s incremental decoding: per (batch, kv head) the keys (transposed), the
 * values, and per block of {@code block} tokens the running key sum that gives its landmark key. Appending a token
 * costs O(D); a decode step of one query reads the landmark keys ({@code length / block} rows) and the
 * {@code (topK + 1) * block} tokens it uses, not the whole cache. FP32, not thread-safe for concurrent appends.
 *
 * <p>Why not a {@link dev.attend.attention.decode.KvCache} and {@link dev.attend.attention.DecodingMechanism}:
 * that cache is final, its storage is package-private and it offers no per-token read (only
 * {@code dequantized()}, a copy of the whole cache), so landmark keys could only be kept up to date by copying the
 * whole cache at every step, which is the full read this mechanism exists to avoid. A public per-token or per-range
 * key read on {@code KvCache} (or an append listener) would let this class become a view over it.
 */
public final class LandmarkCache {
    private final int batch, kvHeads, headDim, block;
    private final LandmarkStore[] stores;

    /**
     * An empty cache for {@code capacity} tokens per (batch, kv head), growing by doubling.
     *
     * @throws IllegalArgumentException naming the argument when a size is not positive
     */
    public LandmarkCache(int batch, int kvHeads, int headDim, int block, int capacity) {
        positive("batch", batch);
        positive("kvHeads", kvHeads);
        positive("headDim", headDim);
        positive("block", block);
        positive("capacity", capacity);
        if ((long) capacity * headDim > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("capacity: capacity * headDim must stay below 2^31, got " + capacity + " * " + headDim);
        }
        this.batch = batch;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.block = block;
        stores = new LandmarkStore[batch * kvHeads];
        for (int i = 0; i < stores.length; i++) stores[i] = new LandmarkStore(headDim, block, capacity);
    }

    private static void positive(String name, int v) {
        if (v < 1) throw new IllegalArgumentException(name + ": expected at least 1, got " + v);
    }

    public int batch() { return batch; }
    public int kvHeads() { return kvHeads; }
    public int headDim() { return headDim; }
    public int block() { return block; }
    /** Tokens stored per (batch, kv head). */
    public int length() { return stores[0].n; }

    /** Appends {@code T} tokens: {@code k, v [B, Hkv, T, D]}, any views. */
    public void append(Tensor k, Tensor v) {
        if (k == null || v == null) throw new IllegalArgumentException((k == null ? "k" : "v") + ": expected a tensor, got null");
        if (k.rank() != 4 || k.dim(0) != batch || k.dim(1) != kvHeads || k.dim(3) != headDim) {
            throw new IllegalArgumentException("k: expected shape [" + batch + ", " + kvHeads + ", T, " + headDim + "], got " + Arrays.toString(k.shape()));
        }
        if (!Arrays.equals(v.shape(), k.shape())) {
            throw new IllegalArgumentException("v: expected the shape of k " + Arrays.toString(k.shape()) + ", got " + Arrays.toString(v.shape()));
        }
        long t = k.dim(2);
        if ((length() + t) * headDim > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("k: the cache would hold " + (length() + t) + " tokens; tokens * headDim must stay below 2^31");
        }
        float[] kr = new float[headDim], vr = new float[headDim];
        for (int bh = 0; bh < stores.length; bh++) {
            for (int i = 0; i < t; i++) {
                k.readRow((long) bh * t + i, kr, 0);
                v.readRow((long) bh * t + i, vr, 0);
                stores[bh].append(kr, vr);
            }
        }
    }

    /** The inference path for {@code q [B, Hq, Lq, D]} as the last Lq positions; see {@link LandmarkAttention#attend}. */
    AttentionResult attend(Tensor q, float scale, int topK) {
        if (q == null) throw new IllegalArgumentException("q: expected a tensor [B, Hq, Lq, D], got null");
        int n = length();
        if (q.rank() != 4 || q.dim(0) != batch || q.dim(3) != headDim || q.dim(1) < kvHeads || q.dim(1) % kvHeads != 0) {
            throw new IllegalArgumentException("q: expected shape [" + batch + ", a multiple of " + kvHeads + ", Lq, " + headDim
                    + "] for this cache, got " + Arrays.toString(q.shape()));
        }
        if (n == 0) throw new IllegalArgumentException("cache: expected at least one token appended, got an empty cache");
        if (q.dim(2) < 1 || q.dim(2) > n) throw new IllegalArgumentException("q: expected 1 to " + n + " queries (the cache length), got " + q.dim(2));
        if (!Float.isFinite(scale) || scale == 0f) throw new IllegalArgumentException("scale: expected finite non-zero, got " + scale);
        int hq = (int) q.dim(1), lq = (int) q.dim(2), group = hq / kvHeads;
        int[] pos = new int[lq];
        for (int i = 0; i < lq; i++) pos[i] = n - lq + i;
        LandmarkAttention.Rows rows = new LandmarkAttention.Rows(pos, false);
        Tensor out = Tensor.zeros(batch, hq, lq, headDim), lse = Tensor.zeros(batch, hq, lq);
        long scores = 0;
        for (int b = 0; b < batch; b++) {
            for (int hk = 0; hk < kvHeads; hk++) {
                LandmarkStore s = stores[b * kvHeads + hk];
                s.refresh();
                for (int h = hk * group; h < (hk + 1) * group; h++) scores += LandmarkAttention.attendHead(s, q, b, h, rows, scale, topK, out, lse);
            }
        }
        return new AttentionResult(out, lse, new AttentionResult.Stats(0, 0, scores, 4.0 * scores * headDim, 2L * Float.BYTES * headDim * scores));
    }

    @Override
    public String toString() {
        return "LandmarkCache[B=" + batch + ", Hkv=" + kvHeads + ", D=" + headDim + ", block=" + block + ", length=" + length() + "]";
    }
}
