package dev.attend.attention.decode;

import dev.attend.attention.AttentionResult;
import dev.attend.attention.Cost;
import dev.attend.attention.LseMerge;
import dev.attend.simd.Gemm;
import dev.attend.simd.Parallel;
import dev.attend.simd.VMath;
import dev.attend.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.attend.simd.Gemm.F;
import static dev.attend.simd.Gemm.LANES;

/**
 * The decode scheduler (flash-decoding): a few queries against a long {@link KvCache}. The cache of each
 * (batch, kv head) is split into chunks of keys; every chunk is one work item that reads each key and value
 * row once for all queries of the GQA group, through the {@link DecodeKernel} of the cache's format, and
 * produces a partial (out, lse); the partials are merged exactly by {@link LseMerge} in chunk order, so
 * results do not depend on scheduling. The {@code Lq} queries are the last {@code Lq} positions of the
 * sequence: with {@code causal} (bottom-right) query {@code i} sees keys {@code 0 .. length - Lq + i},
 * otherwise every key. Cost: reading the cache once ({@link KvCache#bytesRead()} bytes, what bounds F32) and
 * {@code 4 * Hq * D} flops per key, which bounds BF16 and Q8_0 on a machine with fast memory.
 */
final class Decode {
    static final int CHUNK = 2048;   // keys per work item, a multiple of TILE
    private static final int TILE = KvCache.TILE;

    private Decode() {}

    /** Inputs were checked by {@link DecodeAttention}. */
    static AttentionResult run(Tensor q, KvCache cache, float scale, boolean causal) {
        int b = cache.batch(), hkv = cache.kvHeads(), d = cache.headDim(), n = cache.length();
        int lq = (int) q.dim(2), hq = (int) q.dim(1), group = hq / hkv, rows = group * lq;
        int chunks = (n + CHUNK - 1) / CHUNK, items = b * hkv * chunks;
        DecodeKernel kernel = cache.storage().kernel();
        float[][] partOut = new float[items][];
        float[][] partLse = new float[items][];
        AtomicInteger next = new AtomicInteger();
        Parallel.run(items, (w, workers) -> {
            Chunk c = new Chunk(kernel, rows, scale);
            int loaded = -1;
            for (int i; (i = next.getAndIncrement()) < items; ) {
                int bh = i / chunks, ch = i % chunks;
                if (bh != loaded) c.load(q, bh / hkv, bh % hkv, hq, group, lq);  // items come in (b, kv head) order
                loaded = bh;
                partOut[i] = new float[c.paddedRows * Gemm.pad(d)];
                partLse[i] = new float[rows];
                c.run(bh, ch * CHUNK, Math.min(n, (ch + 1) * CHUNK), causal ? n - lq : n - 1, lq, partOut[i], partLse[i]);
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
                out.writeFloats(row * d, acc, r * dp, d);
                lse.set(accLse[r], bb, h, i);
            }
        }
        long scores = (long) b * hq * lq * n;  // every key is scored; masked ones are set to -inf after
        return new AttentionResult(out, lse, new AttentionResult.Stats(items, 0, scores, Cost.attentionFlops(scores, d),
                cache.bytesRead()));
    }

    /**
     * One worker's buffers: the group's queries (pre-scaled, rows padded to a multiple of 4 with zeros) and
     * the scores of one chunk, which the format's kernel fills and then weighs the values with.
     */
    private static final class Chunk {
        final DecodeKernel kernel;
        final int rows, paddedRows, d, dp;
        final float scale;
        final float[] q, s, norm;

        Chunk(DecodeKernel kernel, int rows, float scale) {
            this.kernel = kernel;
            this.rows = rows;
            this.paddedRows = (rows + 3) / 4 * 4;
            this.scale = scale;
            this.d = kernel.d;
            this.dp = kernel.dp;
            q = new float[paddedRows * d];
            s = new float[paddedRows * CHUNK];
            norm = new float[paddedRows];
        }

        void load(Tensor qt, int b, int hk, int hq, int group, int lq) {
            for (int g = 0; g < group; g++) {
                for (int i = 0; i < lq; i++) {
                    int r = g * lq + i;
                    qt.readRow((long) (b * hq + hk * group + g) * lq + i, q, r * d);
                    for (int x = 0; x < d; x++) q[r * d + x] *= scale;
                }
            }
        }

        /** Keys {@code [k0, k1)}; query row r (position {@code first + r % lq}) sees keys up to its position. */
        void run(int bh, int k0, int k1, int first, int lq, float[] o, float[] lse) {
            int nk = k1 - k0, tiles = (nk + TILE - 1) / TILE, cols = tiles * TILE, tile0 = k0 / TILE;
            kernel.scores(bh, tile0, tiles, q, paddedRows, s);
            for (int r = 0; r < rows; r++) {
                int visible = Math.min(nk, first + r % lq - k0 + 1);  // keys past the row's position are masked
                Arrays.fill(s, r * CHUNK + Math.max(visible, 0), r * CHUNK + cols, Float.NEGATIVE_INFINITY);
                lse[r] = softmaxRow(r * CHUNK, cols);
            }
            Arrays.fill(o, 0f);
            kernel.values(bh, tile0, tiles, s, paddedRows, o);
            for (int r = 0; r < rows; r++) {
                FloatVector inv = FloatVector.broadcast(F, norm[r]);
                for (int x = 0; x < dp; x += LANES) FloatVector.fromArray(F, o, r * dp + x).mul(inv).intoArray(o, r * dp + x);
            }
        }

        /**
         * In place: s = exp(s - max) over a row of the chunk, left unnormalised (the output is divided by the
         * sum once, in {@link #run}, instead of every weight); returns the row's LSE.
         */
        private float softmaxRow(int off, int n) {
            FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < n; j += LANES) mv = mv.max(FloatVector.fromArray(F, s, off + j));
            float max = mv.reduceLanes(VectorOperators.MAX);
            if (max == Float.NEGATIVE_INFINITY) {
                Arrays.fill(s, off, off + n, 0f);
                norm[off / CHUNK] = 0f;
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
            norm[off / CHUNK] = 1f / total;
            return max + (float) Math.log(total);
        }
    }
}
