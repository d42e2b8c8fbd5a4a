package dev.attend.attention.sparse;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Cost;
import dev.attend.attention.InputFamily;
import dev.attend.attention.Workload;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The measurements behind the SALE, MoH and mask-sparsity reports: a harness, not a test (nothing is asserted).
 * {@code java ... dev.attend.attention.sparse.SaleMohPerf sale|moh|masks [D]}. Every time is the median of a few runs after
 * a warm-up, against Attend's own flash in the same JVM; fp32, one batch entry.
 */
public final class SaleMohPerf {
    private SaleMohPerf() {}

    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "sale";
        int d = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int l = args.length > 2 ? Integer.parseInt(args[2]) : 65536;
        double[] taus = args.length > 3 ? Arrays.stream(args[3].split(",")).mapToDouble(Double::parseDouble).toArray()
                : new double[] {0.004, 0.05, 0.5, 2, 10, 50};
        switch (what) {
            case "sale" -> sale(d, l, taus, args.length > 4 ? Integer.parseInt(args[4]) : 4);
            case "sale-fidelity" -> saleFidelity(d, l);
            case "moh" -> moh(d, l);
            case "masks" -> masks(d);
            case "estimator" -> estimator(d, l);
            default -> throw new IllegalArgumentException("expected sale, sale-fidelity, moh or masks, got " + what);
        }
    }

    /** Median seconds of {@code runs} calls after one warm-up call. */
    static double time(int runs, Supplier<?> call) {
        call.get();
        double[] t = new double[runs];
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            call.get();
            t[r] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        return t[runs / 2];
    }

    static void print(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    static AttentionProblem draw(InputFamily f, int l, int d, Mask mask, long seed) {
        Tensor[] t = f.draw(Workload.Shape.self(1, 1, 1, l, d), seed);
        return AttentionProblem.of(t[0], t[1], t[2], mask);
    }

    // ---------------------------------------------------------------- SALE

    /**
     * SALE against flash on NEEDLE inputs, for each tau: time, density, needle recall over {@code draws} draws (the timed one and
     * {@code draws - 1} more, selection only), error, and the time of each phase. Flash is timed once (its JIT is warm from 4K;
     * at 64K one call takes seconds and repeats agree to a few %), SALE the median of 3 after a warm-up.
     */
    static void sale(int d, int l, double[] taus, int draws) {
        AttentionProblem warm = draw(InputFamily.NEEDLE, 4096, d, Masks.causal(), 99);
        for (int i = 0; i < 3; i++) {
            Attention.flash().forward(warm);
            ((SaleAttention) Attention.of("sale:tau=0.5")).run(warm);
        }
        AttentionProblem p = draw(InputFamily.NEEDLE, l, d, Masks.causal(), 1);
        AttentionResult[] exact = new AttentionResult[1];
        long f0 = System.nanoTime();
        exact[0] = Attention.flash().forward(p);
        double flash = (System.nanoTime() - f0) / 1e9;
        double gflops = Cost.forwardFlops(p) / flash / 1e9;
        print("SALE causal NEEDLE L=%d D=%d: exact flash %.2f s (%.1f GFLOP/s useful)", l, d, flash, gflops);
        print("| tau | time s | speed-up | density | needle blocks kept | rel. error vs flash | needle rows' error | quantise s | sink+local s | estimate s | sparse s | merge s | overhead / flash |");
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (double tau : taus) {
            SaleAttention s = (SaleAttention) Attention.of(SaleAttention.NAME, java.util.Map.of("tau", tau));
            SaleAttention.Run[] last = new SaleAttention.Run[1];
            double t = time(3, () -> last[0] = s.run(p));
            SaleAttention.Run run = last[0];
            int[] needles = needleRecall(p, 1, run, 64, 32);
            // Recall over more needles: more draws (each a full run; only its selection is used).
            for (long seed = 2; seed <= draws; seed++) {
                AttentionProblem other = draw(InputFamily.NEEDLE, l, d, Masks.causal(), seed);
                int[] n = needleRecall(other, seed, s.run(other), 64, 32);
                needles[0] += n[0];
                needles[1] += n[1];
            }
            double err = SaleAttentionTest.relError(run.result().out(), exact[0].out());
            double needleErr = rowError(run.result().out(), exact[0].out(), needleRows(p, 1));
            print("| %s | %.2f | %.2fx | %.4f | %d / %d | %.3g | %.3g | %.3f | %.3f | %.3f | %.3f | %.3f | %.1f%% |", tau, t, flash / t, run.density(),
                    needles[0], needles[1], err, needleErr, run.quantiseNanos() / 1e9, run.exactNanos() / 1e9, run.estimateNanos() / 1e9,
                    run.sparseNanos() / 1e9, run.mergeNanos() / 1e9, 100.0 * run.overheadNanos() / 1e9 / flash);
        }
    }

    /** The query rows of the timed NEEDLE draw whose needle key is still in place and visible (causal). */
    static int[] needleRows(AttentionProblem p, long seed) {
        SplittableRandom r = new SplittableRandom(seed + 3);
        List<Integer> rows = new ArrayList<>();
        for (int n = 0; n < 8; n++) {
            int i = r.nextInt(p.lq()), j = r.nextInt(p.lk());
            if (j <= i && p.k().get(0, 0, j, 0) == 4f * p.q().get(0, 0, i, 0)) rows.add(i);
        }
        return rows.stream().mapToInt(Integer::intValue).toArray();
    }

    /** ||a - b|| / ||b|| over the given query rows of head 0. */
    static double rowError(Tensor a, Tensor b, int[] rows) {
        double num = 0, den = 0;
        for (int i : rows) {
            for (int x = 0; x < a.dim(3); x++) {
                double u = a.get(0, 0, i, x), w = b.get(0, 0, i, x);
                num += (u - w) * (u - w);
                den += w * w;
            }
        }
        return Math.sqrt(num / den);
    }

    /** {kept, candidates} over the visible needles outside the sink and local blocks. */
    static int[] needleRecall(AttentionProblem p, long seed, SaleAttention.Run run, int bq, int bk) {
        SplittableRandom r = new SplittableRandom(seed + 3);
        int kept = 0, total = 0;
        for (int n = 0; n < 8; n++) {
            int i = r.nextInt(p.lq()), j = r.nextInt(p.lk());
            if (j > i || p.k().get(0, 0, j, 0) != 4f * p.q().get(0, 0, i, 0)) continue;
            int qb = i / bq, kb = j / bk, end = Math.min(p.lq(), (qb + 1) * bq);
            if (kb == 0 || (kb + 1) * bk > end - 128) continue;
            total++;
            if (Arrays.binarySearch(run.selected()[qb], kb) >= 0) kept++;
        }
        return new int[] {kept, total};
    }

    /** Error against flash on every family at length l, for the tau sweep. */
    static void saleFidelity(int d, int l) {
        print("SALE causal L=%d D=%d: relative error ||o - o_flash|| / ||o_flash|| and density", l, d);
        print("| family | tau=0.004 | 0.05 | 0.5 | 2 | 10 | 50 |");
        print("|---|---|---|---|---|---|---|");
        for (InputFamily f : InputFamily.values()) {
            AttentionProblem p = draw(f, l, d, Masks.causal(), 5);
            AttentionResult want = Attention.flash().forward(p);
            StringBuilder row = new StringBuilder("| " + f.label() + " |");
            for (double tau : new double[] {0.004, 0.05, 0.5, 2, 10, 50}) {
                SaleAttention.Run run = ((SaleAttention) Attention.of(SaleAttention.NAME, java.util.Map.of("tau", tau))).run(p);
                row.append(String.format(Locale.ROOT, " %.3g (%.3f) |", SaleAttentionTest.relError(run.result().out(), want.out()), run.density()));
            }
            print("%s", row);
        }
    }

    /**
     * One thread: the int16 tile test over a query chunk against {@code l} keys with no entry above (no early exit), against
     * an fp32 GEMM of the same int4 values (what the estimate would cost on the float kernel) plus a compare pass.
     */
    static void estimator(int d, int l) {
        int chunk = Int4Scores.CHUNK;
        SplittableRandom r = new SplittableRandom(1);
        short[] qT = new short[d * chunk], k = new short[l * d];
        float[] qf = new float[d * chunk], kf = new float[l * d];
        for (int x = 0; x < qT.length; x++) qf[x] = qT[x] = (short) (r.nextInt(15) - 7);
        for (int x = 0; x < k.length; x++) kf[x] = k[x] = (short) (r.nextInt(15) - 7);
        float[] a = new float[chunk], t = new float[chunk], dk = new float[l], bias = new float[l];
        Arrays.fill(a, 1f);
        Arrays.fill(t, Float.POSITIVE_INFINITY);
        Arrays.fill(dk, 1f);
        float[] s = new float[96 * chunk];
        short[] scratch = new short[Int4Scores.SCRATCH];
        for (int rep = 0; rep < 3; rep++) {
            long t0 = System.nanoTime();
            boolean any = false;
            for (int j0 = 0; j0 < l; j0 += 32) any |= Int4Scores.anyAbove(qT, k, d, j0, 32, a, t, dk, bias, scratch);
            long t1 = System.nanoTime();
            int hits = 0;
            for (int j0 = 0; j0 + 96 <= l; j0 += 96) {
                dev.attend.simd.Gemm.mul(96, chunk, d, kf, j0 * d, d, 1, qf, 0, chunk, s, 0, chunk, false);
                for (int x = 0; x < s.length; x++) if (s[x] > t[x % chunk]) hits++;
            }
            long t2 = System.nanoTime();
            double macs = (double) chunk * l * d;
            print("estimator D=%d, %d queries x %d keys: int16 %.2f GMAC/s, fp32 GEMM + compare %.2f GMAC/s (%b %d)", d, chunk, l,
                    macs / (t1 - t0), macs / (t2 - t1), any, hits);
        }
    }

    // ---------------------------------------------------------------- MoH

    static void moh(int d, int l) {
        int heads = 8;
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 1, heads, l, d), Tensor.randn(2, 1, heads, l, d), Tensor.randn(3, 1, heads, l, d), Masks.causal());
        AttentionProblem warm = AttentionProblem.of(Tensor.randn(1, 1, heads, 2048, d), Tensor.randn(2, 1, heads, 2048, d), Tensor.randn(3, 1, heads, 2048, d), Masks.causal());
        for (int i = 0; i < 3; i++) for (double a : new double[] {0.25, 1}) Attention.of("moh", java.util.Map.of("active", a)).forward(warm);
        double flash = time(5, () -> Attention.flash().forward(p));
        AttentionResult want = Attention.flash().forward(p);
        print("MoH causal Hq=Hkv=%d L=%d D=%d, router norm, binary gates: flash (all heads) %.3f s", heads, l, d, flash);
        print("| active routed fraction | active pairs | time s | vs flash | vs moh all-on | scores visited / all | rel. error vs MHA |");
        print("|---|---|---|---|---|---|---|");
        double allOn = 0;
        for (double a : new double[] {1, 0.75, 0.5, 0.25}) {
            MohAttention m = (MohAttention) Attention.of("moh", java.util.Map.of("active", a));
            AttentionResult[] r = new AttentionResult[1];
            double t = time(5, () -> r[0] = m.forward(p));
            if (a == 1) allOn = t;
            double frac = MohRouter.route(p.q(), 0, m.topK(heads), MohRouter.Kind.NORM).activeFraction();
            print("| %.2f | %.3f | %.3f | %.2fx | %.2fx | %.3f | %.3g |", a, frac, t, flash / t, allOn / t,
                    (double) r[0].stats().scores() / want.stats().scores(), SaleAttentionTest.relError(r[0].out(), want.out()));
        }
    }

    // ---------------------------------------------------------------- masks on flash

    /**
     * Library masks on flash: time, GFLOP/s on the exact mask area (useful) and on the tiles the kernel visited (the work it
     * did, {@code stats().flops()}), against the dense kernels: {@code full} at 8K (the reference of the block-sparse rows,
     * same L) and {@code causal} at 16K (the reference of the long masks: an exact causal 128K takes minutes per call).
     */
    static void masks(int d) {
        List<Object[]> cases = new ArrayList<>();
        cases.add(new Object[] {"full (dense)", Masks.full(), 8192});
        cases.add(new Object[] {"causal (dense)", Masks.causal(), 16384});
        cases.add(new Object[] {"sliding:4096", Masks.slidingWindow(4096), 131072});
        cases.add(new Object[] {"sinks:4,4096", Mask.parse("sinks:4,4096"), 131072});
        cases.add(new Object[] {"global-sliding:64,2048", Mask.parse("global-sliding:64,2048"), 65536});
        for (double density : new double[] {0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0}) {
            cases.add(new Object[] {"block-sparse-random:128,128," + density, Mask.parse("block-sparse-random:128,128," + density + ",1"), 8192});
        }
        // The two dense references are measured again at the end: ratios use the faster of the two measurements, so neither a
        // cold JIT at the start nor another job during one of them flatters the sparse rows.
        cases.add(cases.get(0));
        cases.add(cases.get(1));
        AttentionProblem warm = AttentionProblem.of(Tensor.randn(1, 1, 1, 4096, d), Tensor.randn(2, 1, 1, 4096, d), Tensor.randn(3, 1, 1, 4096, d), Masks.causal());
        for (int i = 0; i < 10; i++) Attention.flash().forward(warm);
        double[][] rows = new double[cases.size()][];
        for (int ci = 0; ci < cases.size(); ci++) {
            Object[] c = cases.get(ci);
            int l = (int) c[2];
            Mask mask = (Mask) c[1];
            AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 1, 1, l, d), Tensor.randn(2, 1, 1, l, d), Tensor.randn(3, 1, 1, l, d), mask);
            AttentionResult[] r = new AttentionResult[1];
            double t = time(3, () -> r[0] = Attention.flash().forward(p));
            rows[ci] = new double[] {l, t, mask.area(1, 1, l, l) / ((double) l * l), Cost.forwardFlops(p) / t / 1e9, r[0].stats().flops() / t / 1e9,
                    r[0].stats().blocks(), r[0].stats().fullBlocks()};
        }
        int n = cases.size();
        double full = Math.max(rows[0][4], rows[n - 2][4]), causal = Math.max(rows[1][4], rows[n - 1][4]);
        print("Masks on flash, D=%d, Hq=Hkv=1: GFLOP/s on the exact mask area (useful) and on the visited tiles (done); dense references: "
                + "full 8K %.1f, causal 16K %.1f GFLOP/s (the better of two measurements)", d, full, causal);
        print("| mask | L | time s | area / L^2 | useful GFLOP/s | visited GFLOP/s | visited vs full 8K | visited vs causal 16K | visited tiles | full tiles |");
        print("|---|---|---|---|---|---|---|---|---|---|");
        for (int ci = 0; ci < n; ci++) {
            double[] x = rows[ci];
            print("| %s | %d | %.3f | %.4f | %.1f | %.1f | %.0f%% | %.0f%% | %d | %d |", cases.get(ci)[0], (int) x[0], x[1], x[2], x[3], x[4],
                    100 * x[4] / full, 100 * x[4] / causal, (long) x[5], (long) x[6]);
        }
    }
}
