package dev.attend.attention.decode;

import dev.attend.simd.Gemm;
import dev.attend.tensor.DType;
import dev.attend.tensor.Q8_0;

/**
 * The arrays behind a {@link KvCache} in one storage format, one per (batch, kv head) and side, and the
 * decode kernel that reads them. Layout, per (batch, kv head), chosen so that {@link Decode} streams memory
 * front to back: both sides are kept in tiles of {@link KvCache#TILE} tokens. Keys are dimension-major inside
 * a tile ({@code [D][TILE]}): one vector load holds one dimension of {@code TILE} keys. Values are sliced by
 * vectors of dimensions ({@code [D/LANES][TILE][LANES]}, D padded to whole vectors). Q8_0 scales (one per
 * token and 32 dimensions) are tiled {@code [D/32][TILE]} on both sides.
 */
abstract sealed class KvStorage permits F32Storage, HalfStorage, Q8Storage {
    final int slots, headDim, dp;
    int capacity;  // tokens, whole tiles

    KvStorage(int slots, int headDim) {
        this.slots = slots;
        this.headDim = headDim;
        this.dp = Gemm.pad(headDim);
    }

    static KvStorage of(DType format, int slots, int headDim) {
        return switch (format) {
            case F32 -> new F32Storage(slots, headDim);
            case F16, BF16 -> new HalfStorage(format, slots, headDim);
            case Q8_0 -> new Q8Storage(slots, headDim);
            default -> throw new IllegalArgumentException("format: expected one of " + KvCache.FORMATS + ", got " + format);
        };
    }

    /** The most tokens one (batch, kv head) can hold: its value array, the larger side, must stay below 2^31 elements. */
    static int maxTokens(int headDim) {
        long perToken = Gemm.pad(headDim);
        return (int) Math.min(Integer.MAX_VALUE - KvCache.TILE, ((Integer.MAX_VALUE - 64L) / perToken) / KvCache.TILE * KvCache.TILE);
    }

    /** Grows every slot to hold at least {@code tokens} tokens (rounded up to whole tiles); callers checked the limit. */
    final void grow(int tokens) {
        int cap = (tokens + KvCache.TILE - 1) / KvCache.TILE * KvCache.TILE;
        resize(cap);
        capacity = cap;
    }

    abstract void resize(int tokens);

    /** Stores one token's key and value rows (F32, {@code headDim} each). */
    abstract void store(int bh, int token, float[] key, float[] value);

    /** The stored row, converted to F32: exactly what decoding sees. */
    abstract void read(int bh, int token, boolean key, float[] row);

    abstract DecodeKernel kernel();

    /** Index of key (token, dim) in a tiled key array. */
    final int keyIndex(int token, int dim) {
        return ((token / KvCache.TILE) * headDim + dim) * KvCache.TILE + token % KvCache.TILE;
    }

    /** Index of value (token, dim): tile, then vector slice of the dims, then token, then lane. */
    final int valueIndex(int token, int dim) {
        return (((token / KvCache.TILE) * (dp / Gemm.LANES) + dim / Gemm.LANES) * KvCache.TILE + token % KvCache.TILE)
                * Gemm.LANES + dim % Gemm.LANES;
    }

    /** Index of the Q8_0 scale of (token, 32-dim block), for keys and values alike. */
    final int scaleIndex(int token, int block) {
        return ((token / KvCache.TILE) * (headDim / Q8_0.BLOCK) + block) * KvCache.TILE + token % KvCache.TILE;
    }
}
