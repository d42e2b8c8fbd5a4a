package dev.attend.attention.mask;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** and / or against brute force, predicate masks against their slice twins, and the structure size at 64K. */
class MaskCombinatorTest {

    /** A length-generic random slice mask: rectangles at fixed fractions of (lq, lk), random types. */
    static Mask randomSlices(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1 + r.nextInt(4);
        double[][] f = new double[n][4];
        SliceType[] t = new SliceType[n];
        for (int i = 0; i < n; i++) {
            double a = r.nextDouble(), b = r.nextDouble(), c = r.nextDouble(), d = r.nextDouble();
            f[i] = new double[] {Math.min(a, b), Math.max(a, b), Math.min(c, d), Math.max(c, d)};
            t[i] = SliceType.values()[r.nextInt(4)];
        }
        return Mask.slices("random" + seed, (lq, lk) -> {
            List<Slice> s = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                s.add(new Slice((int) (f[i][0] * lq), (int) Math.ceil(f[i][1] * lq),
                        (int) (f[i][2] * lk), (int) Math.ceil(f[i][3] * lk), t[i]));
            }
            return s;
        });
    }

    /** Brute force membership of a slice list straight from the SliceType definitions. */
    static boolean inSlices(List<Slice> slices, int q, int k) {
        for (Slice s : slices) {
            if (q < s.qStart() || q >= s.qEnd() || k < s.kStart() || k >= s.kEnd()) {
                continue;
            }
            int i = q - s.qStart(), j = k - s.kStart();
            int diff = (s.kEnd() - s.kStart()) - (s.qEnd() - s.qStart());
            boolean causal = j <= i + diff, inv = j >= i;
            boolean ok = switch (s.type()) {
                case FULL -> true;
                case CAUSAL -> causal;
                case INVCAUSAL -> inv;
                case BICAUSAL -> causal && inv;
            };
            if (ok) {
                return true;
            }
        }
        return false;
    }

    @Test
    void userSlicesFollowTheCanonicalDefinition() {
        for (long seed = 0; seed < 200; seed++) {
            Mask m = randomSlices(seed);
            int lq = 1 + (int) (seed % 37), lk = 1 + (int) ((seed * 7) % 41);
            List<Slice> slices = m.slices(lq, lk).orElseThrow();
            long area = 0;
            for (int q = 0; q < lq; q++) {
                for (int k = 0; k < lk; k++) {
                    boolean v = inSlices(slices, q, k);
                    assertEquals(v, m.visible(0, 0, q, k, lq, lk), m + " at (" + q + ", " + k + ") " + slices);
                    area += v ? 1 : 0;
                }
            }
            assertEquals(area, m.area(1, 1, lq, lk));
            MaskAssertions.checkCompiled(m, 1, 1, lq, lk, 1 + (int) (seed % 5), 1 + (int) (seed % 3));
        }
    }

    @Test
    void sliceAreaIsExactPerSlice() {
        SplittableRandom r = new SplittableRandom(5);
        for (int n = 0; n < 2000; n++) {
            int qs = r.nextInt(10), qe = qs + r.nextInt(12), ks = r.nextInt(10), ke = ks + r.nextInt(12);
            Slice s = new Slice(qs, qe, ks, ke, SliceType.values()[r.nextInt(4)]);
            long brute = 0;
            for (int q = 0; q < 25; q++) {
                for (int k = 0; k < 25; k++) {
                    brute += inSlices(List.of(s), q, k) ? 1 : 0;
                }
            }
            assertEquals(brute, s.area(), s.toString());
        }
    }

    @Test
    void andOrOfSliceMasksMatchBruteForceAndStayInSliceForm() {
        for (long seed = 0; seed < 150; seed++) {
            Mask a = randomSlices(seed), b = randomSlices(seed + 1000);
            int lq = 1 + (int) (seed % 29), lk = 1 + (int) ((seed * 5) % 31);
            Mask and = a.and(b), or = a.or(b);
            assertTrue(and.isSliceForm() && or.isSliceForm());
            List<Slice> andSlices = and.slices(lq, lk).orElseThrow();
            for (int q = 0; q < lq; q++) {
                for (int k = 0; k < lk; k++) {
                    boolean va = a.visible(0, 0, q, k, lq, lk), vb = b.visible(0, 0, q, k, lq, lk);
                    assertEquals(va && vb, inSlices(andSlices, q, k), "and slices at (" + q + ", " + k + ")");
                    assertEquals(va && vb, and.visible(0, 0, q, k, lq, lk));
                    assertEquals(va || vb, or.visible(0, 0, q, k, lq, lk));
                }
            }
            int bq = 1 + (int) (seed % 7), bk = 1 + (int) (seed % 4);
            MaskAssertions.checkCompiled(and, 1, 1, lq, lk, bq, bk);
            MaskAssertions.checkCompiled(or, 1, 1, lq, lk, bq, bk);
        }
    }

    @Test
    void libraryAndLibraryStaysExact() {
        int[] lens = {7, 13, 1, 20, 9};
        Mask m = Masks.documentsCausal(lens).and(Masks.slidingWindow(6)).and(Masks.prefixLm(10).or(Masks.sinksWindow(2, 3)));
        assertTrue(m.isSliceForm());
        for (int[] b : MaskLibraryTest.BLOCKS) {
            MaskAssertions.checkCompiled(m, 1, 1, 50, 50, b[0], b[1]);
        }
        // and of a mask with itself changes nothing, or with full gives full
        Mask d = Masks.documents(lens);
        assertEquals(d.area(1, 1, 50, 50), d.and(d).area(1, 1, 50, 50));
        assertEquals(2500, d.or(Masks.full()).area(1, 1, 50, 50));
    }

    @Test
    void predicateTwinsEqualSliceMasks() {
        int L = 77;
        Mask[][] twins = {
                {Masks.causal(), Mask.predicate("causal?", (b, h, q, k) -> k <= q, Mask.Dependence.SHARED)},
                {Masks.slidingWindow(9), Mask.predicate("sliding?", (b, h, q, k) -> k <= q && q - k < 9)},
                {Masks.documents(30, 47), Mask.predicate("doc?", (b, h, q, k) -> (q < 30) == (k < 30), Mask.Dependence.SHARED)},
                {Masks.sinksWindow(4, 8), Mask.predicate("sinks?", (b, h, q, k) -> k <= q && (k < 4 || q - k < 8))},
        };
        for (Mask[] t : twins) {
            assertFalse(t[1].isSliceForm());
            for (int[] blk : MaskLibraryTest.BLOCKS) {
                BlockMask s = t[0].compile(2, 2, L, L, blk[0], blk[1]);
                BlockMask p = t[1].compile(2, 2, L, L, blk[0], blk[1]);
                assertEquals(s.area(), p.area(), t[1] + " area");
                assertEquals(s.visitedTiles(), p.visitedTiles(), t[1] + " visited");
                assertEquals(s.fullTiles(), p.fullTiles(), t[1] + " full");
                for (int qb = 0; qb < s.qBlocks(); qb++) {
                    for (int i = 0; i < s.count(1, 1, qb); i++) {
                        assertEquals(s.kBlock(1, 1, qb, i), p.kBlock(1, 1, qb, i));
                        assertEquals(s.isFull(1, 1, qb, i), p.isFull(1, 1, qb, i));
                    }
                }
            }
            MaskAssertions.checkCompiled(t[1], 2, 2, L, L, 16, 7);
        }
    }

    @Test
    void predicateDependingOnHeadAndBatch() {
        // head h sees a causal window of h+1 keys; batch b additionally hides key 0 when b is odd
        Mask perHead = Mask.predicate("window-by-head", (b, h, q, k) -> k <= q && q - k <= h, Mask.Dependence.PER_HEAD);
        Mask perBoth = Mask.predicate("window-by-head-batch", (b, h, q, k) -> k <= q && q - k <= h && (b % 2 == 0 || k > 0));
        MaskAssertions.checkCompiled(perHead, 2, 3, 40, 40, 8, 8);
        MaskAssertions.checkCompiled(perBoth, 2, 3, 40, 40, 8, 8);
        BlockMask bm = perHead.compile(2, 3, 40, 40, 8, 8);
        assertFalse(bm.isShared());
        assertEquals(bm.area(0, 2), bm.area(1, 2));
        assertTrue(bm.area(0, 0) < bm.area(0, 2));
        assertTrue(perBoth.compile(2, 3, 40, 40, 8, 8).area(1, 0) < perBoth.compile(2, 3, 40, 40, 8, 8).area(0, 0));
        assertTrue(Mask.predicate("x", (b, h, q, k) -> true, Mask.Dependence.SHARED).compile(4, 8, 10, 10, 4, 4).isShared());
    }

    @Test
    void sliceAndPredicateFallsBackToPredicateForm() {
        Mask head = Mask.predicate("odd-heads-no-diagonal", (b, h, q, k) -> h % 2 == 0 || q != k, Mask.Dependence.PER_HEAD);
        Mask and = Masks.documentsCausal(10, 15).and(head);
        Mask or = Masks.slidingWindow(3).or(head);
        assertFalse(and.isSliceForm());
        assertSame(Mask.Dependence.PER_HEAD, and.dependence());
        assertSame(Mask.Dependence.PER_BATCH_HEAD,
                head.and(Mask.predicate("b", (b, h, q, k) -> b == 0, Mask.Dependence.PER_BATCH)).dependence());
        MaskAssertions.checkCompiled(and, 1, 2, 25, 25, 4, 6);
        MaskAssertions.checkCompiled(or, 2, 2, 25, 25, 7, 3);
    }

    @Test
    void causalAt64KHasCompactStructure() {
        int L = 65536, blk = 64, n = L / blk;
        BlockMask bm = Masks.causal().compile(4, 8, L, L, blk, blk);
        assertTrue(bm.isShared() && bm.isSliceForm());
        long perHeadVisited = (long) n * (n + 1) / 2;
        assertEquals(perHeadVisited * 32, bm.visitedTiles());
        assertEquals((long) n * (n - 1) / 2 * 32, bm.fullTiles());
        assertEquals((long) L * (L + 1) / 2 * 32, bm.area());
        assertEquals(n, bm.count(3, 7, n - 1));
        assertEquals(n, bm.countByKey(0, 0, 0));
        // one shared structure: two CSR views of the tiles plus O(lq) row intervals, never O(lq * lk)
        assertTrue(bm.sizeInInts() <= 2 * perHeadVisited + 2L * (n + 1) + 4L * L + 8, "size " + bm.sizeInInts());
    }

    @Test
    void documentsAndSlidingAt64KAreCompact() {
        int[] lens = new int[64];
        java.util.Arrays.fill(lens, 1024);
        BlockMask bm = Masks.documentsCausal(lens).and(Masks.slidingWindow(300)).compile(1, 1, 65536, 65536, 64, 64);
        long brute = 0;
        for (int q = 0; q < 65536; q++) {
            int s = q / 1024 * 1024;
            brute += q - Math.max(s, q - 299) + 1;
        }
        assertEquals(brute, bm.area());
        assertTrue(bm.sizeInInts() < 1_000_000, "size " + bm.sizeInInts());
        BlockMask docs = Masks.documents(lens).compile(1, 1, 65536, 65536, 64, 64);
        assertEquals(64L * 16 * 16, docs.visitedTiles());
        assertEquals(docs.visitedTiles(), docs.fullTiles());
    }
}
