package dev.attend.attention.sparse;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.FlashAttention;
import dev.attend.attention.Gradients;
import dev.attend.attention.LseMerge;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.attention.Pattern;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.attention.mask.Slice;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * CCA-Attention (Chen et al., "Core Context Aware Transformers for Long Context Language Modeling"): causal
 * self attention in which the distant context is pooled into core tokens and the recent context stays raw.
 * Shapes: {@code q [B, Hq, L, D]}, {@code k, v [B, Hkv, L, D]} (GQA allowed); masks {@code causal} and
 * {@code causal-br} (the same at {@code Lq == Lk}); no score mods.
 *
 * <p><b>Globality-aware pooling.</b> Tokens are cut into groups of {@code g} from position 0; group j is
 * {@code [j g, (j + 1) g)}. Its core token, per (b, q head), is
 * <pre>  w = softmax(scale * q_{(j+1)g-1} . k_t, t in group j)      (the group's last query scores its keys)
 *  core key = sum_t w_t k_t,   core value = sum_t w_t v_t</pre>
 * with the problem's scale (the paper's {@code 1/sqrt(d)} at the default scale; a caller's temperature then applies
 * to the pooling too). Core tokens are per q head, because the pooling query is (under GQA a kv head has several).
 *
 * <p><b>Locality-preserved window and the joint softmax.</b> Query p (from 0) sees the core tokens of the
 * {@code c_p = max(0, floor((p + 1 - s) / g))} complete groups that end at least {@code s} tokens before it, and
 * the raw tokens {@code [c_p g, p]}: a window of {@code s + ((p + 1 - s) mod g)} tokens (the last s plus the
 * partial group; the paper's {@code s + ((i - s) mod g)} for 1-based i, and the reference kernel's window
 * {@code s + ((p + 1) mod g)} when {@code g} divides {@code s}). One softmax runs over [visible core tokens; window],
 * computed as two flash calls over slice masks (the window over the raw keys, the core prefix over the pooled keys)
 * merged exactly by {@link LseMerge}: the merge of disjoint key sets is the joint softmax. Row p reads nothing after
 * p (the pooling queries of visible groups are at most {@code p - s}), so the CAB prefix property holds exactly.
 * At {@code s >= L} no group is pooled and at {@code g = 1} every core token is its raw token: both are exact causal
 * attention.
 *
 * <p><b>Budget: {@code window}</b> (exact at {@code window >= L}). <b>Cost</b> per (b, q head): pooling
 * {@code O(L D)}; attention about {@code L (s + g/2) + L^2 / (2g)} pairs against {@code L^2 / 2} for exact causal,
 * so about 12.8x fewer at L = 128K, g = 16, s = 1024. Memory: core keys and values {@code [B, Hq, L/g, D]} and the
 * two flash results.
 *
 * <p><b>Backward</b> ({@link #computeBackward}): written by hand through the joint softmax, the core tokens and the
 * pooling weights (including the pooling queries' gradient). It is a plain per-row loop in double precision, cost
 * {@code O(L (L/g + s) D)} per head and no flash kernel: a reference-grade path for training experiments and tests.
 *
 * <p><b>Decoding</b> from the reduced cache (core tokens + the last {@code s + g - 1} raw tokens) is {@link CcaCache};
 * this class does not implement {@link dev.attend.attention.DecodingMechanism}, whose {@code newCache} must return a
 * {@link dev.attend.attention.decode.KvCache} (a final class that stores every appended token and cannot evict) and
 * whose {@code attend(q, cache)} is handed a cache the caller filled, so the mechanism never sees the query each
 * group's pooling needs when its last token arrives.
 */
public final class CcaAttention extends AttentionMechanism {
    public static final String NAME = "cca";

    public static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, CcaAttention::new)
            .summary("CCA-Attention: distant groups pooled into core tokens by their last query, a raw local window, one joint softmax (causal)")
            .param(Param.ofInt("group", 16, 1, 1 << 16, "tokens per pooled group (g); 1 is exact"))
            .param(Param.ofInt("window", 1024, 1, 1 << 30, "raw tokens each query sees besides its partial group (s; the budget: exact at s >= L)"))
            .patterns(Pattern.CAUSAL_SELF)
            .masks(MaskSupport.listed("causal", "causal-br"))
            .backward(true)
            .approximate("window", true)
            .build();

    private final int group, window;

    private CcaAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.group = p.getInt("group");
        this.window = p.getInt("window");
    }

    /** {@code c_p}: the complete groups query p sees as core tokens. */
    static int visibleGroups(int p, int g, int s) {
        long ahead = (long) p + 1 - s;
        return ahead <= 0 ? 0 : (int) (ahead / g);
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        int l = p.lq(), cores = visibleGroups(l - 1, group, window);
        FlashAttention flash = Attention.flash();
        AttentionResult local = flash.forward(new AttentionProblem(p.q(), p.k(), p.v(), localMask(), ScoreMod.NONE, p.scale()));
        if (cores == 0) return local;
        Tensor[] core = pool(p, cores);
        AttentionResult far = flash.forward(new AttentionProblem(p.q(), core[0], core[1], coreMask(), ScoreMod.NONE, p.scale()));
        return LseMerge.merge(local, far);
    }

    /** Row p sees raw keys {@code [c_p g, p]}: one bottom-right causal slice per run of rows with the same c_p. */
    private Mask localMask() {
        int g = group, s = window;
        return Mask.slices("cca-window:" + g + "," + s, (lq, lk) -> {
            List<Slice> out = new ArrayList<>();
            long first = Math.min(lq, (long) s - 1 + g);   // rows with c_p = 0 see [0, p]
            out.add(Slice.causal(0, (int) first, 0, (int) first));
            for (int c = 1; ; c++) {
                long r0 = (long) s - 1 + (long) c * g;
                if (r0 >= lq) break;
                int r1 = (int) Math.min(lq, r0 + g);
                out.add(Slice.causal((int) r0, r1, c * g, r1));
            }
            return out;
        });
    }

    /** Row p sees core tokens {@code [0, c_p)}: one full slice per run of rows with the same c_p. */
    private Mask coreMask() {
        int g = group, s = window;
        return Mask.slices("cca-core:" + g + "," + s, (lq, lk) -> {
            List<Slice> out = new ArrayList<>();
            for (int c = 1; c <= lk; c++) {
                long r0 = (long) s - 1 + (long) c * g;
                if (r0 >= lq) break;
                out.add(Slice.full((int) r0, (int) Math.min(lq, r0 + g), 0, c));
            }
            return out;
        });
    }

    /** Core keys and values {@code [B, Hq, cores, D]} of groups {@code 0 .. cores-1}; parallel over (b, h, chunk of groups). */
    private Tensor[] pool(AttentionProblem p, int cores) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), d = p.headDim(), l = p.lq(), g = group, per = hq / hkv;
        Tensor ck = Tensor.zeros(b, hq, cores, d), cv = Tensor.zeros(b, hq, cores, d);
        int chunk = 256, chunks = (cores + chunk - 1) / chunk;
        Parallel.forEach(b * hq * chunks, (item, worker) -> {
            int bh = item / chunks, from = item % chunks * chunk, to = Math.min(cores, from + chunk);
            int bi = bh / hq, h = bh % hq, kvRow = bi * hkv + h / per;
            float[] qLast = new float[d], keys = new float[g * d], vals = new float[g * d], w = new float[g];
            float[] kOut = new float[d], vOut = new float[d];
            for (int j = from; j < to; j++) {
                p.q().readRow((long) bh * l + (long) (j + 1) * g - 1, qLast, 0);
                for (int t = 0; t < g; t++) {
                    p.k().readRow((long) kvRow * l + (long) j * g + t, keys, t * d);
                    p.v().readRow((long) kvRow * l + (long) j * g + t, vals, t * d);
                }
                poolGroup(qLast, keys, vals, g, d, p.scale(), w, kOut, vOut);
                ck.writeRow((long) bh * cores + j, kOut, 0);
                cv.writeRow((long) bh * cores + j, vOut, 0);
            }
        });
        return new Tensor[] {ck, cv};
    }

    /**
     * One group's core token: {@code w = softmax(scale * qLast . keys_t)}, {@code kOut = sum w_t keys_t},
     * {@code vOut = sum w_t vals_t} ({@code keys}, {@code vals}: g rows of d). Shared by the forward pass and
     * {@link CcaCache}, so a decoded core token is bit-identical to the prefill's.
     */
    static void poolGroup(float[] qLast, float[] keys, float[] vals, int g, int d, float scale, float[] w, float[] kOut, float[] vOut) {
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < g; t++) {
            float s = 0;
            for (int x = 0; x < d; x++) s += qLast[x] * keys[t * d + x];
            w[t] = s * scale;
            max = Math.max(max, w[t]);
        }
        float sum = 0;
        for (int t = 0; t < g; t++) {
            w[t] = (float) Math.exp(w[t] - max);
            sum += w[t];
        }
        for (int t = 0; t < g; t++) w[t] /= sum;
        java.util.Arrays.fill(kOut, 0, d, 0f);
        java.util.Arrays.fill(vOut, 0, d, 0f);
        for (int t = 0; t < g; t++) {
            for (int x = 0; x < d; x++) {
                kOut[x] += w[t] * keys[t * d + x];
                vOut[x] += w[t] * vals[t * d + x];
            }
        }
    }

    // ---------------------------------------------------------------- the effective attention map

    /**
     * Row {@code i} of (b, q head h) of the attention map over the raw tokens, in double precision from the
     * definition: a window token gets its softmax weight, and core token j spreads its weight over group j by the
     * pooling weights. The output row is {@code sum_k map[k] v_k}; the map sums to 1 and is 0 after i. O((L/g + s) D g).
     */
    double[] attentionRow(AttentionProblem p, int b, int h, int i) {
        int l = p.lq(), d = p.headDim(), g = group, c = visibleGroups(i, g, window), kvRow = b * p.hkv() + h / (p.hq() / p.hkv());
        double scale = p.scale();
        double[] qi = row(p.q(), (long) (b * p.hq() + h) * l + i, d);
        int n = c + (i + 1 - c * g);
        double[] score = new double[n];
        double[][] poolW = new double[c][];
        for (int j = 0; j < c; j++) {
            double[] a = row(p.q(), (long) (b * p.hq() + h) * l + (long) (j + 1) * g - 1, d);
            double[] z = new double[g];
            double[] coreK = new double[d];
            for (int t = 0; t < g; t++) z[t] = scale * dot(a, row(p.k(), (long) kvRow * l + (long) j * g + t, d));
            poolW[j] = softmax(z);
            for (int t = 0; t < g; t++) {
                double[] kt = row(p.k(), (long) kvRow * l + (long) j * g + t, d);
                for (int x = 0; x < d; x++) coreK[x] += poolW[j][t] * kt[x];
            }
            score[j] = scale * dot(qi, coreK);
        }
        for (int k = c * g; k <= i; k++) score[c + k - c * g] = scale * dot(qi, row(p.k(), (long) kvRow * l + k, d));
        double[] prob = softmax(score), map = new double[l];
        for (int j = 0; j < c; j++) for (int t = 0; t < g; t++) map[j * g + t] += prob[j] * poolW[j][t];
        for (int k = c * g; k <= i; k++) map[k] += prob[c + k - c * g];
        return map;
    }

    private static double[] row(Tensor t, long r, int d) {
        float[] f = new float[d];
        t.readRow(r, f, 0);
        double[] out = new double[d];
        for (int x = 0; x < d; x++) out[x] = f[x];
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int x = 0; x < a.length; x++) s += a[x] * b[x];
        return s;
    }

    private static double[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double x : z) max = Math.max(max, x);
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) sum += p[i] = Math.exp(z[i] - max);
        for (int i = 0; i < z.length; i++) p[i] /= sum;
        return p;
    }

    // ---------------------------------------------------------------- backward

    /**
     * Gradients of {@code sum(dOut * out)}. Per row p: {@code P = exp(scale q_p . x - lse_p)} over the visible core
     * tokens and window keys, {@code dS = P (dOut_p . value_x - dOut_p . out_p)}; {@code dq_p += scale dS x},
     * {@code dx += scale dS q_p}, {@code dvalue_x += P dOut_p}. Window keys take dx directly; core tokens collect
     * {@code dCK_j, dCV_j}, which flow through the pooling: {@code dk_t += w_t dCK_j}, {@code dv_t += w_t dCV_j},
     * {@code dw_t = dCK_j . k_t + dCV_j . v_t}, {@code dz_t = w_t (dw_t - sum_u w_u dw_u)}, then
     * {@code dk_t += scale dz_t a_j} and {@code dq_{(j+1)g-1} += scale dz_t k_t} for the pooling query {@code a_j}.
     * Double accumulation, parallel over (b, kv head) (its q heads run in turn, since they share dk and dv).
     */
    @Override
    protected Gradients computeBackward(AttentionProblem p, AttentionResult forward, Tensor dOut) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), d = p.headDim(), l = p.lq(), g = group, per = hq / hkv;
        int cores = visibleGroups(l - 1, g, window);
        double scale = p.scale();
        Tensor dq = Tensor.zeros(b, hq, l, d), dk = Tensor.zeros(b, hkv, l, d), dv = Tensor.zeros(b, hkv, l, d);
        float[] lseAll = forward.lse().toArray();
        Parallel.forEach(b * hkv, (bk, worker) -> {
            double[][] k = rows(p.k(), (long) bk * l, l, d), v = rows(p.v(), (long) bk * l, l, d);
            double[][] gk = new double[l][d], gv = new double[l][d];
            for (int h = bk % hkv * per; h < (bk % hkv + 1) * per; h++) {
                long base = (long) (bk / hkv * hq + h) * l;
                double[][] q = rows(p.q(), base, l, d), o = rows(forward.out(), base, l, d), dO = rows(dOut, base, l, d);
                double[][] gq = new double[l][d];
                // Pooling, recomputed: weights w[j][t], core keys and values.
                double[][] w = new double[cores][], ck = new double[cores][d], cv = new double[cores][d];
                for (int j = 0; j < cores; j++) {
                    double[] z = new double[g], a = q[(j + 1) * g - 1];
                    for (int t = 0; t < g; t++) z[t] = scale * dot(a, k[j * g + t]);
                    w[j] = softmax(z);
                    for (int t = 0; t < g; t++) {
                        for (int x = 0; x < d; x++) {
                            ck[j][x] += w[j][t] * k[j * g + t][x];
                            cv[j][x] += w[j][t] * v[j * g + t][x];
                        }
                    }
                }
                double[][] gck = new double[cores][d], gcv = new double[cores][d];
                for (int i = 0; i < l; i++) {
                    double lse = lseAll[(int) (base + i)];
                    if (lse == Double.NEGATIVE_INFINITY) continue;
                    double delta = dot(dO[i], o[i]);
                    int c = visibleGroups(i, g, window);
                    for (int j = 0; j < c; j++) {
                        double pr = Math.exp(scale * dot(q[i], ck[j]) - lse), ds = pr * (dot(dO[i], cv[j]) - delta);
                        for (int x = 0; x < d; x++) {
                            gq[i][x] += scale * ds * ck[j][x];
                            gck[j][x] += scale * ds * q[i][x];
                            gcv[j][x] += pr * dO[i][x];
                        }
                    }
                    for (int kk = c * g; kk <= i; kk++) {
                        double pr = Math.exp(scale * dot(q[i], k[kk]) - lse), ds = pr * (dot(dO[i], v[kk]) - delta);
                        for (int x = 0; x < d; x++) {
                            gq[i][x] += scale * ds * k[kk][x];
                            gk[kk][x] += scale * ds * q[i][x];
                            gv[kk][x] += pr * dO[i][x];
                        }
                    }
                }
                for (int j = 0; j < cores; j++) {
                    double[] dw = new double[g];
                    double mean = 0;
                    for (int t = 0; t < g; t++) {
                        dw[t] = dot(gck[j], k[j * g + t]) + dot(gcv[j], v[j * g + t]);
                        mean += w[j][t] * dw[t];
                    }
                    int qa = (j + 1) * g - 1;
                    for (int t = 0; t < g; t++) {
                        double dz = w[j][t] * (dw[t] - mean);
                        for (int x = 0; x < d; x++) {
                            gk[j * g + t][x] += w[j][t] * gck[j][x] + scale * dz * q[qa][x];
                            gv[j * g + t][x] += w[j][t] * gcv[j][x];
                            gq[qa][x] += scale * dz * k[j * g + t][x];
                        }
                    }
                }
                write(dq, base, gq);
            }
            write(dk, (long) bk * l, gk);
            write(dv, (long) bk * l, gv);
        });
        return new Gradients(dq, dk, dv);
    }

    private static double[][] rows(Tensor t, long from, int n, int d) {
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) out[i] = row(t, from + i, d);
        return out;
    }

    private static void write(Tensor t, long from, double[][] rows) {
        float[] f = new float[rows.length == 0 ? 0 : rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            for (int x = 0; x < f.length; x++) f[x] = (float) rows[i][x];
            t.writeRow(from + i, f, 0);
        }
    }

    /** A decoding cache for this configuration (see {@link CcaCache}). */
    public CcaCache newCache(int batch, int qHeads, int kvHeads, int headDim) {
        return new CcaCache(group, window, batch, qHeads, kvHeads, headDim);
    }
}
