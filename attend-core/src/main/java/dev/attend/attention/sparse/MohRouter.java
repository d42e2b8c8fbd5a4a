package dev.attend.attention.sparse;

import dev.attend.tensor.Tensor;

import java.util.Arrays;

/**
 * Mixture-of-Head routing (Jin et al. 2024, MoH) for one attention layer, computed from the queries alone: which
 * (token, head) pairs are active and with which weight, and the load-balance loss a training layer adds to its
 * objective (weighted by {@link #LOAD_BALANCE_WEIGHT}).
 *
 * <p>Heads {@code 0 .. shared-1} are shared (always on), the other {@code R = Hq - shared} are routed. Per token
 * {@code t = (b, i)} with router logits {@code z_h}:
 * <ul>
 *   <li>routed probabilities {@code p = softmax_R(z)}; the {@code topK} largest (ties: lower head first) are active with
 *   gate {@code topK * p_h / sum_{top-k} p} (renormalised, times k);</li>
 *   <li>shared gates {@code shared * softmax_S(z)_h};</li>
 *   <li>the two groups are weighted by {@code [a1, a2] = G * softmax(mean_S z, mean_R z)} over the G groups with an
 *   active head (2 normally; a group with none is left out and the other gets weight 1);</li>
 *   <li>load balance {@code L = sum_{h in R} f_h P_h} with {@code f_h} the fraction of tokens routed to h and {@code P_h}
 *   the mean of {@code p_h} over tokens (the batch's tokens together).</li>
 * </ul>
 * Router logits: {@link Kind#NORM} is MoH-LLaMA3's parameter-free router, {@code z_h = ||q_h||} (the query row's L2 norm:
 * heads whose query is large for this token are the ones it uses); {@link Kind#UNIFORM} is {@code z = 0}, under which every
 * gate is exactly 1 when every head is active (standard multi-head attention). A learned router ({@code W_r x}, {@code W_s x},
 * {@code W_h x}) belongs to the layer that owns x: it passes its own gates to {@link MohAttention#forward(dev.attend.attention.AttentionProblem, float[])}.
 * Cost O(B Lq Hq (D + log Hq)).
 */
public final class MohRouter {
    /** MoH's weight of the load-balance loss in the training objective. */
    public static final double LOAD_BALANCE_WEIGHT = 0.01;

    /** Where the router logits come from. */
    public enum Kind { NORM, UNIFORM }

    /**
     * The routing of one layer. {@code gates[(b * Hq + h) * Lq + i]} is the weight of head h's output at token (b, i), 0 when
     * the pair is inactive; {@code groupWeights[(b * Lq + i) * 2 + g]} is {@code a1} (g = 0, shared) and {@code a2} (g = 1,
     * routed); {@code routedProbabilities[(b * Lq + i) * R + r]} is {@code p} of routed head {@code shared + r} before the top-k.
     */
    public record Routing(int batch, int heads, int lq, int shared, int topK, float[] gates, float[] groupWeights,
                          float[] routedProbabilities, double loadBalanceLoss) {
        /** Whether head h of token (b, i) is computed. */
        public boolean active(int b, int h, int i) {
            return gates[(b * heads + h) * lq + i] != 0f;
        }

        /** Active (token, head) pairs over all pairs. */
        public double activeFraction() {
            long n = 0;
            for (float g : gates) if (g != 0f) n++;
            return (double) n / gates.length;
        }

        /** The same activity with weight 1 on every active pair: head skipping without MoH's weighting. */
        public float[] binaryGates() {
            float[] g = new float[gates.length];
            for (int x = 0; x < g.length; x++) g[x] = gates[x] != 0f ? 1f : 0f;
            return g;
        }
    }

    private MohRouter() {}

