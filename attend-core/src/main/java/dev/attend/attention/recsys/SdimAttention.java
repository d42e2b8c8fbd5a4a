package dev.attend.attention.recsys;

import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * SDIM (Cao et al., "Sampling is all you need on modeling long-term user behaviors for CTR prediction", 2022): target
 * attention over a behaviour sequence by SimHash collisions. Fixed Gaussian projections {@code R [hashes * tau x D]}
 * (from {@code seed}) give every vector {@code hashes} signatures of {@code tau} sign bits. For query (target) q,
 * <pre>  out(q) = (1 / hashes) sum_h normalize( sum_{j visible, sig_h(k_j) = sig_h(q)} v_j )</pre>
 * ({@code normalize}: L2, as SDIM; an empty bucket adds 0). Behaviour j collides with q in one hash with probability
 * {@code (1 - angle(q, k_j) / pi)^tau}: an attention kernel of the angle, sharper as tau grows; at {@code tau = 0}
 * every behaviour collides and the output is the L2-normalised mean of the visible values (mean pooling). The
 * sequence side is hashed once into {@code hashes x 2^tau} bucket sums ({@code O(Lk D hashes tau)}, what SDIM
 * precomputes offline), after which a query costs {@code O(D hashes (tau + 1))}, independent of Lk.
 *
 * <p>Shapes {@code q [B, Hq, Lq, D]} (targets), {@code k, v [B, Hkv, Lk, D]} (behaviours), GQA; masks {@code full}
 * and {@code padding} (the valid behaviours of each batch entry; a row with none gives 0); any lengths (one target
 * over a sequence, Lq = 1 with {@code full}, counts as the causal cross pattern: every key is visible). Not softmax
 * attention: no log-sum-exp.
 *
 * <p><b>Backward</b>: the hash is piecewise constant in q and k, so {@code dq = dk = 0} (almost everywhere); the
 * output is smooth in v: with {@code s} a bucket's sum, {@code u = s / |s|} and {@code G} the sum of {@code dOut / hashes}
 * over the queries that land in it, {@code ds = (G - u (u . G)) / |s|}, and {@code dv_j} is the sum of {@code ds} over
 * the buckets of key j (0 for keys the mask hides).
 */
public final class SdimAttention extends AttentionMechanism {
    public static final String NAME = "sdim";

