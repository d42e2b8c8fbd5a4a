package dev.attend.attention.linear;

import dev.attend.simd.MatMul;
import dev.attend.simd.VMath;
import dev.attend.tensor.Tensor;

import java.util.Arrays;

/**
 * The backward pass of kernel attention ({@link KernelAttention}), in chunks of {@code C} rows whose every product
 * is a GEMM ({@link MatMul}), as {@link LinearKernel} does the forward. With {@code out_i = num_i / den_i},
 * {@code g_i = dO_i / den_i} and {@code h_i = -(dO_i . out_i) / den_i}:
 * <pre>  dphi(q_i) = S_i g_i + h_i z_i                 S_i, z_i: the state of the keys row i sees
 *  dphi(k_j) = G_j v_j + H_j                     G_j = sum phi(q_i) g_i^T, H_j = sum h_i phi(q_i) over the rows that see j
 *  dv_j      = G_j^T phi(k_j)</pre>
 * Not causal: the whole state {@code S, z} once per key/value head; each query chunk gives its {@code dphi(q)} by
 * {@code g S^T + h z^T} and adds to {@code G, H} (summed over the heads of a GQA group, since the key side is linear
 * in them); one more pass over the keys gives {@code dphi(k) = V G^T + 1 H^T} and {@code dv = phi(K) G}.
 *
 * <p>Causal, per query head: a forward sweep over the chunks with the prefix state gives, for chunk c with
 * {@code A = tril(phi(Q_c) phi(K_c)^T)} and {@code M = tril(g_c V_c^T + h_c 1^T)} (pairs j <= i),
 * {@code dphi(Q_c) = g_c S^T + h_c z^T + M phi(K_c)}; a backward sweep with the suffix sums G, H of the later chunks
 * gives {@code dphi(K_c) = V_c G^T + 1 H^T + M^T phi(Q_c)} and {@code dV_c = phi(K_c) G + A^T g_c}. The map's
 * Jacobian ({@link FeatureMap#backward}) turns each chunk's {@code dphi} into {@code dq} or {@code dk} at once: it is
 * linear in {@code dphi}, so the heads of a group add up in {@code dk}. Cost about three times the forward's.
 *
 * <p>The pairs above the diagonal are set to 0 and each triangular product is one GEMM when its other operand is
 * finite; otherwise ({@code 0 * NaN} would leak) row by row over the visible pairs only. Keys share one log scale
 * (the largest of the head: {@link #keyScale}), which the output does not depend on. Denominators not above 0 give
 * rows of 0, as in the forward; a floored denominator is held constant.
 *
 * <p>One instance is one worker's workspace for one key/value head at a time: not thread-safe.
 */
final class LinearBackward {
    private final FeatureMap map;
    private final int chunk, d, mp;
    private final double floor;
    /** Raw rows and their features for one chunk; values, output gradients, g. */
    private final float[] qx, kx, phiQ, phiK, keyLog, v, dO, g, h, num, den;
    /** The state (prefix or whole) and the suffix sums. */
    private final float[] s, z, gs, hs;
    /** The chunk's t x t triangles, the feature gradients and the input gradients of one chunk. */
    private final float[] a, mm, dphi, dx;
    private float keyLogMax;

    LinearBackward(FeatureMap map, int chunk, int d, float floor) {
        this.map = map;
        this.chunk = chunk;
        this.d = d;
        this.mp = map.stride();
        this.floor = floor;
        qx = new float[chunk * d];
        kx = new float[chunk * d];
        phiQ = new float[chunk * mp];
        phiK = new float[chunk * mp];
        keyLog = new float[chunk];
        v = new float[chunk * d];
        dO = new float[chunk * d];
        g = new float[chunk * d];
        h = new float[chunk];
        num = new float[chunk * d];
        den = new float[chunk];
        s = new float[mp * d];
        z = new float[mp];
        gs = new float[mp * d];
        hs = new float[mp];
        a = new float[chunk * chunk];
        mm = new float[chunk * chunk];
        dphi = new float[chunk * mp];
        dx = new float[chunk * d];
    }

    /** The largest key log scale of the head's {@code lk} keys from row {@code base} of k (NaN ignored); 0 when the map has no scales. */
    void keyScale(Tensor k, long base, int lk) {
        keyLogMax = 0f;
        if (!map.scaled()) return;
        float max = Float.NEGATIVE_INFINITY;
        for (int c0 = 0; c0 < lk; c0 += chunk) {
            int t = Math.min(chunk, lk - c0);
            KernelAttention.readRows(k, base + c0, t, d, kx);
            map.map(FeatureMap.Side.KEY, kx, t, d, c0, phiK, keyLog);
            for (int j = 0; j < t; j++) if (keyLog[j] > max) max = keyLog[j];
        }
        keyLogMax = max == Float.NEGATIVE_INFINITY ? 0f : max;
    }

