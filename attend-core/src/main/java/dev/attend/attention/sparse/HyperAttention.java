package dev.attend.attention.sparse;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.FlashAttention;
import dev.attend.attention.IndexMap;
import dev.attend.attention.LseMerge;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.attention.Pattern;
import dev.attend.attention.Support;
import dev.attend.attention.mask.BlockMask;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * HyperAttention (Han et al., ICLR 2024): sortLSH block-diagonal attention plus uniformly sampled keys,
 * and a causal recursion, in near-linear time. Shapes as any mechanism: {@code q [B, Hq, Lq, D]},
 * {@code k, v [B, Hkv, Lk, D]} (GQA allowed); masks {@code full} (self or cross) and {@code causal}
 * ({@code causal-br} at {@code Lq == Lk}, where it is the same mask); no score mods.
 *
 * <p><b>Non-causal step</b> (on the whole problem, or on an off-diagonal block of the recursion), for
 * {@code nq >= minLength} queries over {@code nk} keys:
 * <ol>
 *   <li>sortLSH: one Gaussian matrix {@code R [D x projections]} (from the seed, shared by every step and head);
 *   a row x gets the bucket {@code bits_i = [x . R_i > 0]}; buckets are ordered by their rank in the reflected
 *   Gray code, so consecutive buckets of the order differ in one bit (one hyperplane) and neighbouring buckets
 *   hold nearby directions. Queries of each (b, q head) and keys of each (b, kv head) are stably sorted by that
 *   rank (a counting sort).</li>
 *   <li>Exact attention inside the diagonal blocks of the sorted order: key block {@code i} is sorted keys
 *   {@code [i * block, (i + 1) * block)}, query block {@code i} the sorted queries
 *   {@code [i * bq, (i + 1) * bq)} with {@code bq = ceil(nq / ceil(nk / block))} (so self attention pairs
 *   equal blocks). One flash call over {@link BlockMask#fromKvBlocks} with an {@link IndexMap} of the sorted rows:
 *   rows are read in place, nothing is copied. Gives {@code (o1, lse1)}.</li>
 *   <li>Uniform sampling: {@code m = samples} key positions drawn uniformly with replacement from the {@code nk}
 *   sorted keys of each (b, kv head) (the q heads of a group share them). Query i attends to the sampled keys that
 *   lie outside its own key block (the pairs of its block are already exact), which gives {@code (o2, lse2)}, and
 *   {@code lse2 += log(nk / m)}. So the step computes, for the set {@code B(i)} of keys in i's block and samples
 *   {@code j_1..j_m},
 *   <pre>  Z1 = sum_{j in B(i)} e^{s_ij}                  N1 = sum_{j in B(i)} e^{s_ij} v_j
 *  Z2 = (nk/m) sum_t [j_t not in B(i)] e^{s_ij_t}   N2 = (nk/m) sum_t [j_t not in B(i)] e^{s_ij_t} v_j_t
 *  out_i = (N1 + N2) / (Z1 + Z2),  lse_i = log(Z1 + Z2)</pre>
 *   where Z2 and N2 are unbiased estimates of the softmax mass and numerator of the keys outside the block (each
 *   sample is a uniform key, the indicator drops the block's), as in the paper and the reference code's CPU path
 *   (its CUDA path does not drop them). out_i is a ratio of unbiased estimates: consistent, not unbiased. A
 *   query whose samples all fall in its own block gets the block part alone. The sampled part is flash over the
 *   gathered samples, its partial tiles masked by "not in my own block" at the original positions.</li>
 *   <li>The two parts are merged by {@link LseMerge} and written back in the original row order.</li>
 * </ol>
 * Below {@code minLength} queries the step is exact flash (as the reference: {@code min_seq_len > n_query}).
 * With a single block ({@code block >= nk}) the step is exact and draws no sample.
 *
 * <p><b>Causal</b> ({@code L > minLength}; exact causal flash otherwise): split the sequence at
 * {@code h = ceil(L / 2)} (the reference pads an odd length with a zero row, which puts the extra row in the first
 * half too); both diagonal halves recurse causally, and the off-diagonal block (queries {@code [h, L)}, keys
 * {@code [0, h)}, all visible) runs the non-causal step and is LSE-merged into the second half's rows. The recursion
 * ends at {@code L <= minLength} with exact causal flash. Row i never reads a key after i, but its block (and so its
 * output) depends on the other queries of its half and on L: the approximation is causal in the keys, not
 * prefix-invariant (CAB's prefix test holds below minLength, where it is exact).
 *
 * <p><b>Budget: {@code block}.</b> It moves the mechanism to exact: at {@code block >= Lk} every step is exact, and
 * for blocks that double the exactly computed pairs are nested (block {@code 2b} holds blocks {@code b}).
 * {@code samples} only lowers the variance of the residual estimate (as 1/m) and is never exact, so it is the
 * second knob; the fidelity tests vary both.
 *
 * <p><b>Seed</b> fixes R and every sample (each step's stream is derived from the seed and the step's position in
 * the recursion): same seed, inputs and thread count give bit-identical output. The descriptor does not declare it
 * {@code seeded}: the registry's contract for seeded mechanisms asks that another seed change the output at
 * {@code L = 200} with the default parameters, where HyperAttention (minLength 4096) is exact.
 *
 * <p><b>Cost</b> per (b, q head), self attention of length L: hashing {@code O(L D projections)}; causal, about
 * {@code L * minLength / 2} exact pairs in the leaves plus {@code (L / 2) (block + samples)} pairs per recursion level
 * ({@code log2(L / minLength)} levels), against {@code L^2 / 2} for exact causal attention. Memory: the output and
 * LSE accumulators, hash codes and sort orders ({@code O(L)} ints per head), and one step's flash output.
 */
public final class HyperAttention extends AttentionMechanism {
    public static final String NAME = "hyper";
    /** Keys per tile of the sampled part: small, so that only the tiles around a query block's own samples are masked. */
    static final int SAMPLE_TILE = 64;

    public static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, HyperAttention::new)
            .summary("HyperAttention: sortLSH (Gray-ordered buckets) block-diagonal attention plus uniformly sampled keys; causal by recursion")
            .param(Param.ofInt("block", 256, 1, 1 << 24, "keys per diagonal block of the LSH-sorted order (the budget: exact at block >= Lk)"))
            .param(Param.ofInt("samples", 256, 0, 1 << 20, "keys sampled uniformly (with replacement) for the residual, at most the keys of a step; 0: none"))
            .param(Param.ofInt("projections", 7, 1, 20, "random hyperplanes of the angular LSH (2^projections buckets)"))
            .param(Param.ofInt("minLength", 4096, 1, 1 << 30, "shorter sequences are computed exactly; the causal recursion stops at this length"))
            .param(Param.ofLong("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE, "seed of the LSH projections and of the samples"))
            .patterns(Pattern.NONCAUSAL_SELF, Pattern.CAUSAL_SELF, Pattern.NONCAUSAL_CROSS)
            .masks(MaskSupport.listed("full", "causal", "causal-br"))
            .approximate("block", true)
            .build();

    private final int block, samples, projections, minLength;
    private final long seed;

    private HyperAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.block = p.getInt("block");
        this.samples = p.getInt("samples");
        this.projections = p.getInt("projections");
        this.minLength = p.getInt("minLength");
        this.seed = p.getLong("seed");
    }

    @Override
    protected Support check(AttentionProblem p) {
        boolean causal = isCausal(p);
        int keys = causal ? smallestSampledCausal(p.lq(), new HashMap<>()) : sampledKeys(p.lq(), p.lk());
        if (samples > keys) {
            return Support.no("samples: expected at most " + keys + " (the keys of the smallest step that samples at Lq="
                    + p.lq() + ", Lk=" + p.lk() + ", block=" + block + ", minLength=" + minLength + "), got " + samples);
        }
        return Support.YES;
    }

    /** Keys a non-causal step of nq x nk samples from, or MAX_VALUE when it draws none (exact, or a single block). */
    private int sampledKeys(int nq, int nk) {
        return samples > 0 && nq >= minLength && nk > block ? nk : Integer.MAX_VALUE;
    }

    /** The fewest keys any sampling step of the causal recursion over {@code n} rows draws from (the split is fixed by n). */
    private int smallestSampledCausal(int n, Map<Integer, Integer> memo) {
        if (n <= minLength) return Integer.MAX_VALUE;
        Integer known = memo.get(n);
        if (known != null) return known;
        int h = (n + 1) / 2;
        int r = Math.min(sampledKeys(n - h, h), Math.min(smallestSampledCausal(h, memo), smallestSampledCausal(n - h, memo)));
        memo.put(n, r);
        return r;
    }

    private static boolean isCausal(AttentionProblem p) {
        return !p.mask().kind().orElse("").equals("full");
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        boolean causal = isCausal(p);
        FlashAttention flash = Attention.flash();
        if (causal ? p.lk() <= minLength : p.lq() < minLength) return flash.forward(p);
        Run run = new Run(p, flash);
        if (causal) {
            run.causal(0, p.lq());
        } else {
            run.nonCausal(p, 0, 0);
        }
        return run.result();
    }

    // ---------------------------------------------------------------- Gray code

    /** The i-th code of the reflected Gray code: consecutive codes differ in exactly one bit. */
    static int gray(int i) {
        return i ^ (i >>> 1);
    }

    /** The position of {@code code} in the Gray sequence: the inverse of {@link #gray} (prefix XOR of the bits). */
    static int grayRank(int code) {
        int r = code;
        for (int s = 1; s < 32; s <<= 1) r ^= r >>> s;
        return r;
    }

    /** {@code R [projections][d]}: iid standard normal from the seed. */
    static float[][] projections(long seed, int projections, int d) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] m = new float[projections][d];
        for (float[] row : m) for (int x = 0; x < d; x++) row[x] = (float) r.nextGaussian();
        return m;
    }

    /** The sort key of one row: the Gray rank of its sign pattern against the projections. */
    static int bucketRank(float[] row, int off, int d, float[][] proj) {
        int bits = 0;
        for (int i = 0; i < proj.length; i++) {
            float[] w = proj[i];
            float s = 0;
            for (int x = 0; x < d; x++) s += row[off + x] * w[x];
            if (s > 0) bits |= 1 << i;
        }
        return grayRank(bits);
    }

    // ---------------------------------------------------------------- one call

    /** The state of one call: hash ranks of every row, the output and LSE accumulators, and the work done. */
    private final class Run {
        final AttentionProblem p;
        final FlashAttention flash;
        final int batch, hq, hkv, group, d, lq;
        final int[][] qRank, kRank;     // [B*Hq][Lq], [B*Hkv][Lk]: Gray rank of each row's bucket
        final Tensor out;               // [B, Hq, Lq, D]
        final float[] lse;              // [B * Hq * Lq], -inf until a part arrives
        AttentionResult.Stats stats = AttentionResult.Stats.NONE;

        Run(AttentionProblem p, FlashAttention flash) {
            this.p = p;
            this.flash = flash;
            this.batch = p.batch();
            this.hq = p.hq();
            this.hkv = p.hkv();
            this.group = hq / hkv;
            this.d = p.headDim();
            this.lq = p.lq();
            float[][] proj = projections(seed, projections, d);
            this.qRank = ranks(p.q(), batch * hq, lq, proj);
            this.kRank = ranks(p.k(), batch * hkv, p.lk(), proj);
            this.out = Tensor.zeros(batch, hq, lq, d);
            this.lse = new float[batch * hq * lq];
            Arrays.fill(lse, Float.NEGATIVE_INFINITY);
        }

        /** Bucket ranks of every row of {@code t [B, H, L, D]}, in parallel over chunks of rows. */
        private int[][] ranks(Tensor t, int heads, int len, float[][] proj) {
            int[][] r = new int[heads][len];
            int chunk = 4096, chunks = (len + chunk - 1) / chunk;
            Parallel.forEach(heads * chunks, (item, worker) -> {
                int bh = item / chunks, from = item % chunks * chunk, to = Math.min(len, from + chunk);
                float[] row = new float[d];
                for (int i = from; i < to; i++) {
                    t.readRow((long) bh * len + i, row, 0);
                    r[bh][i] = bucketRank(row, 0, d, proj);
                }
            });
            return r;
        }

        /** Causal attention of rows {@code [s, s + n)} over keys {@code [s, s + n)}, merged into the accumulators. */
        void causal(int s, int n) {
            if (n <= minLength) {
                merge(flash.forward(sub(s, n, s, n, Masks.causal())), null, s, 0f);
                return;
            }
            int h = (n + 1) / 2;
            causal(s, h);
            causal(s + h, n - h);
            nonCausal(sub(s + h, n - h, s, h, Masks.full()), s + h, s);
        }

        /** The problem's rows {@code [q0, q0 + nq)} against keys {@code [k0, k0 + nk)}: views, no copy. */
        private AttentionProblem sub(int q0, int nq, int k0, int nk, Mask mask) {
            return new AttentionProblem(p.q().slice(2, q0, q0 + nq), p.k().slice(2, k0, k0 + nk), p.v().slice(2, k0, k0 + nk),
                    mask, ScoreMod.NONE, p.scale());
        }

        /**
         * The non-causal step on {@code sub}, whose rows are the problem's queries from {@code qOff} and keys from
         * {@code kOff} (every pair visible); merged into the accumulators at rows {@code qOff ..}.
         */
        void nonCausal(AttentionProblem sub, int qOff, int kOff) {
            int nq = sub.lq(), nk = sub.lk();
            if (nq < minLength) {
                merge(flash.forward(sub), null, qOff, 0f);
                return;
            }
            int[][] qOrder = sortByRank(qRank, qOff, nq), kOrder = sortByRank(kRank, kOff, nk);
            int nb = (nk + block - 1) / block, bq = (nq + nb - 1) / nb, qBlocks = (nq + bq - 1) / bq;
            int[][] diagonal = new int[batch * hq * qBlocks][];
            for (int r = 0; r < diagonal.length; r++) diagonal[r] = new int[] {r % qBlocks};
            BlockMask blocks = BlockMask.fromKvBlocks(batch, hq, nq, nk, bq, block, diagonal, null);
            merge(flash.forward(sub, blocks, new IndexMap(qOrder, kOrder)), qOrder, qOff, 0f);
            if (samples == 0 || nb == 1) return;
            residual(sub, qOff, kOff, qOrder, kOrder, bq, qBlocks);
        }

        /** The sampled part of a non-causal step: every query over the samples outside its own key block. */
        private void residual(AttentionProblem sub, int qOff, int kOff, int[][] qOrder, int[][] kOrder, int bq, int qBlocks) {
            int nq = sub.lq(), nk = sub.lk(), m = samples;
            int[][] picked = new int[batch * hkv][], gathered = new int[batch * hkv][m];
            for (int bh = 0; bh < batch * hkv; bh++) {
                // One stream per (step, b, kv head), from the seed and the step's place in the recursion.
                SplittableRandom rnd = new SplittableRandom(mix(seed, qOff, kOff, nq, bh));
                int[] pos = new int[m];
                for (int i = 0; i < m; i++) pos[i] = rnd.nextInt(nk);
                Arrays.sort(pos);   // sorted positions: the samples of one key block are contiguous
                picked[bh] = pos;
                for (int i = 0; i < m; i++) gathered[bh][i] = kOrder[bh][pos[i]];
            }
            int[][] qBlock = blockOf(qOrder, bq), kBlock = blockOf(kOrder, block);
            Mask outside = Mask.predicate("hyper-outside-own-block",
                    (b, h, qi, kj) -> qBlock[b * hq + h][qi] != kBlock[b * hkv + h / group][kj], Mask.Dependence.PER_BATCH_HEAD);
            AttentionProblem residual = new AttentionProblem(sub.q(), sub.k(), sub.v(), outside, ScoreMod.NONE, sub.scale());
            int tiles = (m + SAMPLE_TILE - 1) / SAMPLE_TILE;
            int[][] full = new int[batch * hq * qBlocks][], partial = new int[batch * hq * qBlocks][];
            int[] f = new int[tiles], pt = new int[tiles];
            for (int bh = 0; bh < batch * hq; bh++) {
                int[] pos = picked[bh / hq * hkv + bh % hq / group];
                for (int qb = 0; qb < qBlocks; qb++) {
                    int lo = lowerBound(pos, qb * block), hi = lowerBound(pos, (qb + 1) * block), nf = 0, np = 0;
                    for (int t = 0; t < tiles; t++) {
                        int t0 = t * SAMPLE_TILE, t1 = Math.min(m, t0 + SAMPLE_TILE);
                        if (t1 <= lo || t0 >= hi) f[nf++] = t;
                        else if (t0 < lo || t1 > hi) pt[np++] = t;   // straddles the own block's samples: masked
                    }
                    full[bh * qBlocks + qb] = Arrays.copyOf(f, nf);
                    partial[bh * qBlocks + qb] = Arrays.copyOf(pt, np);
                }
            }
            BlockMask blocks = BlockMask.fromKvBlocks(batch, hq, nq, m, bq, SAMPLE_TILE, full, partial);
            merge(flash.forward(residual, blocks, new IndexMap(qOrder, gathered)), qOrder, qOff, (float) Math.log((double) nk / m));
        }

        /** Per head: the rows {@code [off, off + n)} (as indices from 0) stably sorted by bucket rank: a counting sort. */
        private int[][] sortByRank(int[][] rank, int off, int n) {
            int heads = rank.length, buckets = 1 << projections;
            int[][] order = new int[heads][n];
            Parallel.forEach(heads, (bh, worker) -> {
                int[] count = new int[buckets + 1], r = rank[bh], o = order[bh];
                for (int i = 0; i < n; i++) count[r[off + i] + 1]++;
                for (int c = 0; c < buckets; c++) count[c + 1] += count[c];
                for (int i = 0; i < n; i++) o[count[r[off + i]]++] = i;
            });
            return order;
        }

        /**
         * Merges a part (rows of {@code [B, Hq, n, D]}, row i being the problem's row {@code qOff + (order == null ? i :
         * order[bh][i])}) into the accumulators; {@code shift} is added to its LSE. Parallel over disjoint rows.
         */
        void merge(AttentionResult part, int[][] order, int qOff, float shift) {
            stats = stats.plus(part.stats());
            Tensor po = part.out();
            float[] pl = part.lse().toArray();
            int n = (int) po.dim(2), chunk = 2048, chunks = (n + chunk - 1) / chunk;
            Parallel.forEach(batch * hq * chunks, (item, worker) -> {
                int bh = item / chunks, from = item % chunks * chunk, to = Math.min(n, from + chunk);
                float[] acc = new float[d], row = new float[d];
                for (int i = from; i < to; i++) {
                    long target = (long) bh * lq + qOff + (order == null ? i : order[bh][i]);
                    int at = (int) target;
                    float l = pl[bh * n + i];
                    if (l == Float.NEGATIVE_INFINITY) continue;
                    po.readRow((long) bh * n + i, row, 0);
                    if (lse[at] == Float.NEGATIVE_INFINITY) {
                        out.writeRow(target, row, 0);
                        lse[at] = l + shift;
                        continue;
                    }
                    out.readRow(target, acc, 0);
                    lse[at] = LseMerge.mergeInto(acc, 0, lse[at], row, 0, l + shift, d);
                    out.writeRow(target, acc, 0);
                }
            });
        }

        AttentionResult result() {
            return new AttentionResult(out, Tensor.of(lse, batch, hq, lq), stats);
        }
    }

    /** {@code blockOf[bh][order[bh][i]] = i / size}: the sorted block each original row falls in. */
    private static int[][] blockOf(int[][] order, int size) {
        int[][] blk = new int[order.length][];
        for (int bh = 0; bh < order.length; bh++) {
            int[] o = order[bh], r = new int[o.length];
            for (int i = 0; i < o.length; i++) r[o[i]] = i / size;
            blk[bh] = r;
        }
        return blk;
    }

    /** The first index of sorted {@code a} whose value is at least {@code x}. */
    private static int lowerBound(int[] a, int x) {
        int lo = 0, hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < x) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static long mix(long seed, long... parts) {
        long h = seed ^ 0x9E3779B97F4A7C15L;
        for (long x : parts) {
            h = (h ^ x) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        return h;
    }
}
