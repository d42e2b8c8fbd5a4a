package dev.attend.attention.linear;

import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.attention.Pattern;
import dev.attend.attention.RecurrentMechanism;
import dev.attend.attention.RecurrentState;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

import java.util.Arrays;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * Kernel (linear) attention on a {@link FeatureMap}: {@code out_i = sum_j w_ij v_j / sum_j w_ij} with
 * {@code w_ij = phi(q_i) . phi(k_j)} over the keys row i sees, computed by {@link LinearKernel} in
 * {@code O(L m D)}. Performer, cosFormer, elu+1 and Taylor are this class with their own map.
 *
 * <p>Shapes {@code q [B, Hq, Lq, D]}, {@code k, v [B, Hkv, Lk, D]} (GQA: the q heads of a group read the same
 * keys). Masks: {@code full} (self or cross: one pass over the keys builds the state, one over the queries reads it),
 * {@code padding} (the same over each batch entry's valid keys only: a text classifier's padded batch; a row with
 * none gives 0) and {@code causal} / {@code causal-br} at {@code Lq == Lk} (chunked prefix sums). No log-sum-exp: results are
 * {@link AttentionResult#withoutLse}. Cost per (b, q head): {@code 4 L m D} FLOPs plus, causal, {@code L C (2m + D)}
 * for the chunks; memory a few chunk buffers and the {@code m x D} state per worker.
 *
 * <p><b>Backward</b> ({@link #computeBackward}): with {@code g_i = dO_i / Z_i} and {@code h_i = -(dO_i . out_i) / Z_i},
 * {@code dphi(q_i) = S_i g_i + h_i z_i}, {@code dphi(k_j) = G_j v_j + H_j}, {@code dv_j = G_j^T phi(k_j)}, where
 * {@code S_i, z_i} are the prefix state (the whole state when not causal) and {@code G_j = sum_{i >= j} phi(q_i) g_i^T},
 * {@code H_j = sum_{i >= j} h_i phi(q_i)} the suffix ones: {@code O(L m D)} in chunks of GEMMs ({@link LinearBackward}),
 * then through the map's Jacobian ({@link FeatureMap#backward}). Keys share one log scale there (the largest), which
 * the output does not depend on.
 *
 * <p><b>Decoding</b>: {@link #newState} is the recurrence, {@code m (D + 1)} floats per head.
 */
public abstract class KernelAttention extends AttentionMechanism implements RecurrentMechanism {
    private final int chunk;

    protected KernelAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.chunk = p.getInt("chunk");
    }

    /** The builder every kernel mechanism starts from: its patterns, masks, the chunk parameter, a backward pass. */
    static MechanismDescriptor.Builder builder(String name, MechanismDescriptor.Factory factory) {
        return MechanismDescriptor.builder(name, factory)
                .param(Param.ofInt("chunk", 64, 1, 4096, "rows per chunk of the causal prefix sums (a masked chunk x chunk GEMM inside, the state across)"))
                .patterns(Pattern.NONCAUSAL_SELF, Pattern.CAUSAL_SELF, Pattern.NONCAUSAL_CROSS)
                .masks(MaskSupport.listed("full", "causal", "causal-br", "padding"))
                .backward(true)
                .recurrent();
    }

    /** The map for head dimension {@code d}, the problem's {@code scale}, and positions below {@code horizon} (for position-aware maps). */
    abstract FeatureMap featureMap(int d, float scale, int horizon);

    /** The smallest denominator used (cosFormer's ReLU features can all be 0); 0: none. */
    float denominatorFloor() {
        return 0f;
    }

    /** The horizon a problem's positions need: the longer length (cosFormer overrides it with a fixed one when set). */
    int horizon(AttentionProblem p) {
        return Math.max(p.lq(), p.lk());
    }

    static boolean causal(AttentionProblem p) {
        String kind = p.mask().kind().orElse("");
        return kind.equals("causal") || kind.equals("causal-br");
    }

    /**
     * The keys each batch entry sees: all of them, or with a padding mask its valid prefix (the keys after it are never
     * read, so a non-finite value there cannot reach a result); causal masks read every key.
     */
    static int[] validKeys(AttentionProblem p) {
        int[] valid = new int[p.batch()];
        for (int b = 0; b < valid.length; b++) valid[b] = causal(p) ? p.lk() : p.validKeys(b);
        return valid;
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), lq = p.lq(), lk = p.lk(), d = p.headDim(), per = hq / hkv;
        FeatureMap map = featureMap(d, p.scale(), horizon(p));
        boolean causal = causal(p);
        float floor = denominatorFloor();
        Tensor out = Tensor.zeros(b, hq, lq, d);
        DoubleAdder flops = new DoubleAdder();
        int[] keys = validKeys(p);
        Parallel.forEach(b * hq, (bh, worker) -> {
            int kvRow = bh / hq * hkv + bh % hq / per, valid = keys[bh / hq];
            LinearKernel kern = new LinearKernel(chunk, map.stride(), d);
            float[] x = new float[chunk * d], row = new float[d];
            if (!causal) {
                for (int c0 = 0; c0 < valid; c0 += chunk) {
                    int t = Math.min(chunk, valid - c0);
                    loadKeys(p, map, kern, kvRow, c0, t, x);
                    kern.stabilise(t, map.scaled());
                    kern.addKeys(t);
                }
            }
            for (int c0 = 0; c0 < lq; c0 += chunk) {
                int t = Math.min(chunk, lq - c0);
                readRows(p.q(), (long) bh * lq + c0, t, d, x);
                map.map(FeatureMap.Side.QUERY, x, t, d, c0, kern.phiQ, null);
                if (causal) {
                    loadKeys(p, map, kern, kvRow, c0, t, x);
                    kern.stabilise(t, map.scaled());
                    kern.causalChunk(t);
                } else {
                    kern.readState(t);
                }
                for (int i = 0; i < t; i++) {
                    kern.output(i, d, floor, row);
                    out.writeRow((long) bh * lq + c0 + i, row, 0);
                }
            }
            flops.add(kern.flops() + map.flopsPerRow(d) * ((double) lq + valid));
        });
        return AttentionResult.withoutLse(out, new AttentionResult.Stats((long) b * hq * ((lq + chunk - 1) / chunk), 0, 0, flops.sum(), 0));
    }

    private static void loadKeys(AttentionProblem p, FeatureMap map, LinearKernel kern, int kvRow, int c0, int t, float[] x) {
        int d = p.headDim(), lk = p.lk();
        readRows(p.k(), (long) kvRow * lk + c0, t, d, x);
        map.map(FeatureMap.Side.KEY, x, t, d, c0, kern.phiK, kern.keyLog);
        for (int j = 0; j < t; j++) p.v().readRow((long) kvRow * lk + c0 + j, kern.v, j * kern.dvp);
    }

    static void readRows(Tensor t, long first, int rows, int d, float[] x) {
        for (int r = 0; r < rows; r++) t.readRow(first + r, x, r * d);
    }

    // ---------------------------------------------------------------- backward

    @Override
    protected Gradients computeBackward(AttentionProblem p, AttentionResult forward, Tensor dOut) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), lq = p.lq(), lk = p.lk(), d = p.headDim(), per = hq / hkv;
        FeatureMap map = featureMap(d, p.scale(), horizon(p));
        boolean causal = causal(p);
        Tensor dq = Tensor.zeros(b, hq, lq, d), dk = Tensor.zeros(b, hkv, lk, d), dv = Tensor.zeros(b, hkv, lk, d);
        // One task per key/value head: its query heads' contributions to dk and dv add up in the task's own buffers.
        int[] keys = validKeys(p);
        Parallel.forEach(b * hkv, (bk, worker) -> {
            LinearBackward work = new LinearBackward(map, chunk, d, denominatorFloor());
            long kBase = (long) bk * lk;
            long[] qBases = new long[per];
            for (int h = 0; h < per; h++) qBases[h] = (long) (bk / hkv * hq + bk % hkv * per + h) * lq;
            float[] gk = new float[lk * d], gv = new float[lk * d];
            int valid = keys[bk / hkv];   // padding keys: never read, their gradients 0
            work.keyScale(p.k(), kBase, valid);
            if (causal) {
                for (long qBase : qBases) work.causal(p.q(), p.k(), p.v(), dOut, qBase, kBase, lk, dq, gk, gv);
            } else {
                work.full(p.q(), p.k(), p.v(), dOut, qBases, lq, kBase, valid, dq, gk, gv);
            }
            for (int j = 0; j < lk; j++) {
                dk.writeRow(kBase + j, gk, j * d);
                dv.writeRow(kBase + j, gv, j * d);
            }
        });
        return new Gradients(dq, dk, dv);
    }

    // ---------------------------------------------------------------- decoding

    /**
     * The recurrence for one head of dimension {@code d} at {@code scale}: {@code S += phi(k) v^T}, {@code z += phi(k)},
     * {@code out = phi(q) S / phi(q) . z}, with the running key scale of {@link LinearKernel}. Equals the parallel
     * causal form within rounding (it stabilises per token, the parallel form per chunk).
     *
     * @param horizon positions the state will see (only position-aware maps use it: cosFormer)
     */
    @Override
    public RecurrentState newState(int d, float scale, int horizon) {
        if (d < 1 || d > AttentionProblem.MAX_HEAD_DIM) {
            throw new IllegalArgumentException("d: expected a head dimension in [1, " + AttentionProblem.MAX_HEAD_DIM + "], got " + d);
        }
        if (horizon < 1) throw new IllegalArgumentException("horizon: expected at least 1 position, got " + horizon);
        FeatureMap map = featureMap(d, scale, horizon);
        float floor = denominatorFloor();
        return new RecurrentState() {
            final int mp = map.stride();
            final float[] s = new float[mp * d], z = new float[mp], phi = new float[mp], log = new float[1];
            float logMax = Float.NEGATIVE_INFINITY;
            long tokens;

            @Override
            public void step(float[] q, float[] k, float[] v, float[] out) {
                if (tokens >= horizon) {
                    throw new IllegalStateException("state: its horizon of " + horizon + " positions is full");
                }
                int pos = (int) tokens++;
                map.map(FeatureMap.Side.KEY, k, 1, d, pos, phi, log);
                float w = 1f;
                if (map.scaled()) {
                    if (log[0] > logMax) {
                        if (logMax != Float.NEGATIVE_INFINITY) {
                            float f = (float) Math.exp(logMax - log[0]);
                            for (int x = 0; x < s.length; x++) s[x] *= f;
                            for (int x = 0; x < mp; x++) z[x] *= f;
                        }
                        logMax = log[0];
                    }
                    w = (float) Math.exp(log[0] - logMax);
                }
                for (int f = 0; f < mp; f++) {
                    float pk = phi[f] * w;
                    z[f] += pk;
                    LinearKernel.axpy(pk, v, 0, s, f * d, d);
                }
                map.map(FeatureMap.Side.QUERY, q, 1, d, pos, phi, null);
                Arrays.fill(out, 0, d, 0f);
                float den = 0f;
                for (int f = 0; f < mp; f++) {
                    den += phi[f] * z[f];
                    LinearKernel.axpy(phi[f], s, f * d, out, 0, d);
                }
                float inv = den > 0f ? 1f / Math.max(den, floor) : 0f;
                for (int x = 0; x < d; x++) out[x] *= inv;
            }

            @Override
            public long tokens() {
                return tokens;
            }

            @Override
            public long stateFloats() {
                return (long) mp * d + mp + 1;
            }
        };
    }
}
