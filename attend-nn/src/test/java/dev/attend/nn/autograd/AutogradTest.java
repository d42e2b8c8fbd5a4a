package dev.attend.nn.autograd;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The graph itself: accumulation, shared inputs, freeing, no-grad, and refusals. */
class AutogradTest {
    @Test
    void aSharedInputGetsTheSumOfItsPathsAndLeavesAccumulateAcrossPasses() {
        Var x = Var.leaf(Tensor.of(new float[] {1, 2, 3}, 3));
        // L = sum(x * x + x) -> dL/dx = 2x + 1
        Reductions.sumAll(Pointwise.add(Pointwise.mul(x, x), x)).backward();
        assertArrayEquals(new float[] {3, 5, 7}, x.grad().toArray());
        Reductions.sumAll(x).backward();
        assertArrayEquals(new float[] {4, 6, 8}, x.grad().toArray());
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void backwardFreesIntermediateGradientsAndRefusesASecondPass() {
        Var x = Var.leaf(Tensor.randn(1, 4, 4));
        Var h = Pointwise.gelu(x);
        Var loss = Reductions.sumAll(h);
        loss.backward();
        assertNull(h.grad(), "non-leaf gradient released");
        var e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("already used"), e.getMessage());
    }

    @Test
    void noGradRecordsNothing() throws Exception {
        Var x = Var.leaf(Tensor.randn(1, 2, 3));
        Var y;
        try (AutoCloseable s = Var.noGrad()) {
            assertFalse(Var.gradEnabled());
            y = Pointwise.exp(x);
        }
        assertTrue(Var.gradEnabled());
        assertFalse(y.requiresGrad());
        assertThrows(IllegalStateException.class, () -> Reductions.sumAll(y).backward());
    }

    @Test
    void badShapesNameTheArgument() {
        Var a = Var.leaf(Tensor.randn(1, 2, 3)), b = Var.leaf(Tensor.randn(2, 4, 3));
        var e = assertThrows(IllegalArgumentException.class, () -> Pointwise.add(a, b));
        assertTrue(e.getMessage().startsWith("add: shapes [2, 3] and [4, 3] do not broadcast"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MatMuls.matmul(a, b));
        assertTrue(e.getMessage().startsWith("matmul: inner dimensions"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Shapes.embedding(a, new int[] {0, 2}, 2));
        assertTrue(e.getMessage().contains("id at position 1 must be in [0, 2), got 2"), e.getMessage());
    }

    @Test
    void attentionMatchesTheReferenceAndMechanismsWithoutBackwardAreRefusedOnlyWhenTraining() throws Exception {
        Var q = Var.leaf(Tensor.randn(1, 1, 2, 5, 8)), k = Var.leaf(Tensor.randn(2, 1, 2, 5, 8)), v = Var.leaf(Tensor.randn(3, 1, 2, 5, 8));
        Var out = AttentionOp.attention(q, k, v, Masks.causal());
        float[] want = Attention.reference().forward(dev.attend.attention.AttentionProblem.of(q.value(), k.value(), v.value(), Masks.causal())).out().toArray();
        float[] got = out.data();
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5);
        Optional<MechanismDescriptor> noBackward = Attention.descriptors().stream().filter(d -> !d.capabilities().backward()).findFirst();
        if (noBackward.isPresent()) {
            AttentionMechanism m = Attention.of(noBackward.get().name());
            var e = assertThrows(IllegalArgumentException.class,
                    () -> AttentionOp.attention(q, k, v, m, Masks.causal(), 0.35f));
            assertTrue(e.getMessage().contains("has no backward pass") && e.getMessage().contains("flash"), e.getMessage());
        }
    }
}
