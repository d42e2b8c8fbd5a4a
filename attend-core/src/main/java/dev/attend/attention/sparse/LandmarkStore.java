package dev.attend.attention.sparse;

import dev.attend.simd.Gemm;
import dev.attend.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

import java.util.Arrays;

/**
 * The keys and values of one (batch, kv head) as {@link LandmarkAttention} reads them: keys transposed
 * ({@code kt[x * capacity + t]}, so the scores of a run of keys are vector FMAs along t), values row-major, and per
 * block the running sum of its keys, from which the landmark keys (block means) are derived. Filled from a problem's
 * k and v ({@link #of}) or token by token ({@link #append}, for {@link LandmarkCache}); both sum a block's keys in
 * token order, so a cache and a whole-sequence forward see bit-identical landmarks. Grows by doubling.
 */
final class LandmarkStore {
    final int d, block;
    int n, blocks, capacity;
    float[] kt, v, sums;
    /** Landmark keys {@code [blocks][d]}: valid after {@link #refresh()}. */
    float[] landmarks;
    private int refreshedAt = -1;

    LandmarkStore(int d, int block, int capacity) {
        this.d = d;
        this.block = block;
        this.capacity = Math.max(1, capacity);
        kt = new float[d * this.capacity];
        v = new float[this.capacity * d];
        sums = new float[blocksFor(this.capacity) * d];
        landmarks = new float[0];
    }

    private int blocksFor(int tokens) {
        return (int) ((tokens + (long) block - 1) / block);
    }

    /** The keys and values of (b, hk) of {@code k, v [B, Hkv, L, D]}, landmarks ready. */
    static LandmarkStore of(Tensor k, Tensor v, int b, int hk, int block) {
        int l = (int) k.dim(2), d = (int) k.dim(3);
        LandmarkStore s = new LandmarkStore(d, block, l);
        float[] kr = new float[d], vr = new float[d];
        long base = ((long) b * k.dim(1) + hk) * l;
        for (int t = 0; t < l; t++) {
            k.readRow(base + t, kr, 0);
            v.readRow(base + t, vr, 0);
            s.append(kr, vr);
        }
        s.refresh();
        return s;
    }

    /** Appends one token's key and value rows. */
    void append(float[] key, float[] value) {
        if (n == capacity) grow((int) Math.min(Integer.MAX_VALUE - 64L, Math.max(2L * capacity, capacity + 1L)));
        for (int x = 0; x < d; x++) kt[x * capacity + n] = key[x];
        System.arraycopy(value, 0, v, n * d, d);
        int j = n / block;
        for (int x = 0; x < d; x++) sums[j * d + x] += key[x];
        n++;
        blocks = blocksFor(n);
    }

    private void grow(int cap) {
        float[] nkt = new float[d * cap];
        for (int x = 0; x < d; x++) System.arraycopy(kt, x * capacity, nkt, x * cap, n);
        kt = nkt;
        v = Arrays.copyOf(v, cap * d);
        sums = Arrays.copyOf(sums, blocksFor(cap) * d);
        capacity = cap;
    }

    /** Recomputes the landmark keys of blocks whose sums changed since the last call (the last block, usually). */
    void refresh() {
        if (landmarks.length < blocks * d) landmarks = Arrays.copyOf(landmarks, Math.max(blocks * d, 2 * landmarks.length));
        int from = refreshedAt < 0 ? 0 : Math.min(refreshedAt / block, blocks);
        for (int j = from; j < blocks; j++) {
            float len = length(j);
            for (int x = 0; x < d; x++) landmarks[j * d + x] = sums[j * d + x] / len;
        }
        refreshedAt = n;
    }

    /** Tokens in block j (the last block may be short). */
    int length(int j) {
        return Math.min(block, n - j * block);
    }

    /** {@code ln |j|}: the landmark logit's correction for a block of |j| tokens (see {@link LandmarkAttention}). */
    float logLength(int j) {
        return (float) Math.log(length(j));
    }

    /** {@code out[i] = q[qOff..] . k_{t0 + i}} for {@code i < len}: vector FMAs along the keys, one dimension at a time. */
    void scores(float[] q, int qOff, int t0, int len, float[] out) {
        Arrays.fill(out, 0, len, 0f);
        int vec = len - len % Gemm.LANES;
        for (int x = 0; x < d; x++) {
            float qx = q[qOff + x];
            int row = x * capacity + t0;
            FloatVector qv = FloatVector.broadcast(Gemm.F, qx);
            for (int i = 0; i < vec; i += Gemm.LANES) {
                FloatVector.fromArray(Gemm.F, kt, row + i).fma(qv, FloatVector.fromArray(Gemm.F, out, i)).intoArray(out, i);
            }
            for (int i = vec; i < len; i++) out[i] = Math.fma(kt[row + i], qx, out[i]);
        }
    }

    /** {@code acc += w * v_t}. */
    void addValue(int t, float w, float[] acc) {
        int vec = d - d % Gemm.LANES, off = t * d;
        FloatVector wv = FloatVector.broadcast(Gemm.F, w);
        for (int x = 0; x < vec; x += Gemm.LANES) {
            FloatVector.fromArray(Gemm.F, v, off + x).fma(wv, FloatVector.fromArray(Gemm.F, acc, x)).intoArray(acc, x);
        }
        for (int x = vec; x < d; x++) acc[x] = Math.fma(v[off + x], w, acc[x]);
    }

    float key(int t, int x) {
        return kt[x * capacity + t];
    }

    float value(int t, int x) {
        return v[t * d + x];
    }

    float landmark(int j, int x) {
        return landmarks[j * d + x];
    }

    /** {@code q . k_t} in fp64. */
    double dot(float[] q, int t) {
        double z = 0;
        for (int x = 0; x < d; x++) z += (double) q[x] * kt[x * capacity + t];
        return z;
    }

    /** {@code q . mean(K_j)} in fp64. */
    double landmarkDot(float[] q, int j) {
        double z = 0;
        for (int x = 0; x < d; x++) z += (double) q[x] * landmarks[j * d + x];
        return z;
    }
}