    /**
     * Not causal: the gradients of the query heads {@code qBases} (first rows in q and dOut) of one key/value head
     * (first row {@code kBase}); {@code dq} rows are written, {@code gk, gv} ({@code lk x d}) set.
     */
    void full(Tensor q, Tensor k, Tensor vt, Tensor dOut, long[] qBases, int lq, long kBase, int lk, Tensor dq, float[] gk, float[] gv) {
        Arrays.fill(s, 0f);
        Arrays.fill(z, 0f);
        for (int c0 = 0; c0 < lk; c0 += chunk) {
            int t = Math.min(chunk, lk - c0);
            loadKeys(k, vt, kBase, c0, t);
            addState(t);
        }
        Arrays.fill(gs, 0f);
        Arrays.fill(hs, 0f);
        for (long qBase : qBases) {
            for (int c0 = 0; c0 < lq; c0 += chunk) {
                int t = Math.min(chunk, lq - c0);
                loadQueries(q, dOut, qBase, c0, t);
                stateRead(t);
                rowGradients(t);
                queryGradients(t);
                map.backward(FeatureMap.Side.QUERY, qx, t, d, c0, phiQ, dphi, dx);
                for (int i = 0; i < t; i++) dq.writeRow(qBase + c0 + i, dx, i * d);
                addSuffix(t);
            }
        }
        for (int c0 = 0; c0 < lk; c0 += chunk) {
            int t = Math.min(chunk, lk - c0);
            loadKeys(k, vt, kBase, c0, t);
            keyGradients(t);
            map.backward(FeatureMap.Side.KEY, kx, t, d, c0, phiK, dphi, dx);
            System.arraycopy(dx, 0, gk, c0 * d, t * d);
            MatMul.gemmSerial(false, false, t, d, mp, 1f, phiK, 0, mp, gs, 0, d, 0f, gv, c0 * d, d);
        }
    }

    /**
     * Causal ({@code Lq == Lk == l}): one query head's gradients (first row {@code qBase}) against its key/value head
     * (first row {@code kBase}); {@code dq} rows are written, {@code dk, dv} added into {@code gk, gv}.
     */
    void causal(Tensor q, Tensor k, Tensor vt, Tensor dOut, long qBase, long kBase, int l, Tensor dq, float[] gk, float[] gv) {
        float[] gAll = new float[l * d], hAll = new float[l];
        Arrays.fill(s, 0f);
        Arrays.fill(z, 0f);
        for (int c0 = 0; c0 < l; c0 += chunk) {
            int t = Math.min(chunk, l - c0);
            loadQueries(q, dOut, qBase, c0, t);
            loadKeys(k, vt, kBase, c0, t);
            stateRead(t);
            scores(t);
            for (int i = 0; i < t; i++) {
                float sum = 0f;
                for (int j = 0; j <= i; j++) sum += a[i * t + j];
                den[i] += sum;
            }
            lower(false, t, d, a, v, d, num, 0, d);
            rowGradients(t);
            System.arraycopy(g, 0, gAll, c0 * d, t * d);
            System.arraycopy(h, 0, hAll, c0, t);
            valueScores(t);
            queryGradients(t);
            lower(false, t, mp, mm, phiK, mp, dphi, 0, mp);
            map.backward(FeatureMap.Side.QUERY, qx, t, d, c0, phiQ, dphi, dx);
            for (int i = 0; i < t; i++) dq.writeRow(qBase + c0 + i, dx, i * d);
            addState(t);
        }
        Arrays.fill(gs, 0f);
        Arrays.fill(hs, 0f);
        for (int c0 = (l - 1) / chunk * chunk; c0 >= 0; c0 -= chunk) {
            int t = Math.min(chunk, l - c0);
            loadQueries(q, dOut, qBase, c0, t);
            loadKeys(k, vt, kBase, c0, t);
            System.arraycopy(gAll, c0 * d, g, 0, t * d);
            System.arraycopy(hAll, c0, h, 0, t);
            scores(t);
            valueScores(t);
            keyGradients(t);
            lower(true, t, mp, mm, phiQ, mp, dphi, 0, mp);
            map.backward(FeatureMap.Side.KEY, kx, t, d, c0, phiK, dphi, dx);
            for (int x = 0; x < t * d; x++) gk[c0 * d + x] += dx[x];
            MatMul.gemmSerial(false, false, t, d, mp, 1f, phiK, 0, mp, gs, 0, d, 1f, gv, c0 * d, d);
            lower(true, t, d, a, g, d, gv, c0 * d, d);
            addSuffix(t);
        }
    }

    private void loadQueries(Tensor q, Tensor dOut, long base, int c0, int t) {
        KernelAttention.readRows(q, base + c0, t, d, qx);
        KernelAttention.readRows(dOut, base + c0, t, d, dO);
        map.map(FeatureMap.Side.QUERY, qx, t, d, c0, phiQ, null);
    }

    private void loadKeys(Tensor k, Tensor vt, long base, int c0, int t) {
        KernelAttention.readRows(k, base + c0, t, d, kx);
        KernelAttention.readRows(vt, base + c0, t, d, v);
        map.map(FeatureMap.Side.KEY, kx, t, d, c0, phiK, keyLog);
        if (!map.scaled()) return;
        for (int j = 0; j < t; j++) {
            float f = (float) Math.exp(keyLog[j] - keyLogMax);
            for (int x = 0; x < mp; x++) phiK[j * mp + x] *= f;
        }
    }

