package dev.attend.attention.linear;

import dev.attend.simd.Gemm;
import dev.attend.simd.MatMul;
import dev.attend.simd.VMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The one kernel of linear attention, causal and not: the running state {@code S = sum_j phi(k_j) v_j^T}
 * ({@code m x D}) and {@code z = sum_j phi(k_j)} ({@code m}), fed and read one chunk of {@code C} rows at a time.
 * Every product is a GEMM ({@link MatMul#gemmSerial}, packed and blocked), so the kernel runs at the GEMM's share of
 * the FMA peak rather than at a loop's:
 * <pre>  causal chunk c (rows i in [c0, c0 + t)):
 *    num_i = phi(q_i) S_{c-1}  +  sum_{c0 <= j <= i} (phi(q_i) . phi(k_j)) v_j     GEMM, masked GEMM (A = Q K^T, t x t)
 *    den_i = phi(q_i) . z_{c-1} +  sum_{c0 <= j <= i}  phi(q_i) . phi(k_j)
 *    S_c = S_{c-1} + phi(K_c)^T V_c,   z_c = z_{c-1} + sum_j phi(k_j)                GEMM</pre>
 * Within a chunk the pairs (i, j > i) are zeroed and the masked product is one GEMM; when the chunk holds a
 * non-finite value (where {@code 0 * NaN} would leak) the rows are taken in blocks of six instead, the keys before a
 * block by one GEMM and the block's own triangle by a loop, so a key after i cannot reach row i.
 * FLOPs per token: {@code 4 m D} (state) + {@code 2 C m} (the chunk's scores) + {@code C D} (its triangle); the
 * chunk trades the per-token state update of the recurrence for GEMM-shaped work.
 *
 * <p>Key log scales (Performer): the state is held relative to {@code exp(logMax)}, the largest key log scale seen
 * so far (NaN ignored); a chunk with a larger one rescales the state first, so every key a row sees shares one
 * scale and the ratio is exact. The maximum is per chunk: a row's scale may include later keys of its chunk, which
 * changes its output only by rounding.
 *
 * <p>One instance is one worker's workspace for one (batch, head): not thread-safe, allocation only at construction.
 */
final class LinearKernel {
    private static final VectorSpecies<Float> F = Gemm.F;
    private static final int ROWS = 6;

    final int chunk, mp, dvp, tp;
    /** Chunk inputs the caller fills: features of queries and keys ({@code t x mp}), key log scales, values ({@code t x dvp}). */
    final float[] phiQ, phiK, keyLog, v;
    /** Chunk outputs: numerators ({@code t x dvp}) and denominators ({@code t}). */
    final float[] num, den;
    private final float[] s, z, a;
    private float logMax = Float.NEGATIVE_INFINITY;
    private double flops;

    LinearKernel(int chunk, int mp, int dv) {
        this.chunk = chunk;
        this.mp = mp;
        this.dvp = Gemm.pad(dv);
        this.tp = Gemm.pad(chunk);
        phiQ = new float[chunk * mp];
        phiK = new float[chunk * mp];
        keyLog = new float[chunk];
        v = new float[chunk * dvp];
        num = new float[chunk * dvp];
        den = new float[chunk];
        s = new float[mp * dvp];
        z = new float[mp];
        a = new float[chunk * tp];
    }

    /** FLOPs done since construction. */
    double flops() {
        return flops;
    }

    /** Scales the chunk's keys (and the state, if needed) to one common scale; a no-op for maps without scales. */
    void stabilise(int t, boolean scaled) {
        if (!scaled) return;
        float max = logMax;
        for (int j = 0; j < t; j++) if (keyLog[j] > max) max = keyLog[j];   // NaN compares false: ignored
        if (max > logMax && logMax != Float.NEGATIVE_INFINITY) {
            float f = (float) Math.exp(logMax - max);
            for (int x = 0; x < s.length; x++) s[x] *= f;
            for (int x = 0; x < mp; x++) z[x] *= f;
        }
        logMax = max;
        for (int j = 0; j < t; j++) {
            float f = (float) Math.exp(keyLog[j] - max);
            for (int x = 0; x < mp; x++) phiK[j * mp + x] *= f;
        }
    }

    /** Causal: num and den of the chunk's t rows against the state and the chunk's own earlier keys, then the chunk joins the state. */
    void causalChunk(int t) {
        readState(t);
        MatMul.gemmSerial(false, true, t, t, mp, 1f, phiQ, 0, mp, phiK, 0, mp, 0f, a, 0, tp);
        if (VMath.allFinite(v, 0, t * dvp)) {
            // Finite values: zero the pairs above the diagonal and take the whole masked product as one GEMM
            // (0 * v is exactly 0, so the result is the one the careful path below gives, up to the order of the sums).
            for (int i = 0; i < t; i++) {
                Arrays.fill(a, i * tp + i + 1, i * tp + tp, 0f);
                float sum = 0f;
                for (int j = 0; j <= i; j++) sum += a[i * tp + j];
                den[i] += sum;
            }
            MatMul.gemmSerial(false, false, t, dvp, t, 1f, a, 0, tp, v, 0, dvp, 1f, num, 0, dvp);
            flops += 2.0 * t * tp * mp + 2.0 * t * t * dvp + (double) t * t;
            addKeys(t);
            return;
        }
        for (int r0 = 0; r0 < t; r0 += ROWS) {
            int r1 = Math.min(t, r0 + ROWS);
            if (r0 > 0) MatMul.gemmSerial(false, false, r1 - r0, dvp, r0, 1f, a, r0 * tp, tp, v, 0, dvp, 1f, num, r0 * dvp, dvp);
            for (int i = r0; i < r1; i++) {
                for (int j = r0; j <= i; j++) axpy(a[i * tp + j], v, j * dvp, num, i * dvp, dvp);
                float sum = 0f;
                for (int j = 0; j <= i; j++) sum += a[i * tp + j];
                den[i] += sum;
            }
        }
        flops += 2.0 * t * tp * mp + (double) t * t * dvp + (double) t * t;
        addKeys(t);
    }

    /** The chunk's t keys join the state: {@code S += phi(K)^T V}, {@code z += sum phi(K)}. */
    void addKeys(int t) {
        MatMul.gemmSerial(true, false, mp, dvp, t, 1f, phiK, 0, mp, v, 0, dvp, 1f, s, 0, dvp);
        for (int j = 0; j < t; j++) axpy(1f, phiK, j * mp, z, 0, mp);
        flops += 2.0 * mp * dvp * t + (double) mp * t;
    }

    /** num and den of t query rows against the state alone (the non-causal read, and the first half of a causal chunk). */
    void readState(int t) {
        MatMul.gemmSerial(false, false, t, dvp, mp, 1f, phiQ, 0, mp, s, 0, dvp, 0f, num, 0, dvp);
        for (int i = 0; i < t; i++) den[i] = dot(phiQ, i * mp, z, 0, mp);
        flops += 2.0 * t * mp * dvp + 2.0 * t * mp;
    }

    /** Output row i: {@code num_i / den_i}, 0 where the denominator is not positive, the denominator floored at {@code floor}. */
    void output(int i, int d, float floor, float[] out) {
        float inv = den[i] > 0f ? 1f / Math.max(den[i], floor) : 0f;
        for (int x = 0; x < d; x++) out[x] = num[i * dvp + x] * inv;
    }

    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(F, alpha);
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xo + i).fma(va, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    static float dot(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, x, xo + i).fma(FloatVector.fromArray(F, y, yo + i), acc);
        }
        float sum = dev.attend.simd.VMath.sumLanes(acc);
        for (; i < n; i++) sum += x[xo + i] * y[yo + i];
        return sum;
    }
}
