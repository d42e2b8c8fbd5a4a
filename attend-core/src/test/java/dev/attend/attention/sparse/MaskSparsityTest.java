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
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mask-driven sparsity on the flash kernel (issue item 1): the sparse library masks are exact against the fp64 reference, a
 * block-sparse mask at density 1.0 is dense attention, and the work the kernel reports ({@code stats()}: tiles visited,
 * scores, FLOPs) follows the visited area: the block-sparse tile count is the layout's, a sliding window's work grows
 * linearly in L, not quadratically. Times are measured by {@code SaleMohPerf masks}, never asserted here.
 */
class MaskSparsityTest {
    /** Flash's default tile: layouts drawn at this size line up with the kernel's tiles. */
    private static final int TILE = 96;

    private static AttentionProblem problem(int l, int d, int hq, int hkv, Mask mask, long seed) {
        Tensor[] t = InputFamily.GAUSSIAN.draw(Workload.Shape.self(1, hq, hkv, l, d), seed);
        return AttentionProblem.of(t[0], t[1], t[2], mask);
    }

    @Test
    void sparseLibraryMasksMatchTheReference() {
        Mask[] masks = {Masks.slidingWindow(150), Masks.sinksWindow(4, 150), Masks.globalSliding(40, 120),
                        Mask.parse("block-sparse-random:64,32,0.3,7"), Mask.parse("block-sparse-random:96,96,0.1,3"),
                        Masks.slidingWindow(150).and(Masks.causal())};
        for (Mask mask : masks) {
            AttentionProblem p = problem(777, 64, 4, 2, mask, 5);
            AttentionResult want = Attention.reference().forward(p), got = Attention.flash().forward(p);
            assertEquals(0, SaleAttentionTest.maxAbsDiff(want.out(), got.out()), 2e-5, mask.describe());
            // Rows that see no key (possible under block-sparse layouts) have LSE -inf in both.
            float[] a = want.lse().toArray(), b = got.lse().toArray();
            for (int i = 0; i < a.length; i++) {
                if (a[i] == Float.NEGATIVE_INFINITY) assertEquals(a[i], b[i], mask.describe() + ": empty row " + i);
                else assertEquals(a[i], b[i], 2e-4, mask.describe() + ": LSE of row " + i);
            }
            long area = mask.area(1, 4, 777, 777);
            assertTrue(got.stats().scores() >= area, mask.describe() + ": the visited tiles cover the area");
        }
    }

    @Test
    void blockSparseAtDensityOneIsDense() {
        AttentionProblem dense = problem(700, 64, 2, 2, Masks.full(), 9);
        AttentionResult want = Attention.flash().forward(dense);
        for (String spec : new String[] {"block-sparse-random:96,96,1.0,1", "block-sparse-random:64,128,1.0,2", "block-sparse-random:7,300,1.0,3"}) {
            Mask mask = Mask.parse(spec);
            AttentionProblem p = dense.withMask(mask);
            assertEquals(700L * 700 * 2, mask.area(1, 2, 700, 700), spec + ": every pair visible");
            AttentionResult got = Attention.flash().forward(p);
            assertEquals(0, SaleAttentionTest.maxAbsDiff(want.out(), got.out()), 1e-6, spec);
            assertEquals(0, SaleAttentionTest.maxAbsDiff(want.lse(), got.lse()), 1e-5, spec);
            assertEquals(want.stats().blocks(), got.stats().blocks(), spec + ": the same tiles as dense");
            assertEquals(want.stats().fullBlocks(), got.stats().fullBlocks(), spec + ": and all of them FULL (no mask work)");
        }
    }

    /** Layout tiles aligned with the kernel's: it visits exactly the layout's tiles, each FULL, so work is density x dense. */
    @Test
    void visitedTilesFollowTheDensity() {
        int l = 10 * TILE, heads = 2, tiles = 10 * 10;
        AttentionProblem base = problem(l, 32, heads, heads, Masks.full(), 4);
        double denseFlops = Attention.flash().forward(base).stats().flops();
        long lastScores = -1;
        for (double density : new double[] {0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0}) {
            Mask mask = Mask.parse("block-sparse-random:" + TILE + "," + TILE + "," + density + ",11");
            AttentionProblem p = base.withMask(mask);
            AttentionResult.Stats s = Attention.flash().forward(p).stats();
            long want = heads * Math.round(density * tiles);
            assertEquals(want, s.blocks(), "density " + density + ": tiles visited");
            assertEquals(want, s.fullBlocks(), "density " + density + ": all FULL");
            assertEquals(mask.area(1, heads, l, l), s.scores(), "density " + density + ": scores computed = the exact area");
            assertEquals(Cost.forwardFlops(p), s.flops(), 1e-6 * s.flops(), "density " + density + ": FLOPs done = useful FLOPs");
            assertEquals(density, s.flops() / denseFlops, 0.5 / tiles, "density " + density + ": work against dense");
            assertTrue(s.scores() > lastScores, "work grows with the density");
            lastScores = s.scores();
        }
    }

    /** A layout that does not line up with the kernel's tiles costs at most the kernel tiles it touches. */
    @Test
    void misalignedLayoutsVisitOnlyTheTilesTheyTouch() {
        int l = 1000;
        for (double density : new double[] {0.1, 0.4, 0.8}) {
            Mask mask = Mask.parse("block-sparse-random:128,128," + density + ",5");
            AttentionResult.Stats s = Attention.flash().forward(problem(l, 16, 1, 1, mask, 2)).stats();
            long area = mask.area(1, 1, l, l);
            // A 128-wide layout block overlaps at most 3 kernel tiles of 96 per side: 9 tiles per layout tile.
            long layoutTiles = Math.round(density * 8 * 8);
            assertTrue(s.blocks() <= 9 * layoutTiles, density + ": " + s.blocks() + " tiles for " + layoutTiles + " layout tiles");
            assertTrue(s.scores() >= area && s.scores() <= 9L * TILE * TILE * layoutTiles, density + ": scores " + s.scores());
        }
    }

    /** Window masks: work per query row is bounded by the window, so doubling L doubles the work (dense causal: 4x). */
    @Test
    void windowWorkIsLinearInLength() {
        for (Mask mask : new Mask[] {Masks.slidingWindow(256), Masks.sinksWindow(4, 256), Masks.globalSliding(32, 256)}) {
            long[] scores = new long[2];
            for (int x = 0; x < 2; x++) {
                int l = 2048 << x;
                AttentionResult.Stats s = Attention.flash().forward(problem(l, 16, 1, 1, mask, 3)).stats();
                scores[x] = s.scores();
                // Per query row: the kernel tiles overlapping its window (256 keys back; global-sliding's is two-sided, 511),
                // plus the sink column tile, or for global-sliding the global column tile and (on average over rows) the first
                // tile row's L keys.
                boolean global = mask.describe().startsWith("global");
                long perRow = (global ? 512 : 256) + 2L * TILE + (global ? 2L * TILE : mask.describe().startsWith("sinks") ? TILE : 0);
                assertTrue(s.scores() <= (long) l * perRow, mask.describe() + " at " + l + ": " + s.scores() + " scores");
            }
            // Linear work is a L - e (e: the first window's rows see fewer keys), so 2L / L is a little above 2; quadratic work
            // (dense causal) would be 4. The global rows (q < G) see every key: linear in L too at fixed G.
            double ratio = (double) scores[1] / scores[0];
            assertTrue(ratio > 1.95 && ratio < 2.2, mask.describe() + ": work ratio 2L / L = " + ratio);
        }
    }
}
