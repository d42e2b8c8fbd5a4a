package dev.attend.attention.sparse;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.InputFamily;
import dev.attend.attention.Workload;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SALE: exact at tau = 0, mean subtraction, needle recall, monotone sparsity, causality, error against tau, refusals. */
class SaleAttentionTest {

    private static SaleAttention sale(double tau) {
        return (SaleAttention) Attention.of(SaleAttention.NAME, Map.of("tau", tau));
    }

    private static AttentionProblem problem(InputFamily family, int l, int d, int hq, int hkv, Mask mask, long seed) {
        Tensor[] t = family.draw(Workload.Shape.self(1, hq, hkv, l, d), seed);
        return AttentionProblem.of(t[0], t[1], t[2], mask);
    }

    /** ||a - b|| / ||b|| over all elements. */
    static double relError(Tensor a, Tensor b) {
        float[] x = a.toArray(), y = b.toArray();
        double num = 0, den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (double) (x[i] - y[i]) * (x[i] - y[i]);
            den += (double) y[i] * y[i];
        }
        return Math.sqrt(num / den);
    }

    static double maxAbsDiff(Tensor a, Tensor b) {
        float[] x = a.toArray(), y = b.toArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }

    @Test
    void tauZeroKeepsEveryBlockAndIsExact() {
        for (Mask mask : new Mask[] {Masks.causal(), Masks.full(), Masks.slidingWindow(300), Masks.documentsCausal(300, 212, 500)}) {
            AttentionProblem p = problem(InputFamily.GAUSSIAN, 1012, 64, 4, 2, mask, 3);
            SaleAttention.Run run = sale(0).run(p);
            assertTrue(run.candidateTiles() > 0, mask.describe() + ": the test needs candidates");
            assertEquals(run.candidateTiles(), run.selectedTiles(), mask.describe() + ": tau = 0 keeps every candidate");
            AttentionResult want = Attention.reference().forward(p);
            assertEquals(0, maxAbsDiff(want.out(), run.result().out()), 2e-5, mask.describe());
            assertEquals(0, maxAbsDiff(want.lse(), run.result().lse()), 2e-4, mask.describe());
        }
    }

    /**
     * Subtracting the key mean shifts each row's scores by a constant (q_i . mean): the softmax is unchanged and the LSE
     * moves by exactly that constant. SALE subtracts it before quantising, so keys moved by a common offset give the same
     * int4 rows, the same selection and the same output.
     */
    @Test
    void meanSubtractionLeavesTheSoftmaxUnchanged() {
        AttentionProblem p = problem(InputFamily.GAUSSIAN, 700, 32, 1, 1, Masks.causal(), 11);
        Tensor k = p.k(), shifted = k.copy();
        float[] offset = new float[32];
        SplittableRandom r = new SplittableRandom(5);
        for (int x = 0; x < 32; x++) offset[x] = (float) (3 * r.nextGaussian());
        for (int j = 0; j < 700; j++) for (int x = 0; x < 32; x++) shifted.set(k.get(0, 0, j, x) + offset[x], 0, 0, j, x);
        AttentionProblem moved = new AttentionProblem(p.q(), shifted, p.v(), p.mask(), ScoreMod.NONE, p.scale());

        AttentionResult a = Attention.reference().forward(p), b = Attention.reference().forward(moved);
        assertEquals(0, maxAbsDiff(a.out(), b.out()), 1e-5, "softmax over k and over k + c");
        for (int i = 0; i < 700; i++) {
            double qc = 0;
            for (int x = 0; x < 32; x++) qc += p.q().get(0, 0, i, x) * offset[x];
            assertEquals(a.lse().get(0, 0, i) + p.scale() * qc, b.lse().get(0, 0, i), 1e-3, "LSE moves by scale * q_i . c at row " + i);
        }

        // The threshold must leave a partial selection, or "same blocks" pins nothing. On Gaussian rows the sink+local LSE is
        // about ln(160) + 0.5 and a 64 x 32 tile's largest score about 3.4: at tau 0.05 the bar ln(l) + ln(tau) sits below
        // almost every tile's maximum (all 80 candidates kept), at 0.5 above almost all (1 kept); 0.15 keeps 50 of 80.
        SaleAttention s = sale(0.15);
        SaleAttention.Run ra = s.run(p), rb = s.run(moved);
        assertTrue(ra.selectedTiles() > 0 && ra.selectedTiles() < ra.candidateTiles(), "a selection that is neither all nor nothing");
        assertEquals(ra.selectedTiles(), rb.selectedTiles());
        assertArrayEquals(ra.selected(), rb.selected(), "same int4 rows, same thresholds up to rounding: same blocks");
        assertEquals(0, maxAbsDiff(ra.result().out(), rb.result().out()), 1e-4);
    }

    /** Every visible needle pair (i, j) of the NEEDLE family, replaying its draw: {qBlock, kBlock} per needle. */
    private static Set<Long> needleTiles(AttentionProblem p, long seed, int blockQ, int blockK) {
        SplittableRandom r = new SplittableRandom(seed + 3);
        Set<Long> tiles = new HashSet<>();
        for (int h = 0; h < p.hq(); h++) {
            for (int n = 0; n < 8; n++) {
                int i = r.nextInt(p.lq()), j = r.nextInt(p.lk());
                // A later needle may have overwritten key j; keep the ones still in place and visible.
                boolean intact = p.k().get(0, h, j, 0) == 4f * p.q().get(0, h, i, 0);
                if (intact && p.mask().visible(0, h, i, j, p.lq(), p.lk())) tiles.add(((long) h << 40) | ((long) (i / blockQ) << 20) | (j / blockK));
            }
        }
        return tiles;
    }

    @Test
    void needleBlocksAreKeptAtEveryThresholdOfTheSweep() {
        long seed = 21;
        AttentionProblem p = problem(InputFamily.NEEDLE, 4096, 64, 4, 4, Masks.causal(), seed);
        Set<Long> needles = needleTiles(p, seed, 64, 32);
        double lastDensity = 1;
        for (double tau : new double[] {0.004, 0.05, 0.5, 5, 50}) {
            SaleAttention.Run run = sale(tau).run(p);
            int qBlocks = run.qBlocks(), candidates = 0, found = 0;
            for (long t : needles) {
                int h = (int) (t >>> 40), qb = (int) (t >>> 20 & 0xFFFFF), kb = (int) (t & 0xFFFFF);
                int[] chosen = run.selected()[h * qBlocks + qb];
                int end = Math.min(4096, (qb + 1) * 64);
                boolean exactPart = kb == 0 || (kb + 1) * 32 > end - 128;   // sink or local: always computed
                if (exactPart) continue;
                candidates++;
                if (Arrays.binarySearch(chosen, kb) >= 0) found++;
            }
            assertTrue(candidates >= 10, "the draw must put needles outside the local windows, got " + candidates);
            assertTrue(found >= 0.95 * candidates, "tau " + tau + ": " + found + " of " + candidates + " needle blocks kept");
            assertTrue(run.density() <= lastDensity, "density falls as tau grows");
            lastDensity = run.density();
        }
        assertTrue(lastDensity < 0.05, "at tau 50 almost nothing but the needles is kept, got density " + lastDensity);
    }

    @Test
    void sparsityIsMonotoneInTau() {
        for (InputFamily family : InputFamily.values()) {
            AttentionProblem p = problem(family, 1536, 64, 2, 1, Masks.causal(), 8);
            int[][] before = null;
            long kept = Long.MAX_VALUE;
            for (double tau : new double[] {0, 1e-4, 1e-3, 0.004, 0.02, 0.1, 0.5, 2, 10}) {
                SaleAttention.Run run = sale(tau).run(p);
                assertTrue(run.selectedTiles() <= kept, family + ": tau " + tau + " keeps " + run.selectedTiles() + " > " + kept);
                if (before != null) {
                    for (int row = 0; row < before.length; row++) {
                        for (int kb : run.selected()[row]) {
                            assertTrue(Arrays.binarySearch(before[row], kb) >= 0, family + ": a block kept at tau " + tau + " but not below it");
                        }
                    }
                }
                before = run.selected();
                kept = run.selectedTiles();
            }
        }
    }

    /** CAB: output[i] on the full input equals output[i] on input[:t], for t at query-block boundaries (any t at tau = 0). */
    @Test
    void causality() {
        int l = 1100;
        AttentionProblem p = problem(InputFamily.NEEDLE, l, 64, 2, 1, Masks.causal(), 4);
        for (double tau : new double[] {0.02, 0}) {
            SaleAttention s = sale(tau);
            AttentionResult full = s.forward(p);
            int[] cuts = tau == 0 ? new int[] {1, 100, 333, 650, 1099} : new int[] {64, 320, 640, 1024};
            for (int t : cuts) {
                AttentionProblem prefix = new AttentionProblem(p.q().slice(2, 0, t).contiguous(), p.k().slice(2, 0, t).contiguous(),
                        p.v().slice(2, 0, t).contiguous(), Masks.causal(), ScoreMod.NONE, p.scale());
                AttentionResult part = s.forward(prefix);
                Tensor head = full.out().slice(2, 0, t).contiguous();
                // At block boundaries the same tiles are computed in the same order; elsewhere (tau = 0) a row's keys may be split
                // differently between the sink+local and the selected part, which changes the float rounding only.
                assertEquals(0, maxAbsDiff(head, part.out()), tau == 0 ? 1e-5 : 1e-6, "tau " + tau + ", rows [0, " + t + ")");
            }
        }
    }

    @Test
    void errorFallsAsTauFallsOnEveryFamily() {
        for (InputFamily family : InputFamily.values()) {
            AttentionProblem p = problem(family, 1024, 64, 2, 2, Masks.causal(), 17);
            AttentionResult want = Attention.reference().forward(p);
            double last = Double.POSITIVE_INFINITY;
            for (double tau : new double[] {10, 1, 0.1, 0.01, 0.001, 0}) {
                double e = relError(sale(tau).forward(p).out(), want.out());
                assertTrue(e <= last + 1e-6, family + ": error " + e + " at tau " + tau + " above " + last + " at a larger tau");
                last = e;
            }
            assertTrue(last < 1e-5, family + ": exact at tau 0, got " + last);
        }
    }

    @Test
    void perHeadThresholds() {
        AttentionProblem p = problem(InputFamily.GAUSSIAN, 800, 32, 2, 1, Masks.causal(), 2);
        SaleAttention.Run run = sale(0.004).run(p, new double[] {0, 1e6});
        int qBlocks = run.qBlocks();
        long head0 = 0, head1 = 0;
        for (int qb = 0; qb < qBlocks; qb++) {
            head0 += run.selected()[qb].length;
            head1 += run.selected()[qBlocks + qb].length;
        }
        assertEquals(run.candidateTiles() / 2, head0, "head 0 at tau 0 keeps all its candidates");
        assertEquals(0, head1, "head 1 at tau 1e6 keeps none");
        var e = assertThrows(IllegalArgumentException.class, () -> sale(0.004).run(p, new double[] {0.1}));
        assertTrue(e.getMessage().contains("tauPerHead: expected 2 thresholds"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sale(0.004).run(p, new double[] {0.1, -1}));
        assertTrue(e.getMessage().contains("tauPerHead[1]: expected a number in [0, 1e6], got -1"), e.getMessage());
    }

    @Test
    void badHyperparametersAreRefusedNamingTheParameter() {
        var e = assertThrows(IllegalArgumentException.class, () -> Attention.of("sale:blockQ=0"));
        assertTrue(e.getMessage().contains("parameter 'blockQ' expects an integer in [1, 1024], got '0'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.of("sale:blockK=0"));
        assertTrue(e.getMessage().contains("parameter 'blockK' expects an integer in [1, 1024]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.of("sale:tau=-0.1"));
        assertTrue(e.getMessage().contains("parameter 'tau' expects a number in [0, 1000000], got '-0.1'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.of("sale:window=-1"));
        assertTrue(e.getMessage().contains("parameter 'window' expects an integer in [0, 1048576]"), e.getMessage());
        AttentionMechanism m = Attention.of("sale");
        Tensor big = Tensor.randn(1, 1, 1, 8, 700);
        AttentionProblem p = AttentionProblem.of(big, big, big, Masks.causal());
        assertFalse(m.supports(p).supported());
        assertTrue(m.supports(p).reason().contains("head dim: expected at most 668 (int4 dot products accumulate in int16), got 700"),
                m.supports(p).reason());
        assertFalse(m.supports(p.withScoreMod(ScoreMod.softCap(5))).supported(), "score mods are not estimated");
    }

    @Test
    void otherBlockSizesAndWindowsStayExactAtTauZero() {
        AttentionProblem p = problem(InputFamily.CLUSTERED, 777, 80, 3, 3, Masks.causal(), 9);
        AttentionResult want = Attention.reference().forward(p);
        for (String spec : new String[] {"sale:tau=0,blockQ=100,blockK=48,window=0", "sale:tau=0,blockQ=16,blockK=16,window=64",
                                         "sale:tau=0,blockQ=200,blockK=7,window=1000"}) {
            assertEquals(0, maxAbsDiff(want.out(), Attention.of(spec).forward(p).out()), 2e-5, spec);
        }
    }
}
