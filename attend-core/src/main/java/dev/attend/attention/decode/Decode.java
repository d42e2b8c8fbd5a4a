package dev.attend.attention.decode;

import dev.attend.attention.AttentionResult;
import dev.attend.attention.LseMerge;
import dev.attend.attention.mask.Masks;
import dev.attend.simd.Gemm;
import dev.attend.simd.Parallel;
import dev.attend.simd.VMath;
import dev.attend.tensor.DType;
import dev.attend.tensor.Q8_0;
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
 * {@code i} sees keys {@code 0 .. length - Lq + i}. Cost: reading the cache once ({@link KvCache#bytesRead()}
 * bytes, what bounds F32) and {@code 4 * Hq * D} flops per key (two FMAs per key, dimension and query head),
 * which bounds BF16 and Q8_0 on a machine with fast memory.
 */
public final class Decode {
    static final int CHUNK = 2048;   // keys per work item, a multiple of TILE
    private static final int TILE = KvCache.TILE;
    private static final VectorSpecies<Short> HALF = VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * 16));
    private static final VectorSpecies<Integer> INT = VectorSpecies.of(int.class, F.vectorShape());
    // Four vectors' worth of bytes: one 64-byte line on AVX-512, converted a quarter (one float vector) at a time.
    private static final VectorSpecies<Byte> LINE = VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 32));

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
        if (n == 0) throw new IllegalArgumentException("cache: expected at least one token appended, got an empty cache");
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
            int loaded = -1;
            for (int i; (i = next.getAndIncrement()) < items; ) {
                int bh = i / chunks, ch = i % chunks;
                if (bh != loaded) c.load(qc, bh / hkv, bh % hkv, hq, group, lq);  // items come in (b, kv head) order
                loaded = bh;
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
        double flops = 4.0 * d * Masks.causalBottomRight().area(b, hq, lq, n);
        return new AttentionResult(out, lse, new AttentionResult.Stats(items, 0, flops));
    }

    /**
     * One worker's buffers: the group's queries (pre-scaled, rows padded to a multiple of 4 with zeros),
     * the scores of one chunk. One pair of kernels serves F32 and BF16 (widened in registers);
     * Q8_0 has its own, which fold the block scales in. Each kernel handles four
     * query rows at a time so every key and value vector loaded feeds four FMAs. No vector crosses a method
     * boundary: C2 would box it if the call were not inlined.
     */
    private static final class Chunk {
        final KvCache cache;
        final int rows, paddedRows, d, dp;
        final float scale;
        final float[] q, s, norm;

        Chunk(KvCache cache, int rows, float scale) {
            this.cache = cache;
            this.rows = rows;
            this.paddedRows = (rows + 3) / 4 * 4;
            this.scale = scale;
            this.d = cache.headDim();
            this.dp = Gemm.pad(d);
            q = new float[paddedRows * d];
            s = new float[paddedRows * CHUNK];
            norm = new float[paddedRows];
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
            int nk = k1 - k0, tiles = (nk + TILE - 1) / TILE, cols = tiles * TILE, tile0 = k0 / TILE;
            int kTileSize = d * TILE, vTileSize = dp * TILE;
            Object keys = cache.keys(bh), values = cache.values(bh);
            DType format = cache.format();
            if (format == DType.Q8_0) {
                for (int rb = 0; rb < paddedRows; rb += 4) scoresQ8((byte[]) keys, cache.keyScales(bh), tile0, tiles, rb);
            } else {
                float[] kf = format == DType.F32 ? (float[]) keys : null;
                short[] kh = format == DType.BF16 ? (short[]) keys : null;
                for (int t = 0; t < tiles; t++) {
                    for (int rb = 0; rb < paddedRows; rb += 4) scores(kf, kh, (tile0 + t) * kTileSize, rb, t * TILE);
                }
            }
            for (int r = 0; r < rows; r++) {
                int visible = Math.min(nk, first + r % lq - k0 + 1);  // keys past the row's position are masked
                Arrays.fill(s, r * CHUNK + Math.max(visible, 0), r * CHUNK + cols, Float.NEGATIVE_INFINITY);
                lse[r] = softmaxRow(r * CHUNK, cols);
            }
            Arrays.fill(o, 0f);
            if (format == DType.Q8_0) {
                for (int rb = 0; rb < paddedRows; rb += 4) valuesQ8((byte[]) values, cache.valueScales(bh), tile0, tiles, rb, o);
            } else {
                float[] vf = format == DType.F32 ? (float[]) values : null;
                short[] vh = format == DType.BF16 ? (short[]) values : null;
                for (int t = 0; t < tiles; t++) {
                    for (int rb = 0; rb < paddedRows; rb += 4) values(vf, vh, (tile0 + t) * vTileSize, rb, t * TILE, o);
                }
            }
            for (int r = 0; r < rows; r++) {
                FloatVector inv = FloatVector.broadcast(F, norm[r]);
                for (int x = 0; x < dp; x += LANES) FloatVector.fromArray(F, o, r * dp + x).mul(inv).intoArray(o, r * dp + x);
            }
        }

        /**
         * Scores of one key tile (dimension-major at {@code base}, F32 in {@code kf} or else BF16 in {@code kh})
         * for query rows rb..rb+3: {@code s[r][col..col+TILE) = q_r . k}. Two accumulators per row (even and odd
         * dimensions) keep eight FMA chains, and so enough loads, in flight. The format test is loop-invariant:
         * C2 unswitches it, one loop per format.
         */
        private void scores(float[] kf, short[] kh, int base, int rb, int col) {
            int q0 = rb * d, q1 = q0 + d, q2 = q1 + d, q3 = q2 + d;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            int x = 0;
            for (; x + 1 < d; x += 2) {
                FloatVector k0 = kf != null ? FloatVector.fromArray(F, kf, base + x * TILE) : widen(kh, base + x * TILE);
                FloatVector k1 = kf != null ? FloatVector.fromArray(F, kf, base + (x + 1) * TILE) : widen(kh, base + (x + 1) * TILE);
                a0 = k0.fma(FloatVector.broadcast(F, q[q0 + x]), a0);
                a1 = k0.fma(FloatVector.broadcast(F, q[q1 + x]), a1);
                a2 = k0.fma(FloatVector.broadcast(F, q[q2 + x]), a2);
                a3 = k0.fma(FloatVector.broadcast(F, q[q3 + x]), a3);
                b0 = k1.fma(FloatVector.broadcast(F, q[q0 + x + 1]), b0);
                b1 = k1.fma(FloatVector.broadcast(F, q[q1 + x + 1]), b1);
                b2 = k1.fma(FloatVector.broadcast(F, q[q2 + x + 1]), b2);
                b3 = k1.fma(FloatVector.broadcast(F, q[q3 + x + 1]), b3);
            }
            if (x < d) {
                FloatVector k0 = kf != null ? FloatVector.fromArray(F, kf, base + x * TILE) : widen(kh, base + x * TILE);
                a0 = k0.fma(FloatVector.broadcast(F, q[q0 + x]), a0);
                a1 = k0.fma(FloatVector.broadcast(F, q[q1 + x]), a1);
                a2 = k0.fma(FloatVector.broadcast(F, q[q2 + x]), a2);
                a3 = k0.fma(FloatVector.broadcast(F, q[q3 + x]), a3);
            }
            a0.add(b0).intoArray(s, rb * CHUNK + col);
            a1.add(b1).intoArray(s, (rb + 1) * CHUNK + col);
            a2.add(b2).intoArray(s, (rb + 2) * CHUNK + col);
            a3.add(b3).intoArray(s, (rb + 3) * CHUNK + col);
        }

        /** BF16 to F32: the high half of a float. Small enough that C2 always inlines it (no boxed vector). */
        private static FloatVector widen(short[] a, int at) {
            return ((IntVector) ShortVector.fromArray(HALF, a, at).convertShape(VectorOperators.S2I, INT, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }

        /**
         * Q8_0: integer-valued products summed per 32-dim block, then scaled by the block's per-key scales.
         * One load takes a whole 64-byte line (four dimensions of the tile's 16 keys): four times fewer loads
         * than converting dimension by dimension, which is what lets memory keep up.
         */
        private void scoresQ8(byte[] k, float[] scales, int tile0, int tiles, int rb) {
            int q0 = rb * d, q1 = q0 + d, q2 = q1 + d, q3 = q2 + d;
            int blocks = d / Q8_0.BLOCK;
            for (int t = 0; t < tiles; t++) {
                int base = (tile0 + t) * d * TILE;
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int blk = 0; blk < blocks; blk++) {
                    FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, e0 = c0, e1 = c0, e2 = c0, e3 = c0;
                    for (int x = blk * Q8_0.BLOCK; x < (blk + 1) * Q8_0.BLOCK; x += 4) {
                        ByteVector line = ByteVector.fromArray(LINE, k, base + x * TILE);
                        FloatVector k0 = (FloatVector) line.convertShape(VectorOperators.B2F, F, 0);
                        FloatVector k1 = (FloatVector) line.convertShape(VectorOperators.B2F, F, 1);
                        FloatVector k2 = (FloatVector) line.convertShape(VectorOperators.B2F, F, 2);
                        FloatVector k3 = (FloatVector) line.convertShape(VectorOperators.B2F, F, 3);
                        c0 = k0.fma(FloatVector.broadcast(F, q[q0 + x]), c0);
                        c1 = k0.fma(FloatVector.broadcast(F, q[q1 + x]), c1);
                        c2 = k0.fma(FloatVector.broadcast(F, q[q2 + x]), c2);
                        c3 = k0.fma(FloatVector.broadcast(F, q[q3 + x]), c3);
                        e0 = k1.fma(FloatVector.broadcast(F, q[q0 + x + 1]), e0);
                        e1 = k1.fma(FloatVector.broadcast(F, q[q1 + x + 1]), e1);
                        e2 = k1.fma(FloatVector.broadcast(F, q[q2 + x + 1]), e2);
                        e3 = k1.fma(FloatVector.broadcast(F, q[q3 + x + 1]), e3);
                        c0 = k2.fma(FloatVector.broadcast(F, q[q0 + x + 2]), c0);
                        c1 = k2.fma(FloatVector.broadcast(F, q[q1 + x + 2]), c1);
                        c2 = k2.fma(FloatVector.broadcast(F, q[q2 + x + 2]), c2);
                        c3 = k2.fma(FloatVector.broadcast(F, q[q3 + x + 2]), c3);
                        e0 = k3.fma(FloatVector.broadcast(F, q[q0 + x + 3]), e0);
                        e1 = k3.fma(FloatVector.broadcast(F, q[q1 + x + 3]), e1);
                        e2 = k3.fma(FloatVector.broadcast(F, q[q2 + x + 3]), e2);
                        e3 = k3.fma(FloatVector.broadcast(F, q[q3 + x + 3]), e3);
                    }
                    FloatVector sc = FloatVector.fromArray(F, scales, ((tile0 + t) * blocks + blk) * TILE);
                    a0 = c0.add(e0).fma(sc, a0);
                    a1 = c1.add(e1).fma(sc, a1);
                    a2 = c2.add(e2).fma(sc, a2);
                    a3 = c3.add(e3).fma(sc, a3);
                }
                int col = t * TILE;
                a0.intoArray(s, rb * CHUNK + col);
                a1.intoArray(s, (rb + 1) * CHUNK + col);
                a2.intoArray(s, (rb + 2) * CHUNK + col);
                a3.intoArray(s, (rb + 3) * CHUNK + col);
            }
        }

        /**
         * Outputs of one value tile (sliced by vectors at {@code base}; F32 in {@code vf} or else BF16 in {@code vh})
         * for query rows rb..rb+3:
         * {@code o[r][x..x+LANES) += sum_j p[r][j0 + j] v_j[x..x+LANES)}, slice after slice, so the tile is
         * read front to back. Even and odd tokens feed separate accumulators (eight chains).
         */
        private void values(float[] vf, short[] vh, int base, int rb, int j0, float[] o) {
            int p0 = rb * CHUNK + j0, p1 = p0 + CHUNK, p2 = p1 + CHUNK, p3 = p2 + CHUNK;
            for (int x = 0; x < dp; x += LANES) {
                FloatVector a0 = FloatVector.fromArray(F, o, rb * dp + x), a1 = FloatVector.fromArray(F, o, (rb + 1) * dp + x);
                FloatVector a2 = FloatVector.fromArray(F, o, (rb + 2) * dp + x), a3 = FloatVector.fromArray(F, o, (rb + 3) * dp + x);
                FloatVector b0 = FloatVector.zero(F), b1 = b0, b2 = b0, b3 = b0;
                int at = base + x * TILE;
                for (int j = 0; j < TILE; j += 2) {
                    FloatVector v0 = vf != null ? FloatVector.fromArray(F, vf, at + j * LANES) : widen(vh, at + j * LANES);
                    FloatVector v1 = vf != null ? FloatVector.fromArray(F, vf, at + (j + 1) * LANES) : widen(vh, at + (j + 1) * LANES);
                    a0 = v0.fma(FloatVector.broadcast(F, s[p0 + j]), a0);
                    a1 = v0.fma(FloatVector.broadcast(F, s[p1 + j]), a1);
                    a2 = v0.fma(FloatVector.broadcast(F, s[p2 + j]), a2);
                    a3 = v0.fma(FloatVector.broadcast(F, s[p3 + j]), a3);
                    b0 = v1.fma(FloatVector.broadcast(F, s[p0 + j + 1]), b0);
                    b1 = v1.fma(FloatVector.broadcast(F, s[p1 + j + 1]), b1);
                    b2 = v1.fma(FloatVector.broadcast(F, s[p2 + j + 1]), b2);
                    b3 = v1.fma(FloatVector.broadcast(F, s[p3 + j + 1]), b3);
                }
                a0.add(b0).intoArray(o, rb * dp + x);
                a1.add(b1).intoArray(o, (rb + 1) * dp + x);
                a2.add(b2).intoArray(o, (rb + 2) * dp + x);
                a3.add(b3).intoArray(o, (rb + 3) * dp + x);
            }
        }

        /**
         * Q8_0 values: two slices of the dims (the same 32-dim block, hence the same per-token scale) per pass,
         * each read a 64-byte line (four tokens) at a time; the token's scale multiplies its converted slices,
         * so each broadcast probability feeds two FMAs.
         */
        private void valuesQ8(byte[] v, float[] scales, int tile0, int tiles, int rb, float[] o) {
            int slices = dp / LANES, blocks = d / Q8_0.BLOCK, p0 = rb * CHUNK, p1 = p0 + CHUNK, p2 = p1 + CHUNK, p3 = p2 + CHUNK;
            for (int t = 0; t < tiles; t++) {
                for (int xs = 0; xs < slices; xs += 2) {
                    int x = xs * LANES, y = x + LANES, sc = ((tile0 + t) * blocks + x / Q8_0.BLOCK) * TILE;
                    FloatVector a0 = FloatVector.fromArray(F, o, rb * dp + x), a1 = FloatVector.fromArray(F, o, (rb + 1) * dp + x);
                    FloatVector a2 = FloatVector.fromArray(F, o, (rb + 2) * dp + x), a3 = FloatVector.fromArray(F, o, (rb + 3) * dp + x);
                    FloatVector b0 = FloatVector.fromArray(F, o, rb * dp + y), b1 = FloatVector.fromArray(F, o, (rb + 1) * dp + y);
                    FloatVector b2 = FloatVector.fromArray(F, o, (rb + 2) * dp + y), b3 = FloatVector.fromArray(F, o, (rb + 3) * dp + y);
                    int base = ((tile0 + t) * slices + xs) * TILE * LANES, j0 = t * TILE;
                    for (int j4 = 0; j4 < TILE; j4 += 4) {
                        ByteVector lineX = ByteVector.fromArray(LINE, v, base + j4 * LANES);
                        ByteVector lineY = ByteVector.fromArray(LINE, v, base + (TILE + j4) * LANES);
                        for (int part = 0; part < 4; part++) {
                            int j = j4 + part;
                            FloatVector w = FloatVector.broadcast(F, scales[sc + j]);
                            FloatVector vx = ((FloatVector) lineX.convertShape(VectorOperators.B2F, F, part)).mul(w);
                            FloatVector vy = ((FloatVector) lineY.convertShape(VectorOperators.B2F, F, part)).mul(w);
                            FloatVector p = FloatVector.broadcast(F, s[p0 + j0 + j]);
                            a0 = vx.fma(p, a0);
                            b0 = vy.fma(p, b0);
                            p = FloatVector.broadcast(F, s[p1 + j0 + j]);
                            a1 = vx.fma(p, a1);
                            b1 = vy.fma(p, b1);
                            p = FloatVector.broadcast(F, s[p2 + j0 + j]);
                            a2 = vx.fma(p, a2);
                            b2 = vy.fma(p, b2);
                            p = FloatVector.broadcast(F, s[p3 + j0 + j]);
                            a3 = vx.fma(p, a3);
                            b3 = vy.fma(p, b3);
                        }
                    }
                    a0.intoArray(o, rb * dp + x);
                    a1.intoArray(o, (rb + 1) * dp + x);
                    a2.intoArray(o, (rb + 2) * dp + x);
                    a3.intoArray(o, (rb + 3) * dp + x);
                    b0.intoArray(o, rb * dp + y);
                    b1.intoArray(o, (rb + 1) * dp + y);
                    b2.intoArray(o, (rb + 2) * dp + y);
                    b3.intoArray(o, (rb + 3) * dp + y);
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
            float total = sum.reduceLanes(VectorOperators.ADD);
            norm[off / CHUNK] = 1f / total;
            return max + (float) Math.log(total);
        }
    }
}
