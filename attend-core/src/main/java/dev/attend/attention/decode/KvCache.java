package dev.attend.attention.decode;

import dev.attend.simd.Gemm;
import dev.attend.tensor.Bf16;
import dev.attend.tensor.DType;
import dev.attend.tensor.Q8_0;
import dev.attend.tensor.Tensor;

import java.util.Arrays;

/**
 * The keys and values seen so far by a decoding model, {@code [B, Hkv, length, D]}, stored as F32, BF16
 * or Q8_0 (blocks of 32 along D, so Q8_0 needs {@code D % 32 == 0}). Tokens are appended one or a few at
 * a time; storage grows by doubling. Not thread-safe for concurrent appends.
 *
 * <p>Layout, per (batch, kv head), chosen so that {@link Decode} streams memory front to back: both
 * sides are kept in tiles of {@link #TILE} tokens. Keys are dimension-major inside a tile
 * ({@code [D][TILE]}): one vector load holds one dimension of {@code TILE} keys, and the scores of a
 * tile come out as a vector with no horizontal sums. Values are sliced by vectors of dimensions
 * ({@code [D/LANES][TILE][LANES]}, D padded to whole vectors): the slice of every token that one output
 * vector needs is contiguous. Q8_0 scales (one per token and 32 dimensions) are tiled {@code [D/32][TILE]}
 * on both sides.
 */
public final class KvCache {
    /** Tokens per key tile: one vector of floats. */
    public static final int TILE = Gemm.LANES;

    private final DType format;
    private final int batch, kvHeads, headDim;
    private int length, capacity;
    // One array per (b, h) and side, in the storage format: float[] F32, short[] BF16, byte[] Q8_0 (+ scales).
    private final Object[] keys, values;
    private final float[][] keyScales, valueScales;

