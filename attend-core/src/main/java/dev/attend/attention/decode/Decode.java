package dev.attend.attention.decode;

import dev.attend.attention.AttentionResult;
import dev.attend.attention.LseMerge;
import dev.attend.simd.Gemm;
import dev.attend.simd.Parallel;
import dev.attend.simd.VMath;
import dev.attend.tensor.Bf16;
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
                partOut[i] = new float[rows * Gemm.pad(d)];
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

    /** One worker's buffers: the group's queries (pre-scaled), scores of one chunk, one decoded row. */
    private static final class Chunk {
        final KvCache cache;
        final int rows, d, dp;
        final float scale;
        final float[] q, s, row;

        Chunk(KvCache cache, int rows, float scale) {
            this.cache = cache;
            this.rows = rows;
            this.scale = scale;
            this.d = cache.headDim();
            this.dp = Gemm.pad(d);
            q = new float[rows * dp];
            s = new float[rows * CHUNK];
            row = new float[dp];
        }

        void load(Tensor qc, int b, int hk, int hq, int group, int lq) {
            for (int g = 0; g < group; g++) {
                for (int i = 0; i < lq; i++) {
                    int r = g * lq + i;
                    qc.readRow(((long) (b * hq + hk * group + g) * lq + i) * d, q, r * dp, d);
                    for (int x = 0; x < d; x++) q[r * dp + x] *= scale;
                }
            }
        }

        /** Keys {@code [k0, k1)}; query row r (position {@code first + r % lq}) sees keys up to its position. */
        void run(int bh, int k0, int k1, int first, int lq, float[] o, float[] lse) {
            int nk = k1 - k0;
            Object keys = cache.keys(bh), values = cache.values(bh);
            float[] kScales = cache.keyScales(bh), vScales = cache.valueScales(bh);
            for (int j = 0; j < nk; j++) {
                float[] src = rowOf(keys, kScales, k0 + j);
                int off = src == row ? 0 : (k0 + j) * d;
                for (int r = 0; r < rows; r++) {
                    s[r * CHUNK + j] = k0 + j <= first + r % lq ? dot(q, r * dp, src, off) : Float.NEGATIVE_INFINITY;
                }
            }
            for (int r = 0; r < rows; r++) lse[r] = softmaxRow(r * CHUNK, nk);
            for (int j = 0; j < nk; j++) {
                float[] src = rowOf(values, vScales, k0 + j);
                int off = src == row ? 0 : (k0 + j) * d;
                for (int r = 0; r < rows; r++) {
                    float p = s[r * CHUNK + j];
                    if (p != 0f) axpy(p, src, off, o, r * dp);
                }
            }
        }

        /** The float row to read: the F32 store itself, or {@link #row} after decoding BF16 / Q8_0. */
        private float[] rowOf(Object store, float[] scales, int i) {
            DType f = cache.format();
            if (f == DType.F32) return (float[]) store;
            int at = i * d;
            if (f == DType.BF16) {
                short[] src = (short[]) store;
                int x = 0;
                for (; x + LANES <= d; x += LANES) {
                    ((IntVector) ShortVector.fromArray(HALF, src, at + x).convertShape(VectorOperators.S2I, INT, 0))
                            .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(row, x);
                }
                for (; x < d; x++) row[x] = Bf16.toFloat(src[at + x]);
            } else {
                byte[] src = (byte[]) store;
                for (int x = 0; x < d; x += LANES) {
                    ((FloatVector) ByteVector.fromArray(QUARTER, src, at + x).convertShape(VectorOperators.B2F, F, 0))
                            .mul(scales[(at + x) / 32]).intoArray(row, x);
                }
            }
            return row;
        }

        private float dot(float[] a, int ao, float[] b, int bo) {
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int x = 0;
            for (; x + 2 * LANES <= d; x += 2 * LANES) {
                acc0 = FloatVector.fromArray(F, b, bo + x).fma(FloatVector.fromArray(F, a, ao + x), acc0);
                acc1 = FloatVector.fromArray(F, b, bo + x + LANES).fma(FloatVector.fromArray(F, a, ao + x + LANES), acc1);
            }
            float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
            for (; x < d; x++) sum += a[ao + x] * b[bo + x];
            return sum;
        }

        private void axpy(float p, float[] src, int so, float[] o, int oo) {
            FloatVector pv = FloatVector.broadcast(F, p);
            int x = 0;
            for (; x + LANES <= d; x += LANES) {
                FloatVector.fromArray(F, src, so + x).fma(pv, FloatVector.fromArray(F, o, oo + x)).intoArray(o, oo + x);
            }
            for (; x < d; x++) o[oo + x] += p * src[so + x];
        }

        /** In place: s = exp(s - max) / sum over a row of the chunk; returns the row's LSE. */
        private float softmaxRow(int off, int nk) {
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < nk; j++) max = Math.max(max, s[off + j]);
            if (max == Float.NEGATIVE_INFINITY) {
                Arrays.fill(s, off, off + nk, 0f);
                return max;
            }
            FloatVector mv = FloatVector.broadcast(F, max), sum = FloatVector.zero(F);
            int j = 0;
            for (; j + LANES <= nk; j += LANES) {
                FloatVector e = VMath.exp(FloatVector.fromArray(F, s, off + j).sub(mv));
                e.intoArray(s, off + j);
                sum = sum.add(e);
            }
            float total = sum.reduceLanes(VectorOperators.ADD);
            for (; j < nk; j++) {
                s[off + j] = VMath.exp(s[off + j] - max);
                total += s[off + j];
            }
            float inv = 1f / total;
            for (int t = 0; t < nk; t++) s[off + t] *= inv;
            return max + (float) Math.log(total);
        }
    }
}
