package dev.attend.attention.decode;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import dev.attend.tensor.Q8_0;

import static dev.attend.attention.decode.Decode.CHUNK;
import static dev.attend.attention.decode.KvCache.TILE;
import static dev.attend.simd.Gemm.F;
import static dev.attend.simd.Gemm.LANES;

/**
 * Decode kernels for a Q8_0 cache: integer-valued products summed per 32-dimension block and scaled once per
 * block, values scaled per token. Every load takes the int8 of one dimension of a tile's keys (or one vector slice of
 * a token's value) and widens it to one float vector in place (a sign-extending load and a conversion, no shuffle).
 * A quarter of F32's bytes; bounded by arithmetic (64 FMAs per key for a group of four query heads), not by memory.
 */
final class Q8Kernel extends DecodeKernel {
    // LANES bytes: one float vector once widened.
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8));
    private final Q8Storage store;

    Q8Kernel(Q8Storage store) {
        super(store.headDim);
        this.store = store;
    }

    @Override
    void scores(int bh, int tile0, int tiles, float[] q, int paddedRows, float[] s, int col0) {
        for (int rb = 0; rb < paddedRows; rb += 4) scores(store.keys[bh], store.keyScales[bh], q, s, tile0, tiles, rb, col0);
    }

    @Override
    void values(int bh, int tile0, int tiles, float[] s, int col0, int paddedRows, float[] o) {
        for (int rb = 0; rb < paddedRows; rb += 4) values(store.values[bh], store.valueScales[bh], s, tile0, tiles, rb, col0, o);
    }

    private static FloatVector widen(byte[] a, int off) {
        return (FloatVector) ByteVector.fromArray(BYTES, a, off).convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * Scores of four query rows against the tiles' keys: per 32-dim block, integer-valued products summed in two
     * chains per row (even and odd dimensions: eight FMA chains hide the FMA latency), then scaled by the block's
     * per-key scales. Twelve accumulators and no more: AVX2 has sixteen registers.
     */
    private void scores(byte[] k, float[] scales, float[] q, float[] s, int tile0, int tiles, int rb, int col0) {
        int q0 = rb * d, q1 = q0 + d, q2 = q1 + d, q3 = q2 + d;
        int blocks = d / Q8_0.BLOCK;
        for (int t = 0; t < tiles; t++) {
            int base = (tile0 + t) * d * TILE;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int blk = 0; blk < blocks; blk++) {
                FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, e0 = c0, e1 = c0, e2 = c0, e3 = c0;
                for (int x = blk * Q8_0.BLOCK; x < (blk + 1) * Q8_0.BLOCK; x += 2) {
                    FloatVector kx = widen(k, base + x * TILE);
                    c0 = kx.fma(FloatVector.broadcast(F, q[q0 + x]), c0);
                    c1 = kx.fma(FloatVector.broadcast(F, q[q1 + x]), c1);
                    c2 = kx.fma(FloatVector.broadcast(F, q[q2 + x]), c2);
                    c3 = kx.fma(FloatVector.broadcast(F, q[q3 + x]), c3);
                    FloatVector ky = widen(k, base + (x + 1) * TILE);
                    e0 = ky.fma(FloatVector.broadcast(F, q[q0 + x + 1]), e0);
                    e1 = ky.fma(FloatVector.broadcast(F, q[q1 + x + 1]), e1);
                    e2 = ky.fma(FloatVector.broadcast(F, q[q2 + x + 1]), e2);
                    e3 = ky.fma(FloatVector.broadcast(F, q[q3 + x + 1]), e3);
                }
                FloatVector sc = FloatVector.fromArray(F, scales, ((tile0 + t) * blocks + blk) * TILE);
                a0 = c0.add(e0).fma(sc, a0);
                a1 = c1.add(e1).fma(sc, a1);
                a2 = c2.add(e2).fma(sc, a2);
                a3 = c3.add(e3).fma(sc, a3);
            }
            int col = col0 + t * TILE;
            a0.intoArray(s, rb * CHUNK + col);
            a1.intoArray(s, (rb + 1) * CHUNK + col);
            a2.intoArray(s, (rb + 2) * CHUNK + col);
            a3.intoArray(s, (rb + 3) * CHUNK + col);
        }
    }

    /**
     * Q8_0 values: two slices of the dims (the same 32-dim block, hence the same per-token scale) per pass; each
     * token's slices are widened, scaled by the token's scale, and weighted by the four rows' probabilities.
     */
    private void values(byte[] v, float[] scales, float[] s, int tile0, int tiles, int rb, int col0, float[] o) {
        int slices = dp / LANES, blocks = d / Q8_0.BLOCK, p0 = rb * CHUNK, p1 = p0 + CHUNK, p2 = p1 + CHUNK, p3 = p2 + CHUNK;
        for (int t = 0; t < tiles; t++) {
            for (int xs = 0; xs < slices; xs += 2) {
                int x = xs * LANES, y = x + LANES, sc = ((tile0 + t) * blocks + x / Q8_0.BLOCK) * TILE;
                FloatVector a0 = FloatVector.fromArray(F, o, rb * dp + x), a1 = FloatVector.fromArray(F, o, (rb + 1) * dp + x);
                FloatVector a2 = FloatVector.fromArray(F, o, (rb + 2) * dp + x), a3 = FloatVector.fromArray(F, o, (rb + 3) * dp + x);
                FloatVector b0 = FloatVector.fromArray(F, o, rb * dp + y), b1 = FloatVector.fromArray(F, o, (rb + 1) * dp + y);
                FloatVector b2 = FloatVector.fromArray(F, o, (rb + 2) * dp + y), b3 = FloatVector.fromArray(F, o, (rb + 3) * dp + y);
                int baseX = ((tile0 + t) * slices + xs) * TILE * LANES, baseY = baseX + TILE * LANES, j0 = col0 + t * TILE;
                for (int j = 0; j < TILE; j++) {
                    FloatVector w = FloatVector.broadcast(F, scales[sc + j]);
                    FloatVector vx = widen(v, baseX + j * LANES).mul(w);
                    FloatVector vy = widen(v, baseY + j * LANES).mul(w);
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
}