    public KvCache(DType format, int batch, int kvHeads, int headDim, int initialCapacity) {
        if (format == null || format == DType.F16) {
            throw new IllegalArgumentException("format: expected F32, BF16 or Q8_0, got " + format);
        }
        positive("batch", batch);
        positive("kvHeads", kvHeads);
        positive("headDim", headDim);
        positive("initialCapacity", initialCapacity);
        if (format == DType.Q8_0 && headDim % Q8_0.BLOCK != 0) {
            throw new IllegalArgumentException("headDim: Q8_0 needs a multiple of " + Q8_0.BLOCK + ", got " + headDim);
        }
        this.format = format;
        this.batch = batch;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.keys = new Object[batch * kvHeads];
        this.values = new Object[batch * kvHeads];
        this.keyScales = new float[batch * kvHeads][];
        this.valueScales = new float[batch * kvHeads][];
        grow(initialCapacity);
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

    /** Bytes of K and V storage that a decode step over the whole cache reads. */
    public long bytesRead() {
        return 2L * batch * kvHeads * format.byteSize((long) length * headDim);
    }

    /** Appends {@code T} tokens: {@code k, v [B, Hkv, T, D]}. */
    public void append(Tensor k, Tensor v) {
        long[] want = {batch, kvHeads, k.rank() == 4 ? k.dim(2) : -1, headDim};
        if (k.rank() != 4 || !Arrays.equals(k.shape(), want)) {
            throw new IllegalArgumentException("k: expected shape [" + batch + ", " + kvHeads + ", T, " + headDim
                    + "], got " + Arrays.toString(k.shape()));
        }
        if (!Arrays.equals(v.shape(), k.shape())) {
            throw new IllegalArgumentException("v: expected the shape of k " + Arrays.toString(k.shape()) + ", got "
                    + Arrays.toString(v.shape()));
        }
        int t = (int) k.dim(2);
        long limit = (Integer.MAX_VALUE - 2L * TILE) / headDim;
        if (length + (long) t > limit) {
            throw new IllegalArgumentException("k: cache would hold " + (length + (long) t) + " tokens, more than "
                    + limit + " for head dim " + headDim);
        }
        if (length + t > capacity) grow((int) Math.min(limit, Math.max(length + (long) t, 2L * capacity)));
        Tensor kc = k.contiguous(), vc = v.contiguous();
        float[] row = new float[headDim];
        short[] half = format == DType.BF16 ? new short[headDim] : null;
        byte[] quant = format == DType.Q8_0 ? new byte[headDim] : null;
        float[] scale = format == DType.Q8_0 ? new float[headDim / Q8_0.BLOCK] : null;
        for (int bh = 0; bh < batch * kvHeads; bh++) {
            for (int i = 0; i < t; i++) {
                long src = ((long) bh * t + i) * headDim;
                int token = length + i;
                kc.readRow(src, row, 0, headDim);
                store(keys[bh], keyScales[bh], token, row, half, quant, scale, true);
                vc.readRow(src, row, 0, headDim);
                store(values[bh], valueScales[bh], token, row, half, quant, scale, false);
            }
        }
        length += t;
    }

    /** Index of key (token, dim) in the tiled key arrays; {@link #valueIndex} and {@link #scaleIndex} likewise. */
    static int keyIndex(int token, int dim, int headDim) {
        return ((token / TILE) * headDim + dim) * TILE + token % TILE;
    }

    /** Index of value (token, dim): tile, then vector slice of the dims, then token, then lane. */
    static int valueIndex(int token, int dim, int headDim) {
        return (((token / TILE) * (Gemm.pad(headDim) / Gemm.LANES) + dim / Gemm.LANES) * TILE + token % TILE)
                * Gemm.LANES + dim % Gemm.LANES;
    }

    /** Index of the Q8_0 scale of (token, 32-dim block), for keys and values alike. */
    static int scaleIndex(int token, int block, int headDim) {
        return ((token / TILE) * (headDim / Q8_0.BLOCK) + block) * TILE + token % TILE;
    }

    private void store(Object dst, float[] scales, int token, float[] row, short[] half, byte[] quant, float[] scale,
                       boolean isKey) {
        switch (format) {
            case F32 -> {
                for (int x = 0; x < headDim; x++) ((float[]) dst)[index(isKey, token, x)] = row[x];
            }
            case BF16 -> {
                Bf16.encode(row, 0, half, 0, headDim);
                for (int x = 0; x < headDim; x++) ((short[]) dst)[index(isKey, token, x)] = half[x];
            }
            case Q8_0 -> {
                Q8_0.quantize(row, 0, quant, 0, scale, 0, headDim);
                for (int x = 0; x < headDim; x++) ((byte[]) dst)[index(isKey, token, x)] = quant[x];
                for (int blk = 0; blk < scale.length; blk++) scales[scaleIndex(token, blk, headDim)] = scale[blk];
            }
            default -> throw new IllegalStateException("format " + format);
        }
    }

    private int index(boolean isKey, int token, int dim) {
        return isKey ? keyIndex(token, dim, headDim) : valueIndex(token, dim, headDim);
    }

    private void grow(int tokens) {
        int cap = (tokens + TILE - 1) / TILE * TILE;  // whole key tiles
        int n = cap * headDim;
        for (int bh = 0; bh < batch * kvHeads; bh++) {
            keys[bh] = resize(keys[bh], n);
            values[bh] = resize(values[bh], cap * Gemm.pad(headDim));
            if (format == DType.Q8_0) {
                keyScales[bh] = keyScales[bh] == null ? new float[n / Q8_0.BLOCK] : Arrays.copyOf(keyScales[bh], n / Q8_0.BLOCK);
                valueScales[bh] = valueScales[bh] == null ? new float[n / Q8_0.BLOCK] : Arrays.copyOf(valueScales[bh], n / Q8_0.BLOCK);
            }
        }
        capacity = cap;
    }

    private Object resize(Object a, int n) {
        return switch (format) {
            case F32 -> a == null ? new float[n] : Arrays.copyOf((float[]) a, n);
            case BF16 -> a == null ? new short[n] : Arrays.copyOf((short[]) a, n);
            case Q8_0 -> a == null ? new byte[n] : Arrays.copyOf((byte[]) a, n);
            default -> throw new IllegalStateException("format " + format);
        };
    }

    /** The stored keys or values as F32 {@code [B, Hkv, length, D]}: exactly what attention over this cache sees. */
    public Tensor dequantized(boolean ofKeys) {
        Tensor out = Tensor.zeros(batch, kvHeads, length, headDim);
        float[] row = new float[headDim];
        for (int bh = 0; bh < batch * kvHeads; bh++) {
            for (int i = 0; i < length; i++) {
                readRow(ofKeys, bh, i, row);
                out.writeRow(((long) bh * length + i) * headDim, row, 0, headDim);
            }
        }
        return out;
    }

    private void readRow(boolean ofKeys, int bh, int token, float[] row) {
        for (int x = 0; x < headDim; x++) {
            int at = index(ofKeys, token, x);
            Object src = ofKeys ? keys[bh] : values[bh];
            row[x] = switch (format) {
                case F32 -> ((float[]) src)[at];
                case BF16 -> Bf16.toFloat(((short[]) src)[at]);
                case Q8_0 -> ((byte[]) src)[at] * (ofKeys ? keyScales[bh] : valueScales[bh])[scaleIndex(token, x / Q8_0.BLOCK, headDim)];
                default -> throw new IllegalStateException("format " + format);
            };
        }
    }

    // Package access for the decode kernel.
    Object keys(int bh) { return keys[bh]; }
    Object values(int bh) { return values[bh]; }
    float[] keyScales(int bh) { return keyScales[bh]; }
    float[] valueScales(int bh) { return valueScales[bh]; }
}
