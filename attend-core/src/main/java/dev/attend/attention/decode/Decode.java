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
    private static final int CHUNK_TILES = CHUNK / TILE;

    private Decode() {}

    /** Inputs were checked by {@link DecodeAttention}: every sequence holds at least Lq tokens. */
    static AttentionResult run(Tensor q, KvCache cache, float scale, boolean causal, CacheSelection selection) {
        int b = cache.batch(), hkv = cache.kvHeads(), d = cache.headDim(), slots = b * hkv;
        int lq = (int) q.dim(2), hq = (int) q.dim(1), group = hq / hkv, rows = group * lq;
        // Per (batch, kv head): the tiles its step reads, each with its selected lanes; chunks of them are the work items.
        int[][] tiles = new int[slots][], lanes = new int[slots][];
        int[] count = new int[slots], firstItem = new int[slots + 1];
        long tilesRead = 0;
        for (int bh = 0; bh < slots; bh++) {
            int n = cache.length(bh / hkv), most = (n + TILE - 1) / TILE;
            tiles[bh] = new int[most];
            lanes[bh] = new int[most];
            count[bh] = selection.tiles(bh, n, tiles[bh], lanes[bh]);
            firstItem[bh + 1] = firstItem[bh] + (count[bh] + CHUNK_TILES - 1) / CHUNK_TILES;
            tilesRead += count[bh];
        }
        int items = firstItem[slots];
        KvStorage storage = cache.storage();
        DecodeKernel kernel = storage.kernel();
        float[][] partOut = new float[items][];
        float[][] partLse = new float[items][];
        AtomicInteger next = new AtomicInteger();
        Parallel.run(items, (w, workers) -> {
            Chunk c = new Chunk(cache, kernel, rows, scale);
            int loaded = -1, bh = 0;
            for (int i; (i = next.getAndIncrement()) < items; ) {
                while (firstItem[bh + 1] <= i) bh++;  // a worker's items only move forward, in (b, kv head) order
                if (bh != loaded) c.load(q, bh / hkv, bh % hkv, hq, group, lq);
                loaded = bh;
                int n = cache.length(bh / hkv), t0 = (i - firstItem[bh]) * CHUNK_TILES;
                partOut[i] = new float[c.paddedRows * Gemm.pad(d)];
                partLse[i] = new float[rows];
                c.run(bh, tiles[bh], lanes[bh], t0, Math.min(count[bh], t0 + CHUNK_TILES), causal ? n - lq : n - 1, lq,
                        partOut[i], partLse[i]);
            }
        });
        Tensor out = Tensor.zeros(b, hq, lq, d), lse = Tensor.zeros(b, hq, lq);
        int dp = Gemm.pad(d);
        for (int bh = 0; bh < slots; bh++) {
            float[] acc = partOut[firstItem[bh]], accLse = partLse[firstItem[bh]];
            for (int item = firstItem[bh] + 1; item < firstItem[bh + 1]; item++) {
                for (int r = 0; r < rows; r++) {
                    accLse[r] = LseMerge.mergeInto(acc, r * dp, accLse[r], partOut[item], r * dp, partLse[item][r], d);
                }
            }
            int bb = bh / hkv, hk = bh % hkv, n = cache.length(bb);
            int firstSelected = tiles[bh][0] * TILE + Integer.numberOfTrailingZeros(lanes[bh][0]);
            for (int r = 0; r < rows; r++) {
                int h = hk * group + r / lq, i = r % lq, last = causal ? n - lq + i : n - 1;
                // A row that sees a selected token has weight, so no weight at all (LSE -inf or NaN) is either a NaN or
                // infinity among its inputs, or scores beyond float32 from finite ones: refused, not returned. A row
                // before every selected token sees nothing: output 0, LSE -inf.
                if (firstSelected <= last && (!(accLse[r] > Float.NEGATIVE_INFINITY) || accLse[r] == Float.POSITIVE_INFINITY)) {
                    if (finiteInputs(q, storage, bb, h, i, bh, tiles[bh], lanes[bh], count[bh], last, d)) {
                        throw new IllegalArgumentException("q, cache: the scores of query row (b=" + bb + ", h=" + h + ", q=" + i
                                + ") overflow float32 (|scale * q.k| > 3.4e38) although the inputs are finite; scale q or k down");
                    }
                }
                long row = ((long) (bb * hq + h) * lq + i);
                out.writeFloats(row * d, acc, r * dp, d);
                lse.set(accLse[r], bb, h, i);
            }
        }
        long keys = tilesRead * TILE, scores = keys * group * lq;  // whole tiles are scored; unselected lanes are set to -inf after
        return new AttentionResult(out, lse, new AttentionResult.Stats(items, 0, scores, Cost.attentionFlops(scores, d),
                Cost.kvCacheBytes(cache.format(), 1, 1, keys, d)));
    }

    /** Whether query row (b, h, i) and the selected keys 0..last of slot bh are all finite. Rare path. */
    private static boolean finiteInputs(Tensor q, KvStorage storage, int b, int h, int i, int bh, int[] tiles, int[] lanes, int count, int last, int d) {
        float[] row = new float[d];
        q.readRow(((long) b * q.dim(1) + h) * q.dim(2) + i, row, 0);
        if (!VMath.allFinite(row, 0, d)) return false;
        for (int t = 0; t < count; t++) {
            for (int j = 0; j < TILE; j++) {
                int pos = tiles[t] * TILE + j;
                if ((lanes[t] >>> j & 1) == 0 || pos > last) continue;
                storage.read(bh, pos, true, row);
                if (!VMath.allFinite(row, 0, d)) return false;
            }
        }
        return true;
    }

    /**
     * One worker's buffers: the group's queries (pre-scaled, rows padded to a multiple of 4 with zeros) and
     * the scores of one chunk, which the format's kernel fills and then weighs the values with.
     */
    private static final class Chunk {
        final KvCache cache;
        final KvStorage storage;
        final DecodeKernel kernel;
        final int rows, paddedRows, d, dp;
        final float scale;
        final float[] q, s, norm, value;

        Chunk(KvCache cache, DecodeKernel kernel, int rows, float scale) {
            this.cache = cache;
            this.storage = cache.storage();
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

        /**
         * Tiles {@code tiles[t0 .. t1)} of slot bh (ascending, with their selected lanes); query row r (position
         * {@code first + r % lq}) sees the selected tokens up to its position.
         */
        void run(int bh, int[] tiles, int[] lanes, int t0, int t1, int first, int lq, float[] o, float[] lse) {
            int cols = (t1 - t0) * TILE, full = (1 << TILE) - 1;
            forEachRun(tiles, t0, t1, (tile0, count, col0) -> kernel.scores(bh, tile0, count, q, paddedRows, s, col0));
            boolean maskedFinite = true;
            for (int r = 0; r < rows; r++) {
                int last = first + r % lq;  // the row's position: later tokens are masked
                for (int t = t0; t < t1; t++) {
                    int visible = lanes[t] & seenUpTo(tiles[t], last);
                    if (visible == full) continue;
                    int col = r * CHUNK + (t - t0) * TILE;
                    for (int j = 0; j < TILE; j++) if ((visible >>> j & 1) == 0) s[col + j] = Float.NEGATIVE_INFINITY;
                    // A masked token's value meets a zero weight in the product: fine unless it is NaN or infinite.
                    if (maskedFinite && r < lq) maskedFinite = !maskedValueNonFinite(bh, tiles[t], visible);
                }
                lse[r] = softmaxRow(r * CHUNK, cols);
            }
            Arrays.fill(o, 0f);
            if (maskedFinite) {
                forEachRun(tiles, t0, t1, (tile0, count, col0) -> kernel.values(bh, tile0, count, s, col0, paddedRows, o));
            } else {
                visibleValuesOnly(bh, tiles, t0, t1, o);
            }
            for (int r = 0; r < rows; r++) {
                FloatVector inv = FloatVector.broadcast(F, norm[r]);
                for (int x = 0; x < dp; x += LANES) FloatVector.fromArray(F, o, r * dp + x).mul(inv).intoArray(o, r * dp + x);
            }
        }

        /** The lanes of {@code tile} at positions up to {@code last}. */
        private static int seenUpTo(int tile, int last) {
            int n = last - tile * TILE + 1;
            return n >= TILE ? (1 << TILE) - 1 : n <= 0 ? 0 : (1 << n) - 1;
        }

        private interface TileRun {
            void at(int tile0, int count, int col0);
        }

        /** Calls {@code run} once per maximal run of consecutive tiles in {@code tiles[t0 .. t1)}, with its column in the chunk. */
        private static void forEachRun(int[] tiles, int t0, int t1, TileRun run) {
            for (int t = t0; t < t1; ) {
                int end = t + 1;
                while (end < t1 && tiles[end] == tiles[end - 1] + 1) end++;
                run.at(tiles[t], end - t, (t - t0) * TILE);
                t = end;
            }
        }

        /** Whether a lane of {@code tile} outside {@code visible} holds a non-finite value. */
        private boolean maskedValueNonFinite(int bh, int tile, int visible) {
            if (!cache.nonFiniteValueIn(bh, tile * TILE, (tile + 1) * TILE)) return false;
            for (int j = 0; j < TILE; j++) {
                if ((visible >>> j & 1) == 0 && cache.nonFiniteValueIn(bh, tile * TILE + j, tile * TILE + j + 1)) return true;
            }
            return false;
        }

        /** The weighted values of the chunk skipping zero weights (a masked token's value may be NaN, and 0 * NaN is NaN). */
        private void visibleValuesOnly(int bh, int[] tiles, int t0, int t1, float[] o) {
            int n = cache.length(bh / cache.kvHeads());
            for (int t = t0; t < t1; t++) {
                for (int j = 0; j < TILE; j++) {
                    int pos = tiles[t] * TILE + j, col = (t - t0) * TILE + j;
                    if (pos >= n) break;
                    storage.read(bh, pos, false, value);
                    for (int r = 0; r < rows; r++) {
                        float w = s[r * CHUNK + col];
                        if (w == 0f) continue;
                        for (int x = 0; x < d; x++) o[r * dp + x] += w * value[x];
                    }
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