    /** Routes {@code q [B, Hq, Lq, D]}: {@code shared} heads always on, {@code topK} of the others per token. */
    public static Routing route(Tensor q, int shared, int topK, Kind kind) {
        if (q == null || q.rank() != 4) throw new IllegalArgumentException("q: expected a tensor [B, Hq, Lq, D], got " + (q == null ? "null" : Arrays.toString(q.shape())));
        int batch = q.dimInt(0), heads = q.dimInt(1), lq = q.dimInt(2), d = q.dimInt(3), routed = heads - shared;
        if (shared < 0 || shared > heads) throw new IllegalArgumentException("shared: expected 0 to " + heads + " (the query heads), got " + shared);
        if (topK < 0 || topK > routed) throw new IllegalArgumentException("topK: expected 0 to " + routed + " (the routed heads), got " + topK);
        if (kind == null) throw new IllegalArgumentException("kind: expected NORM or UNIFORM, got null");
        float[] gates = new float[batch * heads * lq], group = new float[batch * lq * 2], probs = new float[batch * lq * routed];
        double[] f = new double[routed], pMean = new double[routed];
        float[] row = new float[d];
        double[] z = new double[heads], p = new double[routed];
        Integer[] order = new Integer[routed];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < lq; i++) {
                for (int h = 0; h < heads; h++) {
                    if (kind == Kind.UNIFORM) {
                        z[h] = 0;
                        continue;
                    }
                    q.readRow(((long) b * heads + h) * lq + i, row, 0);
                    double s = 0;
                    for (float x : row) s += (double) x * x;
                    z[h] = Math.sqrt(s);
                }
                int t = b * lq + i;
                softmax(z, shared, routed, p);
                for (int r = 0; r < routed; r++) {
                    probs[t * routed + r] = (float) p[r];
                    pMean[r] += p[r];
                    order[r] = r;
                }
                Arrays.sort(order, (x, y) -> p[y] != p[x] ? Double.compare(p[y], p[x]) : Integer.compare(x, y));
                double kept = 0;
                for (int r = 0; r < topK; r++) kept += p[order[r]];
                double[] s = new double[Math.max(1, shared)];
                softmax(z, 0, shared, s);
                double meanS = 0, meanR = 0;
                for (int h = 0; h < shared; h++) meanS += z[h] / shared;
                for (int r = 0; r < routed; r++) meanR += z[shared + r] / routed;
                double a1, a2;
                if (shared > 0 && topK > 0) {
                    double m = Math.max(meanS, meanR), e1 = Math.exp(meanS - m), e2 = Math.exp(meanR - m);
                    a1 = 2 * e1 / (e1 + e2);
                    a2 = 2 * e2 / (e1 + e2);
                } else {
                    a1 = shared > 0 ? 1 : 0;
                    a2 = topK > 0 ? 1 : 0;
                }
                group[t * 2] = (float) a1;
                group[t * 2 + 1] = (float) a2;
                // Shared heads are always on: a weight that underflowed to 0 keeps the smallest positive gate, as routed ones below.
                for (int h = 0; h < shared; h++) gates[(b * heads + h) * lq + i] = Math.max(Float.MIN_VALUE, (float) (a1 * shared * s[h]));
                for (int r = 0; r < topK; r++) {
                    int h = shared + order[r];
                    gates[(b * heads + h) * lq + i] = Math.max(Float.MIN_VALUE, (float) (a2 * topK * p[order[r]] / kept));
                    f[order[r]]++;
                }
            }
        }
        double tokens = (double) batch * lq, loss = 0;
        for (int r = 0; r < routed; r++) loss += (f[r] / tokens) * (pMean[r] / tokens);
        return new Routing(batch, heads, lq, shared, topK, gates, group, probs, loss);
    }

    /** {@code out[0..n) = softmax(z[from .. from+n))}, stable. */
    private static void softmax(double[] z, int from, int n, double[] out) {
        double m = Double.NEGATIVE_INFINITY, sum = 0;
        for (int x = 0; x < n; x++) m = Math.max(m, z[from + x]);
        for (int x = 0; x < n; x++) sum += out[x] = Math.exp(z[from + x] - m);
        for (int x = 0; x < n; x++) out[x] /= sum;
    }
}
