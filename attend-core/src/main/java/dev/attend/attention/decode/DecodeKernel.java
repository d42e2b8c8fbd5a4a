package dev.attend.attention.decode;

import dev.attend.simd.Gemm;

/**
 * The two products of decoding for one KV format, over one chunk of the cache of one (batch, kv head):
 * scores of the group's query rows against the chunk's keys, and the probability-weighted sum of its values.
 * One small class per format ({@link F32Kernel}, {@link F16Kernel}, {@link Bf16Kernel}, {@link Q8Kernel}) reads the layout of its
 * storage; {@link Decode} schedules chunks and merges them. Rows come four at a time (callers pad with zero
 * rows) so every vector loaded feeds four FMAs; no vector crosses a method boundary (C2 would box it when a
 * call is not inlined).
 */
abstract class DecodeKernel {
    final int d, dp;

    DecodeKernel(int headDim) {
        this.d = headDim;
        this.dp = Gemm.pad(headDim);
    }

    /**
     * {@code s[r * CHUNK + col0 + t * TILE + j] = q_r . key(tile0 + t, j)} for rows r < paddedRows and tiles t < tiles:
     * a run of consecutive tiles, written from column {@code col0} (a chunk may gather several runs).
     */
    abstract void scores(int bh, int tile0, int tiles, float[] q, int paddedRows, float[] s, int col0);

    /** {@code o[r * dp + x] += sum over the run's tokens j of s[r * CHUNK + col0 + j] * value(tile0 * TILE + j)[x]}. */
    abstract void values(int bh, int tile0, int tiles, float[] s, int col0, int paddedRows, float[] o);
}