    public static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, SdimAttention::new)
            .summary("SDIM: SimHash target attention, collision weight (1 - angle/pi)^tau, cost independent of the sequence once hashed")
            .param(Param.ofInt("hashes", 16, 1, 1024, "independent signatures averaged (SDIM: m / tau, 48 / 3 = 16)"))
            .param(Param.ofInt("tau", 3, 0, 16, "sign bits per signature; 0: every behaviour collides (mean pooling)"))
            .param(Param.ofLong("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE, "seed of the fixed Gaussian projections"))
            .masks(MaskSupport.listed("full", "padding"))
            .seeded("seed")
            .approximate()
            .backward(true)
            .build();

    private final int hashes, tau;
    private final long seed;

    private SdimAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.hashes = p.getInt("hashes");
        this.tau = p.getInt("tau");
        this.seed = p.getLong("seed");
    }

    /** The projections {@code [hashes * tau][d]}, standard normal from the seed. */
    static float[][] projections(int hashes, int tau, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] out = new float[hashes * tau][d];
        for (float[] row : out) for (int x = 0; x < d; x++) row[x] = (float) r.nextGaussian();
        return out;
    }

    /** Signature {@code h} of {@code x}: bit t is {@code [x . R_{h tau + t} > 0]}. */
    static int signature(float[][] proj, int h, int tau, float[] x, int off, int d) {
        int sig = 0;
        for (int t = 0; t < tau; t++) {
            float[] r = proj[h * tau + t];
            float s = 0;
            for (int c = 0; c < d; c++) s += r[c] * x[off + c];
            if (s > 0) sig |= 1 << t;
        }
        return sig;
    }

    /** The bucket sums {@code [hashes][2^tau][d]} of key/value head {@code bk}'s first {@code valid} behaviours. */
    private double[] bucketSums(AttentionProblem p, float[][] proj, int bk, int valid) {
        int d = p.headDim(), lk = p.lk(), buckets = 1 << tau;
        double[] sums = new double[hashes * buckets * d];
        float[] k = new float[d], v = new float[d];
        for (int j = 0; j < valid; j++) {
            p.k().readRow((long) bk * lk + j, k, 0);
            p.v().readRow((long) bk * lk + j, v, 0);
            for (int h = 0; h < hashes; h++) {
                int at = (h * buckets + signature(proj, h, tau, k, 0, d)) * d;
                for (int x = 0; x < d; x++) sums[at + x] += v[x];
            }
        }
        return sums;
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), lq = p.lq(), lk = p.lk(), d = p.headDim(), per = hq / hkv, buckets = 1 << tau;
        float[][] proj = projections(hashes, tau, d, seed);
        Tensor out = Tensor.zeros(b, hq, lq, d);
        Parallel.forEach(b * hkv, (bk, worker) -> {
            int bi = bk / hkv;
            double[] sums = bucketSums(p, proj, bk, p.validKeys(bi));
            float[] q = new float[d], o = new float[d];
            for (int h0 = bk % hkv * per; h0 < (bk % hkv + 1) * per; h0++) {
                long base = (long) (bi * hq + h0) * lq;
                for (int i = 0; i < lq; i++) {
                    p.q().readRow(base + i, q, 0);
                    double[] acc = new double[d];
                    for (int h = 0; h < hashes; h++) {
                        int at = (h * buckets + signature(proj, h, tau, q, 0, d)) * d;
                        double norm = 0;
                        for (int x = 0; x < d; x++) norm += sums[at + x] * sums[at + x];
                        if (norm == 0) continue;   // an empty bucket adds nothing (a NaN value does reach the output)
                        double inv = 1 / Math.sqrt(norm);
                        for (int x = 0; x < d; x++) acc[x] += sums[at + x] * inv;
                    }
                    for (int x = 0; x < d; x++) o[x] = (float) (acc[x] / hashes);
                    out.writeRow(base + i, o, 0);
                }
            }
        });
        double flops = 2.0 * b * hkv * lk * d * hashes * tau + 2.0 * b * hq * lq * d * hashes * (tau + 2);
        return AttentionResult.withoutLse(out, new AttentionResult.Stats(b * hkv, 0, 0, flops, 0));
    }

    @Override
    protected Gradients computeBackward(AttentionProblem p, AttentionResult forward, Tensor dOut) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), lq = p.lq(), lk = p.lk(), d = p.headDim(), per = hq / hkv, buckets = 1 << tau;
        float[][] proj = projections(hashes, tau, d, seed);
        Tensor dv = Tensor.zeros(b, hkv, lk, d);
        Parallel.forEach(b * hkv, (bk, worker) -> {
            int bi = bk / hkv, valid = p.validKeys(bi);
            double[] sums = bucketSums(p, proj, bk, valid), up = new double[sums.length];
            float[] q = new float[d], g = new float[d];
            // G: each bucket's share of the output gradients.
            for (int h0 = bk % hkv * per; h0 < (bk % hkv + 1) * per; h0++) {
                long base = (long) (bi * hq + h0) * lq;
                for (int i = 0; i < lq; i++) {
                    p.q().readRow(base + i, q, 0);
                    dOut.readRow(base + i, g, 0);
                    for (int h = 0; h < hashes; h++) {
                        int at = (h * buckets + signature(proj, h, tau, q, 0, d)) * d;
                        for (int x = 0; x < d; x++) up[at + x] += g[x] / (double) hashes;
                    }
                }
            }
            // Through the normalisation: ds = (G - u (u . G)) / |s|, in place of G.
            for (int at = 0; at < sums.length; at += d) {
                double norm = 0, dot = 0;
                for (int x = 0; x < d; x++) norm += sums[at + x] * sums[at + x];
                if (norm == 0) {
                    java.util.Arrays.fill(up, at, at + d, 0);
                    continue;
                }
                double len = Math.sqrt(norm);
                for (int x = 0; x < d; x++) dot += sums[at + x] / len * up[at + x];
                for (int x = 0; x < d; x++) up[at + x] = (up[at + x] - sums[at + x] / len * dot) / len;
            }
            float[] k = new float[d], row = new float[d];
            double[] acc = new double[d];
            for (int j = 0; j < valid; j++) {
                p.k().readRow((long) bk * lk + j, k, 0);
                java.util.Arrays.fill(acc, 0);
                for (int h = 0; h < hashes; h++) {
                    int at = (h * buckets + signature(proj, h, tau, k, 0, d)) * d;
                    for (int x = 0; x < d; x++) acc[x] += up[at + x];
                }
                for (int x = 0; x < d; x++) row[x] = (float) acc[x];
                dv.writeRow((long) bk * lk + j, row, 0);
            }
        });
        return new Gradients(Tensor.zeros(p.q().shape()), Tensor.zeros(p.k().shape()), dv);
    }
}
