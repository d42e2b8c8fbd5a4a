package dev.attend.attention.decode;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import static dev.attend.attention.decode.Decode.CHUNK;
import static dev.attend.attention.decode.KvCache.TILE;
import static dev.attend.simd.Gemm.F;
import static dev.attend.simd.Gemm.LANES;

/**
 * Decode kernels for a BF16 cache: the F32 kernels' loops with each vector widened in registers (a BF16 value
 * is the high half of a float), so the cache is read at 2 bytes per element. Half the bytes of F32, the same
 * arithmetic: bounded by FMAs rather than memory on a machine with fast memory. {@link F16Kernel} is the same
 * loops with F16's widening: one class per format, because a widening shared through a branch or a virtual call
 * was compiled apart from the loops and returned boxed vectors (BF16 decode ran 4 to 10 times slower).
 */
final class Bf16Kernel extends DecodeKernel {
    private static final VectorSpecies<Short> HALF = VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * 16));
    private static final VectorSpecies<Integer> INT = VectorSpecies.of(int.class, F.vectorShape());
    private final HalfStorage store;

    Bf16Kernel(HalfStorage store) {
        super(store.headDim);
        this.store = store;
    }

    @Override
    void scores(int bh, int tile0, int tiles, float[] q, int paddedRows, float[] s, int col0) {
        short[] k = store.keys[bh];
        for (int t = 0; t < tiles; t++) {
            for (int rb = 0; rb < paddedRows; rb += 4) tile(k, q, s, (tile0 + t) * d * TILE, rb, col0 + t * TILE);
        }
    }

    @Override
    void values(int bh, int tile0, int tiles, float[] s, int col0, int paddedRows, float[] o) {
        short[] v = store.values[bh];
        for (int t = 0; t < tiles; t++) {
            for (int rb = 0; rb < paddedRows; rb += 4) tile(v, s, (tile0 + t) * dp * TILE, rb, col0 + t * TILE, o);
        }
    }

    /**
     * Scores of one key tile (dimension-major at {@code base}) for query rows rb..rb+3:
     * {@code s[r][col..col+TILE) = q_r . k}. Two accumulators per row (even and odd dimensions) keep eight
     * FMA chains, and so enough loads, in flight.
     */
    private void tile(short[] k, float[] q, float[] s, int base, int rb, int col) {
        int q0 = rb * d, q1 = q0 + d, q2 = q1 + d, q3 = q2 + d;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int x = 0;
        for (; x + 1 < d; x += 2) {
            FloatVector k0 = widen(k, base + x * TILE);
            FloatVector k1 = widen(k, base + (x + 1) * TILE);
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
            FloatVector k0 = widen(k, base + x * TILE);
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

    /**
     * Outputs of one value tile (sliced by vectors at {@code base}) for query rows rb..rb+3:
     * {@code o[r][x..x+LANES) += sum_j p[r][j0 + j] v_j[x..x+LANES)}, slice after slice, so the tile is
     * read front to back. Even and odd tokens feed separate accumulators (eight chains).
     */
    private void tile(short[] v, float[] s, int base, int rb, int j0, float[] o) {
        int p0 = rb * CHUNK + j0, p1 = p0 + CHUNK, p2 = p1 + CHUNK, p3 = p2 + CHUNK;
        for (int x = 0; x < dp; x += LANES) {
            FloatVector a0 = FloatVector.fromArray(F, o, rb * dp + x), a1 = FloatVector.fromArray(F, o, (rb + 1) * dp + x);
            FloatVector a2 = FloatVector.fromArray(F, o, (rb + 2) * dp + x), a3 = FloatVector.fromArray(F, o, (rb + 3) * dp + x);
            FloatVector b0 = FloatVector.zero(F), b1 = b0, b2 = b0, b3 = b0;
            int at = base + x * TILE;
            for (int j = 0; j < TILE; j += 2) {
                FloatVector v0 = widen(v, at + j * LANES);
                FloatVector v1 = widen(v, at + (j + 1) * LANES);
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

    /** BF16 to F32: the high half of a float. Small enough that C2 always inlines it (no boxed vector). */
    private static FloatVector widen(short[] a, int at) {
        return ((IntVector) ShortVector.fromArray(HALF, a, at).convertShape(VectorOperators.S2I, INT, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
