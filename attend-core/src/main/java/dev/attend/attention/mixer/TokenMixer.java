package dev.attend.attention.mixer;

import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Params;
import dev.attend.attention.Pattern;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

/**
 * A token mixer of the unified view {@code Y = P(X) X W} (He and Kabic 2023) measured like a mechanism: it ignores
 * q and k and mixes the values, {@code out[b, h] = P v[b, h / (Hq / Hkv)]}, with P fixed by its parameters (a
 * Toeplitz convolution, an SSM's kernel, a DFT) rather than computed from scores, so the bench times it, and the
 * fidelity suite compares it, beside attention on the same inputs. Descriptors say so in their summary ("mixer");
 * masks {@code full} (the non-causal form) and, where the mixer has one, {@code causal} / {@code causal-br} (P lower
 * triangular); self attention only (P is square). No log-sum-exp. Subclasses mix one head held channel by channel,
 * {@code v[c]} the L tokens of channel c (what a convolution reads; the transposition is done once, here).
 *
 * <p><b>Backward</b>: P is linear and fixed, so {@code dv[b, g] = sum over the group's query heads of P^T dOut[b, h]}
 * ({@link #mixTransposed}) and {@code dq = dk = 0}: the output does not depend on q or k.
 */
public abstract class TokenMixer extends AttentionMechanism {

    protected TokenMixer(MechanismDescriptor d, Params p) {
        super(d, p);
    }

    /** The builder every mixer starts from: self attention, the masks of its forms, approximate (not attention). */
    static MechanismDescriptor.Builder builder(String name, MechanismDescriptor.Factory factory, boolean causalForm) {
        MechanismDescriptor.Builder b = MechanismDescriptor.builder(name, factory).approximate().backward(true);
        return causalForm
                ? b.patterns(Pattern.NONCAUSAL_SELF, Pattern.CAUSAL_SELF).masks(MaskSupport.listed("full", "causal", "causal-br"))
                : b.patterns(Pattern.NONCAUSAL_SELF).masks(MaskSupport.listed("full"));
    }

    /** Mixes one head: {@code v[c][t]} (D channels of L tokens) into {@code out[c][t]}. */
    abstract void mix(double[][] v, boolean causal, double[][] out);

    /** FLOPs of one {@link #mix} of a head of {@code l} tokens and {@code d} channels (the work counted in the stats). */
    abstract double mixFlops(int l, int d, boolean causal);

    /** {@code out = P^T g}: the adjoint of {@link #mix} (the backward pass's map from output gradients to value gradients). */
    abstract void mixTransposed(double[][] g, boolean causal, double[][] out);

    /** The lower-triangular form: {@code causal} or {@code causal-br} (square P, so they agree); {@code full} is not. */
    private static boolean causal(AttentionProblem p) {
        return !p.mask().kind().orElse("").equals("full");
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), l = p.lq(), d = p.headDim(), per = hq / hkv;
        boolean causal = causal(p);
        Tensor out = Tensor.zeros(b, hq, l, d);
        Parallel.forEach(b * hq, (bh, worker) -> {
            long kv = (long) (bh / hq * hkv + bh % hq / per) * l;
            double[][] v = new double[d][l], o = new double[d][l];
            read(p.v(), kv, l, d, v);
            mix(v, causal, o);
            write(o, out, (long) bh * l, l, d);
        });
        return AttentionResult.withoutLse(out, new AttentionResult.Stats(b * hq, 0, 0, (double) b * hq * mixFlops(l, d, causal), 0));
    }

    @Override
    protected Gradients computeBackward(AttentionProblem p, AttentionResult forward, Tensor dOut) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), l = p.lq(), d = p.headDim(), per = hq / hkv;
        boolean causal = causal(p);
        Tensor dv = Tensor.zeros(b, hkv, l, d);
        Parallel.forEach(b * hkv, (bk, worker) -> {
            double[][] g = new double[d][l], o = new double[d][l], sum = new double[d][l];
            for (int h = 0; h < per; h++) {
                read(dOut, (long) (bk / hkv * hq + bk % hkv * per + h) * l, l, d, g);
                mixTransposed(g, causal, o);
                for (int c = 0; c < d; c++) for (int t = 0; t < l; t++) sum[c][t] += o[c][t];
            }
            write(sum, dv, (long) bk * l, l, d);
        });
        return new Gradients(Tensor.zeros(p.q().shape()), Tensor.zeros(p.k().shape()), dv);
    }

    /** Rows a block at a time: each channel's array is written in runs of {@link #BLOCK} tokens, not one token per row read. */
    private static final int BLOCK = 32;

    /** {@code v[c][t] = x[row0 + t][c]}: one head of {@code l} rows of {@code d}, channel by channel. */
    private static void read(Tensor x, long row0, int l, int d, double[][] v) {
        float[] rows = new float[BLOCK * d];
        for (int t0 = 0; t0 < l; t0 += BLOCK) {
            int n = Math.min(BLOCK, l - t0);
            for (int t = 0; t < n; t++) x.readRow(row0 + t0 + t, rows, t * d);
            for (int c = 0; c < d; c++) {
                double[] vc = v[c];
                for (int t = 0; t < n; t++) vc[t0 + t] = rows[t * d + c];
            }
        }
    }

    /** {@code y[row0 + t][c] = o[c][t]}: the inverse of {@link #read}, rounding to float. */
    private static void write(double[][] o, Tensor y, long row0, int l, int d) {
        float[] rows = new float[BLOCK * d];
        for (int t0 = 0; t0 < l; t0 += BLOCK) {
            int n = Math.min(BLOCK, l - t0);
            for (int c = 0; c < d; c++) {
                double[] oc = o[c];
                for (int t = 0; t < n; t++) rows[t * d + c] = (float) oc[t0 + t];
            }
            for (int t = 0; t < n; t++) y.writeRow(row0 + t0 + t, rows, t * d);
        }
    }
}
