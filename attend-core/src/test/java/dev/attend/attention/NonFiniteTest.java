package dev.attend.attention;

import dev.attend.attention.decode.KvCache;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.DType;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static dev.attend.attention.MechanismApiTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One policy for NaN, infinity and overflow, in every kernel: a masked key contributes nothing whatever its
 * value; a row that sees a non-finite value says NaN (output and, when its scores are NaN, LSE); LSE -inf
 * means a fully masked row and nothing else; scores that overflow float32 from finite inputs are refused
 * with the row named, never returned as NaN.
 */
class NonFiniteTest {

    /** q, k, v [1, 1, 8, 4] with one value (or key) row set to NaN. */
    private static AttentionProblem withNan(boolean inValue, int row, Mask mask) {
        Tensor q = Tensor.randn(1, 1, 1, 8, 4), k = Tensor.randn(2, 1, 1, 8, 4), v = Tensor.randn(3, 1, 1, 8, 4);
        for (int x = 0; x < 4; x++) (inValue ? v : k).set(Float.NaN, 0, 0, row, x);
        return AttentionProblem.of(q, k, v, mask);
    }

    private static boolean rowIsNaN(Tensor out, int i) {
        for (int x = 0; x < out.dim(3); x++) if (!Float.isNaN(out.get(0, 0, i, x))) return false;
        return true;
    }

    @Test
    void aNanValueReachesOnlyTheRowsThatSeeIt() {
        // Found in trial: flash gave NaN in rows 0..7, the reference only in row 7.
        AttentionProblem p = withNan(true, 7, Masks.causal());
        for (AttentionMechanism m : new AttentionMechanism[] {Attention.reference(), Attention.flash(), Attention.of("flash:blockQ=4,blockK=8")}) {
            AttentionResult r = m.forward(p), want = Attention.reference().forward(withNan(true, 7, Masks.causal()).withMask(Masks.causal()));
            for (int i = 0; i < 7; i++) {
                for (int x = 0; x < 4; x++) assertEquals(want.out().get(0, 0, i, x), r.out().get(0, 0, i, x), 1e-5, m + " row " + i);
                assertTrue(Float.isFinite(r.lse().get(0, 0, i)), m + " lse " + i);
            }
            assertTrue(rowIsNaN(r.out(), 7), m + " row 7 sees the NaN");
            assertTrue(Float.isFinite(r.lse().get(0, 0, 7)), m + ": the scores of row 7 are finite, so is its LSE");
        }
    }

