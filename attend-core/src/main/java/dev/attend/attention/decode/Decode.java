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
        KvStorage storage = cache.storage();
        DecodeKernel kernel = storage.kernel();
        float[][] partOut = new float[items][];
        float[][] partLse = new float[items][];
        AtomicInteger next = new AtomicInteger();
        Parallel.run(items, (w, workers) -> {
            Chunk c = new Chunk(storage, kernel, rows, scale);
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
                // Every decode row sees at least one key, so no weight at all (LSE -inf or NaN) is either a NaN or
                // infinity among its inputs, or scores beyond float32 from finite ones: refused, not returned.
                if (!(accLse[r] > Float.NEGATIVE_INFINITY) || accLse[r] == Float.POSITIVE_INFINITY) {
                    int last = causal ? n - lq + i : n - 1;
                    if (finiteInputs(q, storage, bb, h, i, bh, last, d)) {
                        throw new IllegalArgumentException("q, cache: the scores of query row (b=" + bb + ", h=" + h + ", q=" + i
                                + ") overflow float32 (|scale * q.k| > 3.4e38) although the inputs are finite; scale q or k down");
                    }
                }
                long row = ((long) (bb * hq + h) * lq + i);
                out.writeFloats(row * d, acc, r * dp, d);
                lse.set(accLse[r], bb, h, i);
            }
        }
        long scores = (long) b * hq * lq * n;  // every key is scored; masked ones are set to -inf after
        return new AttentionResult(out, lse, new AttentionResult.Stats(items, 0, scores, Cost.attentionFlops(scores, d),
                cache.bytesRead()));
    }

    /** Whether query row (b, h, i) and the stored keys 0..last of slot bh are all finite. Rare path. */
    private static boolean finiteInputs(Tensor q, KvStorage storage, int b, int h, int i, int bh, int last, int d) {
        float[] row = new float[d];
        q.readRow(((long) b * q.dim(1) + h) * q.dim(2) + i, row, 0);
        if (!VMath.allFinite(row, 0, d)) return false;
        for (int t = 0; t <= last; t++) {
            storage.read(bh, t, true, row);
            if (!VMath.allFinite(row, 0, d)) return false;
        }
        return true;
    }

    /**
     * One worker's buffers: the group's queries (pre-scaled, rows padded to a multiple of 4 with zeros) and
     * the scores of one chunk, which the format's kernel fills and then weighs the values with.
     */
    private static final class Chunk {
        final KvStorage storage;
        final DecodeKernel kernel;
        final int rows, paddedRows, d, dp;
        final float scale;
        final float[] q, s, norm, value;

        Chunk(KvStorage storage, DecodeKernel kernel, int rows, float scale) {
            this.storage = storage;
            this.kernel = kernel;
            this.rows = rows;
            this.paddedRows = (rows + 3) / 4 * 4;
            this.scale = scale;
            this.d = kernel.d;
            this.dp = kernel.dp;
            q = new float[paddedRows * d];
            s = new float[paddedRows * CHUNK];
            norm = new float[paddedRows];
            value = new float[d];
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
            int fewest = nk;
            for (int r = 0; r < rows; r++) {
                int visible = Math.max(0, Math.min(nk, first + r % lq - k0 + 1));  // keys past the row's position are masked
                fewest = Math.min(fewest, visible);
                Arrays.fill(s, r * CHUNK + visible, r * CHUNK + cols, Float.NEGATIVE_INFINITY);
                lse[r] = softmaxRow(r * CHUNK, cols);
            }
            Arrays.fill(o, 0f);
            if (maskedValuesFinite(bh, k0 + fewest, k1)) {
                kernel.values(bh, tile0, tiles, s, paddedRows, o);
            } else {
                visibleValuesOnly(bh, k0, nk, o);
            }
            for (int r = 0; r < rows; r++) {
                FloatVector inv = FloatVector.broadcast(F, norm[r]);
                for (int x = 0; x < dp; x += LANES) FloatVector.fromArray(F, o, r * dp + x).mul(inv).intoArray(o, r * dp + x);
            }
        }

        /** Whether the values of the masked tokens {@code [from, to)} (at most Lq - 1 of them) are finite. */
        private boolean maskedValuesFinite(int bh, int from, int to) {
            for (int t = from; t < to; t++) {
                storage.read(bh, t, false, value);
                if (!VMath.allFinite(value, 0, d)) return false;
            }
            return true;
        }

        /** The weighted values of the chunk skipping zero weights (a masked token's value may be NaN, and 0 * NaN is NaN). */
        private void visibleValuesOnly(int bh, int k0, int nk, float[] o) {
            for (int j = 0; j < nk; j++) {
                storage.read(bh, k0 + j, false, value);
                for (int r = 0; r < rows; r++) {
                    float w = s[r * CHUNK + j];
                    if (w == 0f) continue;
                    for (int x = 0; x < d; x++) o[r * dp + x] += w * value[x];
                }
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
            float total = VMath.sumLanes(sum);
            norm[off / CHUNK] = 1f / total;
            return max + (float) Math.log(total);
        }
    }
}
