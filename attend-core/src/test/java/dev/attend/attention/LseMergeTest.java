package dev.attend.attention;

import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LseMergeTest {
    @Test
    void mergingDisjointKeySetsEqualsAttentionOverTheirUnion() {
        Tensor q = Tensor.randn(1, 2, 4, 50, 32), k = Tensor.randn(2, 2, 2, 90, 32), v = Tensor.randn(3, 2, 2, 90, 32);
        // Even and odd keys: two disjoint sets whose union is everything, with a causal mask on top.
        Mask even = Mask.predicate("even keys", (b, h, i, j) -> j % 2 == 0, Mask.Dependence.SHARED).and(Masks.causal());
        Mask odd = Mask.predicate("odd keys", (b, h, i, j) -> j % 2 == 1, Mask.Dependence.SHARED).and(Masks.causal());
        AttentionResult a = Attention.flash().forward(AttentionProblem.of(q, k, v, even));
        AttentionResult b = Attention.flash().forward(AttentionProblem.of(q, k, v, odd));
        AttentionResult whole = Attention.reference().forward(AttentionProblem.of(q, k, v, Masks.causal()));
        AttentionResult merged = LseMerge.merge(a, b);
        assertEquals(0, Cases.maxAbsDiff(whole.out(), merged.out()), 2e-5 * Cases.maxAbs(v));
        assertEquals(0, Cases.maxAbsDiff(whole.lse(), merged.lse()), 2e-5);
        // Row 0 sees only key 0 (even): the odd side is empty there and weighs nothing.
        assertEquals(Float.NEGATIVE_INFINITY, b.lse().get(0, 0, 0));
        assertEquals(a.lse().get(0, 0, 0), merged.lse().get(0, 0, 0));
    }

    @Test
    void emptyOnBothSidesStaysEmpty() {
        float[] acc = {1, 2};
        float l = LseMerge.mergeInto(acc, 0, Float.NEGATIVE_INFINITY, new float[] {3, 4}, 0, Float.NEGATIVE_INFINITY, 2);
        assertEquals(Float.NEGATIVE_INFINITY, l);
        assertEquals(Float.NEGATIVE_INFINITY, LseMerge.logAddExp(Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY));
        assertEquals(Math.log(Math.exp(1) + Math.exp(2)), LseMerge.logAddExp(1f, 2f), 1e-6);
        assertEquals(1000f + (float) Math.log(2), LseMerge.logAddExp(1000f, 1000f), 1e-3); // no overflow
    }

    @Test
    void mismatchedShapesAreRefused() {
        AttentionResult a = new AttentionResult(Tensor.zeros(1, 1, 2, 4), Tensor.zeros(1, 1, 2), AttentionResult.Stats.NONE);
        AttentionResult b = new AttentionResult(Tensor.zeros(1, 1, 3, 4), Tensor.zeros(1, 1, 3), AttentionResult.Stats.NONE);
        var e = assertThrows(IllegalArgumentException.class, () -> LseMerge.merge(a, b));
        assertTrue(e.getMessage().startsWith("b.out: expected shape [1, 1, 2, 4]"), e.getMessage());
    }
}
