package dev.attend.attention.decode;

import dev.attend.attention.AttentionResult;
import dev.attend.attention.LseMerge;
import dev.attend.simd.Gemm;
import dev.attend.simd.Parallel;
import dev.attend.simd.VMath;
import dev.attend.tensor.Q8_0;
import dev.attend.tensor.DType;
import dev.attend.tensor.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.attend.simd.Gemm.F;
import static dev.attend.simd.Gemm.LANES;

/**
 * Decode attention (flash-decoding): a few queries against a long {@link KvCache}. The cache of each
 * (batch, kv head) is split into chunks of keys; every chunk is one work item that reads each key and
 * value row once for all queries of the GQA group, and produces a partial (out, lse); the partials are
 * merged exactly by {@link LseMerge} in chunk order, so results do not depend on scheduling. The
 * {@code Lq} queries are the last {@code Lq} positions of the sequence (bottom-right causal): query
 * {@code i} sees keys {@code 0 .. length - Lq + i}. Memory-bound: the cost is reading the cache once,
 * {@link KvCache#bytesRead()} bytes.
 */
public final class Decode {
    static final int CHUNK = 1024;
    private static final VectorSpecies<Short> HALF = VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * 16));
    private static final VectorSpecies<Integer> INT = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Byte> QUARTER = VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8));

    private Decode() {}

    /** Attention of {@code q [B, Hq, Lq, D]} over the cache with scale {@code 1/sqrt(D)}. */
    public static AttentionResult attend(Tensor q, KvCache cache) {
        return attend(q, cache, (float) (1.0 / Math.sqrt(cache.headDim())));
    }

    public static AttentionResult attend(Tensor q, KvCache cache, float scale) {
        int b = cache.batch(), hkv = cache.kvHeads(), d = cache.headDim(), n = cache.length();
        if (q.rank() != 4 || q.dim(0) != b || q.dim(3) != d || q.dim(1) % hkv != 0) {
            throw new IllegalArgumentException("q: expected shape [" + b + ", a multiple of " + hkv + ", Lq, " + d
                    + "] for this cache, got " + Arrays.toString(q.shape()));
        }
        int lq = (int) q.dim(2);
        if (lq < 1 || lq > n) {
            throw new IllegalArgumentException("q: expected 1 to " + n + " queries (the cache length), got " + lq);
        }
        if (!Float.isFinite(scale) || scale == 0f) throw new IllegalArgumentException("scale: expected finite non-zero, got " + scale);
        int hq = (int) q.dim(1), group = hq / hkv, rows = group * lq;
        int chunks = (n + CHUNK - 1) / CHUNK, items = b * hkv * chunks;
        Tensor qc = q.contiguous();
        float[][] partOut = new float[items][];
        float[][] partLse = new float[items][];
        AtomicInteger next = new AtomicInteger();
        Parallel.run(items, (w, workers) -> {
            Chunk c = new Chunk(cache, rows, scale);
            for (int i; (i = next.getAndIncrement()) < items; ) {
                int bh = i / chunks, ch = i % chunks;
                c.load(qc, bh / hkv, bh % hkv, hq, group, lq);
                partOut[i] = new float[c.paddedRows * Gemm.pad(d)];
                partLse[i] = new float[rows];
                c.run(bh, ch * CHUNK, Math.min(n, (ch + 1) * CHUNK), n - lq, lq, partOut[i], partLse[i]);
            }
        });
        Tensor out = Tensor.zeros(b, hq, lq, d), lse = Tensor.zeros(b, hq, lq);
        int dp = Gemm.pad(d);
        for (int bh = 0; bh < b * hkv; bh++) {
            float[] acc = partOut[bh * chunks], accLse = partLse[bh * chunks];
            for (int ch = 1; ch < chunks; ch++) {
                for (int r = 0; r < rows; r++) {
                    accLse[r] = LseMerge.mergeInto(acc, r * dp, accLse[r], partOut[bh * chunks + ch], r * dp,
                            partLse[bh * chunks + ch][r], d);
                }
            }
            int bb = bh / hkv, hk = bh % hkv;
            for (int r = 0; r < rows; r++) {
                int h = hk * group + r / lq, i = r % lq;
                long row = ((long) (bb * hq + h) * lq + i);
                out.writeRow(row * d, acc, r * dp, d);
                lse.set(accLse[r], bb, h, i);
            }
        }
        return new AttentionResult(out, lse, new AttentionResult.Stats((long) items, 0, 4.0 * b * hq * d * visiblePairs(n, lq)));
    }

    /** Keys seen by the last {@code lq} queries of an {@code n}-token causal sequence. */
    static long visiblePairs(int n, int lq) {
        return (long) lq * n - (long) lq * (lq - 1) / 2;
    }

    /**
     * One worker's buffers: the group's queries (pre-scaled, rows padded to a multiple of 4 with zeros),
     * the scores of one chunk, one output block. Kernels are split by storage format; each handles four
     * query rows at a time so every key and value vector loaded feeds four FMAs. No vector crosses a method
     * boundary: C2 would box it if the call were not inlined.
     */
    private static final class Chunk {
        final KvCache cache;
        final int rows, paddedRows, d, dp;
        final float scale;
        final float[] q, s;

        Chunk(KvCache cache, int rows, float scale) {
            this.cache = cache;
            this.rows = rows;
            this.paddedRows = (rows + 3) / 4 * 4;
            this.scale = scale;
            this.d = cache.headDim();
            this.dp = Gemm.pad(d);
            q = new float[paddedRows * d];
            s = new float[paddedRows * CHUNK];
        }

        void load(Tensor qc, int b, int hk, int hq, int group, int lq) {
            for (int g = 0; g < group; g++) {
                for (int i = 0; i < lq; i++) {
                    int r = g * lq + i;
                    qc.readRow(((long) (b * hq + hk * group + g) * lq + i) * d, q, r * d, d);
                    for (int x = 0; x < d; x++) q[r * d + x] *= scale;
                }
            }
        }

        /** Keys {@code [k0, k1)}; query row r (position {@code first + r % lq}) sees keys up to its position. */
        void run(int bh, int k0, int k1, int first, int lq, float[] o, float[] lse) {
            int nk = k1 - k0, cols = (nk + KvCache.TILE - 1) / KvCache.TILE * KvCache.TILE;
            Object keys = cache.keys(bh), values = cache.values(bh);
            float[] kScales = cache.keyScales(bh), vScales = cache.valueScales(bh);
            for (int rb = 0; rb < paddedRows; rb += 4) {
                for (int t = 0; t < cols; t += KvCache.TILE) {
                    int tileBase = (k0 + t) / KvCache.TILE * d * KvCache.TILE;
                    switch (cache.format()) {
                        case F32 -> scoresF32((float[]) keys, tileBase, rb, t);
                        case BF16 -> scoresBf16((short[]) keys, tileBase, rb, t);
                        case Q8_0 -> scoresQ8((byte[]) keys, kScales, tileBase, (k0 + t) / KvCache.TILE, rb, t);
                        default -> throw new IllegalStateException("format " + cache.format());
                    }
                }
            }
            for (int r = 0; r < rows; r++) {
                int visible = Math.min(nk, first + r % lq - k0 + 1);  // keys past the row's position are masked
                Arrays.fill(s, r * CHUNK + Math.max(visible, 0), r * CHUNK + cols, Float.NEGATIVE_INFINITY);
                lse[r] = softmaxRow(r * CHUNK, cols);
            }
            // Values in blocks of TILE rows (a few KB that stay in L1 while every column slice of them is used).
            Arrays.fill(o, 0f);
            for (int rb = 0; rb < paddedRows; rb += 4) {
                for (int j0 = 0; j0 < nk; j0 += KvCache.TILE) {
                    int j1 = Math.min(nk, j0 + KvCache.TILE);
                    for (int x = 0; x + LANES <= dp; x += LANES) {
                        switch (cache.format()) {
                            case F32 -> valuesF32((float[]) values, k0, j0, j1, rb, x, o);
                            case BF16 -> valuesBf16((short[]) values, k0, j0, j1, rb, x, o);
                            case Q8_0 -> valuesQ8((byte[]) values, vScales, k0, j0, j1, rb, x, o);
                            default -> throw new IllegalStateException("format " + cache.format());
                        }
                    }
                }
            }
        }

        // ---- scores of one key tile for query rows rb..rb+3: s[r][col..col+TILE) = q_r . k_j

        private void scoresF32(float[] k, int base, int rb, int col) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int q0 = rb * d, q1 = q0 + d, q2 = q1 + d, q3 = q2 + d;
            for (int x = 0; x < d; x++) {
                FloatVector kv = FloatVector.fromArray(F, k, base + x * LANES);
                a0 = kv.fma(FloatVector.broadcast(F, q[q0 + x]), a0);
                a1 = kv.fma(FloatVector.broadcast(F, q[q1 + x]), a1);
                a2 = kv.fma(FloatVector.broadcast(F, q[q2 + x]), a2);
                a3 = kv.fma(FloatVector.broadcast(F, q[q3 + x]), a3);
            }
            a0.intoArray(s, rb * CHUNK + col);
            a1.intoArray(s, (rb + 1) * CHUNK + col);
            a2.intoArray(s, (rb + 2) * CHUNK + col);
            a3.intoArray(s, (rb + 3) * CHUNK + col);
        }

        private void scoresBf16(short[] k, int base, int rb, int col) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int q0 = rb * d, q1 = q0 + d, q2 = q1 + d, q3 = q2 + d;
            for (int x = 0; x < d; x++) {
                FloatVector kv = ((IntVector) ShortVector.fromArray(HALF, k, base + x * LANES)
                        .convertShape(VectorOperators.S2I, INT, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                a0 = kv.fma(FloatVector.broadcast(F, q[q0 + x]), a0);
                a1 = kv.fma(FloatVector.broadcast(F, q[q1 + x]), a1);
                a2 = kv.fma(FloatVector.broadcast(F, q[q2 + x]), a2);
                a3 = kv.fma(FloatVector.broadcast(F, q[q3 + x]), a3);
            }
            a0.intoArray(s, rb * CHUNK + col);
            a1.intoArray(s, (rb + 1) * CHUNK + col);
            a2.intoArray(s, (rb + 2) * CHUNK + col);
            a3.intoArray(s, (rb + 3) * CHUNK + col);
        }

        /** Q8_0: integer-valued products summed per 32-dim block, then scaled by the block's per-key scales. */
        private void scoresQ8(byte[] k, float[] scales, int base, int tile, int rb, int col) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int q0 = rb * d, q1 = q0 + d, q2 = q1 + d, q3 = q2 + d;
            int blocks = d / Q8_0.BLOCK;
            for (int blk = 0; blk < blocks; blk++) {
                FloatVector b0 = FloatVector.zero(F), b1 = b0, b2 = b0, b3 = b0;
                for (int x = blk * Q8_0.BLOCK; x < (blk + 1) * Q8_0.BLOCK; x++) {
                    FloatVector kv = (FloatVector) ByteVector.fromArray(QUARTER, k, base + x * LANES)
                            .convertShape(VectorOperators.B2F, F, 0);
                    b0 = kv.fma(FloatVector.broadcast(F, q[q0 + x]), b0);
                    b1 = kv.fma(FloatVector.broadcast(F, q[q1 + x]), b1);
                    b2 = kv.fma(FloatVector.broadcast(F, q[q2 + x]), b2);
                    b3 = kv.fma(FloatVector.broadcast(F, q[q3 + x]), b3);
                }
                FloatVector sc = FloatVector.fromArray(F, scales, (tile * blocks + blk) * LANES);
                a0 = b0.fma(sc, a0);
                a1 = b1.fma(sc, a1);
                a2 = b2.fma(sc, a2);
                a3 = b3.fma(sc, a3);
            }
            a0.intoArray(s, rb * CHUNK + col);
            a1.intoArray(s, (rb + 1) * CHUNK + col);
            a2.intoArray(s, (rb + 2) * CHUNK + col);
            a3.intoArray(s, (rb + 3) * CHUNK + col);
        }

        // ---- o[r][x..x+LANES) += sum_{j0 <= j < j1} p[r][j] v_j[x..x+LANES) for rows rb..rb+3

        private void valuesF32(float[] v, int k0, int j0, int j1, int rb, int x, float[] o) {
            FloatVector a0 = FloatVector.fromArray(F, o, rb * dp + x), a1 = FloatVector.fromArray(F, o, (rb + 1) * dp + x),
                    a2 = FloatVector.fromArray(F, o, (rb + 2) * dp + x), a3 = FloatVector.fromArray(F, o, (rb + 3) * dp + x);
            int p0 = rb * CHUNK, p1 = p0 + CHUNK, p2 = p1 + CHUNK, p3 = p2 + CHUNK;
            for (int j = j0; j < j1; j++) {
                FloatVector vv = FloatVector.fromArray(F, v, (k0 + j) * d + x);
                a0 = vv.fma(FloatVector.broadcast(F, s[p0 + j]), a0);
                a1 = vv.fma(FloatVector.broadcast(F, s[p1 + j]), a1);
                a2 = vv.fma(FloatVector.broadcast(F, s[p2 + j]), a2);
                a3 = vv.fma(FloatVector.broadcast(F, s[p3 + j]), a3);
            }
            a0.intoArray(o, rb * dp + x);
            a1.intoArray(o, (rb + 1) * dp + x);
            a2.intoArray(o, (rb + 2) * dp + x);
            a3.intoArray(o, (rb + 3) * dp + x);
        }

        private void valuesBf16(short[] v, int k0, int j0, int j1, int rb, int x, float[] o) {
            FloatVector a0 = FloatVector.fromArray(F, o, rb * dp + x), a1 = FloatVector.fromArray(F, o, (rb + 1) * dp + x),
                    a2 = FloatVector.fromArray(F, o, (rb + 2) * dp + x), a3 = FloatVector.fromArray(F, o, (rb + 3) * dp + x);
            int p0 = rb * CHUNK, p1 = p0 + CHUNK, p2 = p1 + CHUNK, p3 = p2 + CHUNK;
            for (int j = j0; j < j1; j++) {
                FloatVector vv = ((IntVector) ShortVector.fromArray(HALF, v, (k0 + j) * d + x)
                        .convertShape(VectorOperators.S2I, INT, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                a0 = vv.fma(FloatVector.broadcast(F, s[p0 + j]), a0);
                a1 = vv.fma(FloatVector.broadcast(F, s[p1 + j]), a1);
                a2 = vv.fma(FloatVector.broadcast(F, s[p2 + j]), a2);
                a3 = vv.fma(FloatVector.broadcast(F, s[p3 + j]), a3);
            }
            a0.intoArray(o, rb * dp + x);
            a1.intoArray(o, (rb + 1) * dp + x);
            a2.intoArray(o, (rb + 2) * dp + x);
            a3.intoArray(o, (rb + 3) * dp + x);
        }

        private void valuesQ8(byte[] v, float[] scales, int k0, int j0, int j1, int rb, int x, float[] o) {
            FloatVector a0 = FloatVector.fromArray(F, o, rb * dp + x), a1 = FloatVector.fromArray(F, o, (rb + 1) * dp + x),
                    a2 = FloatVector.fromArray(F, o, (rb + 2) * dp + x), a3 = FloatVector.fromArray(F, o, (rb + 3) * dp + x);
            int p0 = rb * CHUNK, p1 = p0 + CHUNK, p2 = p1 + CHUNK, p3 = p2 + CHUNK;
            for (int j = j0; j < j1; j++) {
                int at = (k0 + j) * d + x;
                FloatVector vv = ((FloatVector) ByteVector.fromArray(QUARTER, v, at).convertShape(VectorOperators.B2F, F, 0))
                        .mul(scales[at / Q8_0.BLOCK]);
                a0 = vv.fma(FloatVector.broadcast(F, s[p0 + j]), a0);
                a1 = vv.fma(FloatVector.broadcast(F, s[p1 + j]), a1);
                a2 = vv.fma(FloatVector.broadcast(F, s[p2 + j]), a2);
                a3 = vv.fma(FloatVector.broadcast(F, s[p3 + j]), a3);
            }
            a0.intoArray(o, rb * dp + x);
            a1.intoArray(o, (rb + 1) * dp + x);
            a2.intoArray(o, (rb + 2) * dp + x);
            a3.intoArray(o, (rb + 3) * dp + x);
        }

        /** In place: s = exp(s - max) / sum over a row of the chunk; returns the row's LSE. */
        private float softmaxRow(int off, int n) {
            FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < n; j += LANES) mv = mv.max(FloatVector.fromArray(F, s, off + j));
            float max = mv.reduceLanes(VectorOperators.MAX);
            if (max == Float.NEGATIVE_INFINITY) {
                Arrays.fill(s, off, off + n, 0f);
                return max;
            }
            mv = FloatVector.broadcast(F, max);
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < n; j += LANES) {
                FloatVector e = VMath.exp(FloatVector.fromArray(F, s, off + j).sub(mv));
                e.intoArray(s, off + j);
                sum = sum.add(e);
            }
            float total = sum.reduceLanes(VectorOperators.ADD);
            FloatVector inv = FloatVector.broadcast(F, 1f / total);
            for (int j = 0; j < n; j += LANES) FloatVector.fromArray(F, s, off + j).mul(inv).intoArray(s, off + j);
            return max + (float) Math.log(total);
        }
    }
}
