package dev.attend.attention;

import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class FlashAttentionTest {
    static List<Cases.Case> forwardCases() {
        return Cases.random(300, 42, 300);
    }

    static List<Cases.Case> backwardCases() {
        return Cases.random(120, 7, 200);
    }

    @ParameterizedTest
    @MethodSource("forwardCases")
    void forwardMatchesTheFp64Reference(Cases.Case c) {
        AttentionResult want = Attention.reference().forward(c.problem());
        AttentionResult got = Attention.flash().forward(c.problem());
        // fp32 rounding of a convex combination of v: relative to the largest |v|.
        assertEquals(0, Cases.maxAbsDiff(want.out(), got.out()), 1e-5 * Cases.maxAbs(c.problem().v()), "out");
        float[] lw = want.lse().toArray(), lg = got.lse().toArray();
        for (int i = 0; i < lw.length; i++) {
            if (lw[i] == Float.NEGATIVE_INFINITY) {
                assertEquals(Float.NEGATIVE_INFINITY, lg[i], "lse of a fully masked row");
            } else {
                assertEquals(lw[i], lg[i], 2e-5 * (1 + Math.abs(lw[i])), "lse[" + i + "]");
            }
        }
        for (float x : got.out().toArray()) assertFalse(Float.isNaN(x));
        // The reference scores exactly the visible pairs; flash whole visited tiles, never fewer.
        long area = c.problem().mask().area(c.problem().batch(), c.problem().hq(), c.problem().lq(), c.problem().lk());
        assertEquals(Cost.forwardFlops(c.problem()), want.stats().flops());
        assertEquals(area, want.stats().scores());
        assertTrue(got.stats().scores() >= area, "flash scored " + got.stats().scores() + " < area " + area);
        assertEquals(Cost.attentionFlops(got.stats().scores(), c.problem().headDim()), got.stats().flops());
    }

    @ParameterizedTest
    @MethodSource("backwardCases")
    void backwardMatchesTheFp64Reference(Cases.Case c) {
        AttentionProblem p = c.problem();
        Tensor dOut = Tensor.randn(99, p.q().shape());
        AttentionResult fwd = Attention.flash().forward(p);
        Gradients want = Attention.reference().backward(p, fwd, dOut);
        Gradients got = Attention.flash().backward(p, fwd, dOut);
        assertClose(want.dq(), got.dq(), "dq");
        assertClose(want.dk(), got.dk(), "dk");
        assertClose(want.dv(), got.dv(), "dv");
    }

    private static void assertClose(Tensor want, Tensor got, String what) {
        double tol = 1e-4 * Math.max(1, Cases.maxAbs(want));
        assertEquals(0, Cases.maxAbsDiff(want, got), tol, what);
    }

    @Test
    void fullyMaskedRowsGiveZeroAndMinusInfinity() {
        // Causal cross attention, top-left, with more queries than keys is fine; bottom-right with
        // Lq > Lk leaves the first Lq - Lk queries with no key at all.
        Tensor q = Tensor.randn(1, 1, 2, 10, 32), k = Tensor.randn(2, 1, 2, 4, 32), v = Tensor.randn(3, 1, 2, 4, 32);
        AttentionProblem p = AttentionProblem.of(q, k, v, Masks.causalBottomRight());
        AttentionResult r = Attention.flash().forward(p);
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i < 6; i++) {
                assertEquals(Float.NEGATIVE_INFINITY, r.lse().get(0, h, i));
                for (int d = 0; d < 32; d++) assertEquals(0f, r.out().get(0, h, i, d));
            }
            assertTrue(Float.isFinite(r.lse().get(0, h, 6)));
        }
        Gradients g = Attention.flash().backward(p, r, Tensor.randn(4, q.shape()));
        for (float x : g.dq().toArray()) assertFalse(Float.isNaN(x));
        for (int d = 0; d < 32; d++) assertEquals(0f, g.dq().get(0, 0, 0, d));
    }

    @Test
    void workFollowsTheMaskArea() {
        int l = 96 * 40;
        Tensor q = Tensor.randn(1, 1, 1, l, 16), k = Tensor.randn(2, 1, 1, l, 16);
        AttentionResult causal = Attention.flash().forward(AttentionProblem.of(q, k, k, Masks.causal()));
        AttentionResult window = Attention.flash().forward(AttentionProblem.of(q, k, k, Masks.slidingWindow(96)));
        AttentionResult docs = Attention.flash().forward(AttentionProblem.of(q, k, k, Masks.documentsCausal(960, 960, 960, 960)));
        // 40 query tiles: causal visits 40*41/2 tiles, 40 of them on the diagonal (partial); a 96-key window
        // visits at most 2 tiles per query tile; four causal documents visit 4 * 10*11/2.
        assertEquals(820, causal.stats().blocks());
        assertEquals(780, causal.stats().fullBlocks());
        assertEquals(79, window.stats().blocks());
        assertEquals(220, docs.stats().blocks());
        // Work done is whole tiles (masked pairs of the diagonal tiles included); useful work is the exact area.
        assertEquals(820L * 96 * 96, causal.stats().scores());
        assertEquals(4.0 * 16 * 820 * 96 * 96, causal.stats().flops());
        assertEquals(2L * 4 * 16 * 820 * 96, causal.stats().kvBytes());
        assertEquals(4.0 * 16 * (long) l * (l + 1) / 2, Cost.forwardFlops(AttentionProblem.of(q, k, k, Masks.causal())));
    }

    @Test
    void sameInputsGiveBitIdenticalResults() {
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 2, 4, 333, 64), Tensor.randn(2, 2, 2, 333, 64),
                Tensor.randn(3, 2, 2, 333, 64), Masks.causal());
        Tensor dOut = Tensor.randn(4, p.q().shape());
        AttentionResult a = Attention.flash().forward(p), b = Attention.flash().forward(p);
        assertArrayEquals(a.out().toArray(), b.out().toArray());
        assertArrayEquals(a.lse().toArray(), b.lse().toArray());
        Gradients ga = Attention.flash().backward(p, a, dOut), gb = Attention.flash().backward(p, b, dOut);
        assertArrayEquals(ga.dq().toArray(), gb.dq().toArray());
        assertArrayEquals(ga.dk().toArray(), gb.dk().toArray());
    }

    @Test
    void lengthOneAndStridedInputsWork() {
        Tensor q = Tensor.randn(1, 1, 1, 1, 16), k = Tensor.randn(2, 1, 1, 1, 16), v = Tensor.randn(3, 1, 1, 1, 16);
        AttentionResult r = Attention.flash().forward(AttentionProblem.of(q, k, v, Masks.causal()));
        assertArrayEquals(v.toArray(), r.out().toArray(), 1e-6f);
        // [B, L, H, D] storage seen through a permuted view
        Tensor qs = Tensor.randn(4, 2, 50, 4, 32).permute(0, 2, 1, 3);
        Tensor ks = Tensor.randn(5, 2, 50, 2, 32).permute(0, 2, 1, 3);
        Tensor vs = Tensor.randn(6, 2, 50, 2, 32).permute(0, 2, 1, 3);
        AttentionProblem p = AttentionProblem.of(qs, ks, vs, Masks.causal());
        assertEquals(0, Cases.maxAbsDiff(Attention.reference().forward(p).out(), Attention.flash().forward(p).out()), 2e-5);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {8, 24, 72, 100})
    void offHeapInputsAndOddHeadDimsTakeTheCopyingPath(int d) {
        // Kernels read heap tensors in place; native memory (a mapped .npy, say) and head dims that are not
        // whole vectors go through tile copies instead. Both must give the same answer.
        Tensor q = offHeap(Tensor.randn(1, 2, 4, 77, d)), k = offHeap(Tensor.randn(2, 2, 2, 130, d));
        Tensor v = offHeap(Tensor.randn(3, 2, 2, 130, d));
        assertNull(q.heapArray());
        AttentionProblem p = AttentionProblem.of(q, k, v, Masks.causalBottomRight());
        AttentionResult want = Attention.reference().forward(p), got = Attention.flash().forward(p);
        assertEquals(0, Cases.maxAbsDiff(want.out(), got.out()), 1e-5 * Cases.maxAbs(v));
        Tensor dOut = offHeap(Tensor.randn(4, q.shape()));
        Gradients gw = Attention.reference().backward(p, want, dOut), gg = Attention.flash().backward(p, got, dOut);
        assertEquals(0, Cases.maxAbsDiff(gw.dq(), gg.dq()), 1e-4 * Math.max(1, Cases.maxAbs(gw.dq())));
        assertEquals(0, Cases.maxAbsDiff(gw.dk(), gg.dk()), 1e-4 * Math.max(1, Cases.maxAbs(gw.dk())));
        assertEquals(0, Cases.maxAbsDiff(gw.dv(), gg.dv()), 1e-4 * Math.max(1, Cases.maxAbs(gw.dv())));
    }

    private static Tensor offHeap(Tensor t) {
        java.lang.foreign.MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(t.size() * 4);
        java.lang.foreign.MemorySegment.copy(t.toArray(), 0, seg, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, (int) t.size());
        return Tensor.wrap(seg, t.shape());
    }

    @Test
    void viewsOfABatchAreReadWhereTheyStart() {
        // slice(0, 1, 2) of a row-major tensor is row-major too, but starts one batch into the data.
        Tensor q = Tensor.randn(1, 3, 2, 40, 32), k = Tensor.randn(2, 3, 2, 40, 32), v = Tensor.randn(3, 3, 2, 40, 32);
        AttentionProblem view = AttentionProblem.of(q.slice(0, 1, 2), k.slice(0, 1, 2), v.slice(0, 1, 2), Masks.causal());
        AttentionProblem copy = AttentionProblem.of(q.slice(0, 1, 2).copy(), k.slice(0, 1, 2).copy(), v.slice(0, 1, 2).copy(),
                Masks.causal());
        assertArrayEquals(Attention.flash().forward(copy).out().toArray(), Attention.flash().forward(view).out().toArray());
        Tensor dOut = Tensor.randn(4, 1, 2, 40, 32);
        assertArrayEquals(Attention.flash().backward(copy, Attention.flash().forward(copy), dOut).dk().toArray(),
                Attention.flash().backward(view, Attention.flash().forward(view), dOut).dk().toArray());
    }

    @Test
    void badShapesAreRefusedNamingTheArgument() {
        Tensor q = Tensor.randn(1, 1, 2, 8, 16), k = Tensor.randn(2, 1, 2, 8, 16);
        var e = assertThrows(IllegalArgumentException.class,
                () -> AttentionProblem.of(q, k, Tensor.randn(3, 1, 2, 7, 16), Masks.full()));
        assertTrue(e.getMessage().startsWith("v: expected the shape of k [1, 2, 8, 16]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AttentionProblem.of(q, Tensor.randn(2, 1, 3, 8, 16), Tensor.randn(2, 1, 3, 8, 16), Masks.full()));
        assertTrue(e.getMessage().contains("multiple of key/value heads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AttentionProblem.of(q, Tensor.randn(2, 1, 2, 8, 32), Tensor.randn(2, 1, 2, 8, 32), Masks.full()));
        assertTrue(e.getMessage().contains("head dim 16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AttentionProblem.of(Tensor.zeros(1, 2, 0, 16), k, k, Masks.full()));
        assertTrue(e.getMessage().contains("dimension L must be at least 1, got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AttentionProblem.of(Tensor.zeros(2, 8, 16), k, k, Masks.full()));
        assertTrue(e.getMessage().contains("expected 4 dimensions"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Attention.flash().backward(AttentionProblem.of(q, k, k, Masks.full()), null, Tensor.zeros(1, 2, 8, 8)));
        assertTrue(e.getMessage().startsWith("dOut: expected shape [1, 2, 8, 16]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.of("nope"));
        assertTrue(e.getMessage().contains("flash"), e.getMessage());
    }
}