    @Test
    void aNanKeyMakesTheRowsThatSeeItNanWithANanLse() {
        AttentionProblem p = withNan(false, 5, Masks.causal());
        AttentionResult want = Attention.reference().forward(p), got = Attention.flash().forward(p);
        for (int i = 0; i < 8; i++) {
            boolean sees = i >= 5;
            assertEquals(sees, rowIsNaN(got.out(), i), "row " + i);
            assertEquals(sees, Float.isNaN(got.lse().get(0, 0, i)), "lse of row " + i + " (flash)");
            assertEquals(sees, Float.isNaN(want.lse().get(0, 0, i)), "lse of row " + i + " (reference)");
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void decodeKeepsANanValueToTheRowsThatSeeIt(DType f) {
        // Two queries at positions 6 and 7 of an 8-token cache; value 7 is NaN: only the second row sees it.
        AttentionProblem p = withNan(true, 7, Masks.causalBottomRight());
        Tensor q2 = p.q().slice(2, 6, 8);
        KvCache cache = Attention.decode(f).newCache(1, 1, 4, 8);
        cache.append(p.k(), p.v());
        AttentionResult r = Attention.decode(f).attend(q2, cache);
        assertFalse(rowIsNaN(r.out(), 0), f + ": row at position 6 does not see value 7");
        for (int x = 0; x < 4; x++) assertTrue(Float.isFinite(r.out().get(0, 0, 0, x)));
        assertTrue(rowIsNaN(r.out(), 1), f + ": row at position 7 sees it");
    }

    @Test
    void backwardKeepsNanGradientsToThePairsThatSeeIt() {
        AttentionProblem p = withNan(true, 7, Masks.causal());
        AttentionResult fwd = Attention.flash().forward(p);
        Gradients want = Attention.reference().backward(p, Attention.reference().forward(p), Tensor.randn(4, p.q().shape()));
        Gradients got = Attention.flash().backward(p, fwd, Tensor.randn(4, p.q().shape()));
        for (int i = 0; i < 7; i++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(want.dq().get(0, 0, i, x), got.dq().get(0, 0, i, x), 1e-4, "dq row " + i);
                assertTrue(Float.isFinite(got.dk().get(0, 0, i, x)) == Float.isFinite(want.dk().get(0, 0, i, x)), "dk row " + i);
            }
        }
    }

    @Test
    void overflowingScoresFromFiniteInputsAreRefusedNamingTheRow() {
        Tensor q = Tensor.zeros(1, 1, 3, 4), k = Tensor.zeros(1, 1, 3, 4), v = Tensor.randn(3, 1, 1, 3, 4);
        for (int i = 0; i < 3; i++) for (int x = 0; x < 4; x++) {
            q.set(3e38f, 0, 0, i, x);
            k.set(3e38f, 0, 0, i, x);
        }
        AttentionProblem p = AttentionProblem.of(q, k, v, Masks.full());
        // The fp64 reference computes the softmax's limit: equal scores, so the mean of v, with LSE +inf in float32.
        AttentionResult ref = Attention.reference().forward(p);
        assertEquals(Float.POSITIVE_INFINITY, ref.lse().get(0, 0, 0));
        assertMessage(() -> Attention.flash().forward(p),
                "q, k: the scores of query row (b=0, h=0, q=0) overflow float32 (|scale * q.k| > 3.4e38) although the inputs are finite");
        KvCache cache = Attention.decode(DType.F32).newCache(1, 1, 4, 3);
        cache.append(k, v);
        assertMessage(() -> Attention.decode(DType.F32).attend(q.slice(2, 2, 3), cache), "overflow float32");
        // Overflow towards -inf would look like a fully masked row: refused too.
        Tensor qNeg = Tensor.zeros(1, 1, 3, 4);
        for (int i = 0; i < 3; i++) for (int x = 0; x < 4; x++) qNeg.set(-3e38f, 0, 0, i, x);
        assertMessage(() -> Attention.flash().forward(AttentionProblem.of(qNeg, k, v, Masks.full())), "overflow float32");
    }

    @Test
    void lseMinusInfinityMeansAFullyMaskedRowAndMergesAsNothing() {
        Tensor q = Tensor.randn(1, 1, 1, 4, 8), k = Tensor.randn(2, 1, 1, 4, 8), v = Tensor.randn(3, 1, 1, 4, 8);
        AttentionResult a = Attention.flash().forward(AttentionProblem.of(q, k, v, Masks.full()));
        // A side whose rows saw no key: LSE -inf and, here, garbage NaN outputs: they must not reach the merge.
        Tensor nanOut = Tensor.zeros(1, 1, 4, 8);
        for (int i = 0; i < 4; i++) for (int x = 0; x < 8; x++) nanOut.set(Float.NaN, 0, 0, i, x);
        Tensor minusInf = Tensor.of(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.NEGATIVE_INFINITY}, 1, 1, 4);
        AttentionResult empty = new AttentionResult(nanOut, minusInf, AttentionResult.Stats.NONE);
        AttentionResult m = LseMerge.merge(a, empty);
        assertEquals(0, Cases.maxAbsDiff(a.out(), m.out()));
        assertEquals(0, Cases.maxAbsDiff(a.lse(), m.lse()));
        // A NaN partial makes the merged row and LSE NaN, never a finite LSE beside a NaN output.
        Tensor nanLse = Tensor.of(new float[] {Float.NaN, 0, 0, 0}, 1, 1, 4);
        AttentionResult bad = new AttentionResult(a.out(), nanLse, AttentionResult.Stats.NONE);
        AttentionResult mb = LseMerge.merge(a, bad);
        assertTrue(Float.isNaN(mb.lse().get(0, 0, 0)));
        assertTrue(rowIsNaN(mb.out(), 0));
        assertTrue(Float.isFinite(mb.lse().get(0, 0, 1)));
    }

    @Test
    void problemsCanBeCheckedForNonFiniteInputsOnRequest() {
        AttentionProblem p = withNan(true, 3, Masks.full());
        assertMessage(p::requireFinite, "v: element [0, 0, 3, 0] is NaN");
        AttentionProblem.of(Tensor.randn(1, 1, 1, 2, 4), Tensor.randn(2, 1, 1, 2, 4), Tensor.randn(3, 1, 1, 2, 4), Masks.full()).requireFinite();
    }

    @Test
    void hugeBlockSparseArgumentsDoNotOverflow() {
        // Found in trial: the tile count overflowed an int and the mask came out empty (all zeros, LSE -inf).
        Mask m = Mask.parse("block-sparse-random:2147483647,2147483647,1,0");
        assertEquals(64, m.area(1, 1, 8, 8));
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 1, 1, 8, 4), Tensor.randn(2, 1, 1, 8, 4), Tensor.randn(3, 1, 1, 8, 4), m);
        assertEquals(0, Cases.maxAbsDiff(Attention.reference().forward(p.withMask(Masks.full())).out(), Attention.flash().forward(p).out()), 1e-5);
        assertMessage(() -> Masks.blockSparseRandom(1, 1, 0.5, 0).compile(1, 1, 65536, 65536, 96, 96), "tiles, expected fewer than 2^31");
        assertMessage(() -> Masks.causal().compile(1, 1, 8, 8, 96, 96).count(0, 0, 3), "qb: expected 0 <= qb < 1, got 3");
    }
}
