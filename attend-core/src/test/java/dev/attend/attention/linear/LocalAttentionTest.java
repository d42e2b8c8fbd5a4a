package dev.attend.attention.linear;

import dev.attend.attention.RecurrentState;
import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Local attention: the reference under the window mask (forward, LSE, backward), its ring-buffer decoding, its refusals. */
class LocalAttentionTest {

    private static AttentionProblem problem(Mask mask) {
        return AttentionProblem.of(Tensor.randn(1, 1, 4, 50, 16), Tensor.randn(2, 1, 2, 50, 16), Tensor.randn(3, 1, 2, 50, 16), mask);
    }

    @Test
    void equalsTheReferenceUnderTheWindowMask() {
        var local = Attention.of("local", Map.of("window", 7));
        for (Mask[] pair : new Mask[][] {{Masks.full(), Masks.slidingWindowBidirectional(7)}, {Masks.causal(), Masks.slidingWindow(7)}}) {
            AttentionProblem p = problem(pair[0]), windowed = p.withMask(pair[1]);
            AttentionResult want = Attention.reference().forward(windowed), got = local.forward(p);
            assertTrue(max(want.out(), got.out()) < 2e-5, pair[0].describe());
            assertTrue(max(want.lse(), got.lse()) < 2e-4, pair[0].describe());
            Tensor dOut = Tensor.randn(4, p.q().shape());
            Gradients gw = Attention.reference().backward(windowed, want, dOut), gg = local.backward(p, got, dOut);
            assertTrue(max(gw.dq(), gg.dq()) < 1e-4 && max(gw.dk(), gg.dk()) < 1e-4 && max(gw.dv(), gg.dv()) < 1e-4, pair[0].describe());
        }
    }

    @Test
    void decodingFromTheRingEqualsTheParallelCausalForm() {
        LocalAttention local = (LocalAttention) Attention.of("local", Map.of("window", 5));
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 1, 1, 30, 8), Tensor.randn(2, 1, 1, 30, 8), Tensor.randn(3, 1, 1, 30, 8), Masks.causal());
        Tensor want = local.forward(p).out();
        RecurrentState s = local.newState(8, p.scale(), Integer.MAX_VALUE);
        float[] q = new float[8], k = new float[8], v = new float[8], out = new float[8];
        for (int i = 0; i < 30; i++) {
            p.q().readRow(i, q, 0);
            p.k().readRow(i, k, 0);
            p.v().readRow(i, v, 0);
            s.step(q, k, v, out);
            for (int x = 0; x < 8; x++) assertEquals(want.get(0, 0, i, x), out[x], 1e-5f, "row " + i);
        }
        assertEquals(2 * 5 * 8, s.stateFloats());
    }

    @Test
    void aWindowOfZeroAndCrossAttentionAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> Attention.of("local:window=0"));
        assertTrue(e.getMessage().contains("parameter 'window' expects an integer in [1, 1073741824], got '0'"), e.getMessage());
        AttentionProblem cross = AttentionProblem.of(Tensor.randn(1, 1, 1, 10, 8), Tensor.randn(2, 1, 1, 12, 8), Tensor.randn(3, 1, 1, 12, 8), Masks.full());
        assertTrue(Attention.of("local").supports(cross).reason().contains("patterns: expected noncausal self, causal self"));
    }

    private static double max(Tensor a, Tensor b) {
        float[] x = a.toArray(), y = b.toArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) if (x[i] != y[i]) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }
}