    /** {@code S += phi(K)^T V}, {@code z += sum phi(K)} for the chunk's t keys. */
    private void addState(int t) {
        MatMul.gemmSerial(true, false, mp, d, t, 1f, phiK, 0, mp, v, 0, d, 1f, s, 0, d);
        for (int j = 0; j < t; j++) LinearKernel.axpy(1f, phiK, j * mp, z, 0, mp);
    }

    /** {@code G += phi(Q)^T g}, {@code H += phi(Q)^T h} for the chunk's t queries. */
    private void addSuffix(int t) {
        MatMul.gemmSerial(true, false, mp, d, t, 1f, phiQ, 0, mp, g, 0, d, 1f, gs, 0, d);
        for (int i = 0; i < t; i++) LinearKernel.axpy(h[i], phiQ, i * mp, hs, 0, mp);
    }

    /** num and den of the chunk's t queries against the state alone. */
    private void stateRead(int t) {
        MatMul.gemmSerial(false, false, t, d, mp, 1f, phiQ, 0, mp, s, 0, d, 0f, num, 0, d);
        for (int i = 0; i < t; i++) den[i] = LinearKernel.dot(phiQ, i * mp, z, 0, mp);
    }

    /** {@code a = tril(phi(Q) phi(K)^T)}: pairs j > i set to 0. */
    private void scores(int t) {
        MatMul.gemmSerial(false, true, t, t, mp, 1f, phiQ, 0, mp, phiK, 0, mp, 0f, a, 0, t);
        for (int i = 0; i < t; i++) Arrays.fill(a, i * t + i + 1, i * t + t, 0f);
    }

    /** {@code mm = tril(g V^T + h 1^T)}: pairs j > i set to 0. */
    private void valueScores(int t) {
        MatMul.gemmSerial(false, true, t, t, d, 1f, g, 0, d, v, 0, d, 0f, mm, 0, t);
        for (int i = 0; i < t; i++) {
            for (int j = 0; j <= i; j++) mm[i * t + j] += h[i];
            Arrays.fill(mm, i * t + i + 1, i * t + t, 0f);
        }
    }

    /** g and h of the chunk's rows from num, den and dO (rows whose denominator is not positive: 0). */
    private void rowGradients(int t) {
        for (int i = 0; i < t; i++) {
            double dn = den[i];
            if (!(dn > 0)) {
                Arrays.fill(g, i * d, i * d + d, 0f);
                h[i] = 0f;
                continue;
            }
            dn = Math.max(dn, floor);
            double dot = 0;
            for (int x = 0; x < d; x++) {
                g[i * d + x] = (float) (dO[i * d + x] / dn);
                dot += dO[i * d + x] * (num[i * d + x] / dn);
            }
            h[i] = (float) (-dot / dn);
        }
    }

    /** {@code dphi = g S^T + h z^T} (causal: the prefix state; the chunk's own triangle is added by the caller). */
    private void queryGradients(int t) {
        MatMul.gemmSerial(false, true, t, mp, d, 1f, g, 0, d, s, 0, d, 0f, dphi, 0, mp);
        for (int i = 0; i < t; i++) LinearKernel.axpy(h[i], z, 0, dphi, i * mp, mp);
    }

    /** {@code dphi = V G^T + 1 H^T} (causal: the later chunks' sums; the chunk's own triangle is added by the caller). */
    private void keyGradients(int t) {
        MatMul.gemmSerial(false, true, t, mp, d, 1f, v, 0, d, gs, 0, d, 0f, dphi, 0, mp);
        for (int j = 0; j < t; j++) LinearKernel.axpy(1f, hs, 0, dphi, j * mp, mp);
    }

    /**
     * {@code out += tri x} ({@code transposed}: {@code tri^T x}) for a lower-triangular {@code t x t} {@code tri} and
     * {@code x} of t rows by {@code n}: one GEMM when x is finite (a hidden pair's 0 times x is then exactly 0), else
     * each row over its visible pairs only.
     */
    private static void lower(boolean transposed, int t, int n, float[] tri, float[] x, int ldx, float[] out, int outOff, int ldo) {
        if (VMath.allFinite(x, 0, (t - 1) * ldx + n)) {
            MatMul.gemmSerial(transposed, false, t, n, t, 1f, tri, 0, t, x, 0, ldx, 1f, out, outOff, ldo);
            return;
        }
        for (int r = 0; r < t; r++) {
            if (transposed) {
                // Row r of tri^T is column r of tri: rows i >= r.
                MatMul.gemmSerial(true, false, 1, n, t - r, 1f, tri, r * t + r, t, x, r * ldx, ldx, 1f, out, outOff + r * ldo, ldo);
            } else {
                MatMul.gemmSerial(false, false, 1, n, r + 1, 1f, tri, r * t, t, x, 0, ldx, 1f, out, outOff + r * ldo, ldo);
            }
        }
    }
}
