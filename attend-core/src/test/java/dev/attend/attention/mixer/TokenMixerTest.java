package dev.attend.attention.mixer;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.linear.RecurrentState;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The token mixers against their direct definitions: the FFT convolutions equal the O(L^2) Toeplitz sums (causal and
 * symmetric), FNet equals the direct 2-D DFT (lengths that are and are not powers of two), S4D's recurrence equals its
 * convolution, the causal forms are prefix-invariant, and q and k are ignored.
 */
class TokenMixerTest {

    private static AttentionProblem problem(long seed, int l, int d, Mask mask) {
        return AttentionProblem.of(Tensor.randn(seed, 1, 2, l, d), Tensor.randn(seed + 1, 1, 1, l, d), Tensor.randn(seed + 2, 1, 1, l, d), mask);
    }

    @ParameterizedTest
    @ValueSource(strings = {"long-conv", "s4d"})
    void theFftConvolutionEqualsTheToeplitzSum(String name) {
        ConvolutionMixer m = (ConvolutionMixer) Attention.of(name);
        for (Mask mask : new Mask[] {Masks.causal(), Masks.full()}) {
            boolean causal = !mask.kind().orElseThrow().equals("full");
            AttentionProblem p = problem(1, 45, 8, mask);
            Tensor out = m.forward(p).out();
            for (int c = 0; c < 8; c++) {
                double[] h = m.kernel(c, 8, 45);
                for (int i = 0; i < 45; i++) {
                    double y = 0;
                    for (int j = 0; j < (causal ? i + 1 : 45); j++) y += h[Math.abs(i - j)] * p.v().get(0, 0, j, c);
                    for (int head = 0; head < 2; head++) assertEquals(y, out.get(0, head, i, c), 1e-4 * (1 + Math.abs(y)), name + " " + mask.describe());
                }
            }
        }
    }

    @Test
    void fnetIsTheRealPartOfTheTwoDimensionalDft() {
        for (int l : new int[] {16, 21}) {
            int d = 6;
            AttentionProblem p = problem(2, l, d, Masks.full());
            Tensor out = Attention.of("fnet").forward(p).out();
            for (int a = 0; a < l; a++) {
                for (int c = 0; c < d; c++) {
                    double re = 0;
                    for (int t = 0; t < l; t++) {
                        for (int x = 0; x < d; x++) re += p.v().get(0, 0, t, x) * Math.cos(-2 * Math.PI * ((double) a * t / l + (double) c * x / d));
                    }
                    assertEquals(re, out.get(0, 1, a, c), 1e-4 * (1 + Math.abs(re)), "L=" + l + " (" + a + ", " + c + ")");
                }
            }
        }
    }

    @Test
    void s4dRecurrenceEqualsItsConvolution() {
        S4dMixer m = (S4dMixer) Attention.of("s4d:states=16");
        AttentionProblem p = problem(3, 40, 8, Masks.causal());
        Tensor parallel = m.forward(p).out();
        RecurrentState s = m.newState(8);
        float[] v = new float[8], out = new float[8];
        for (int i = 0; i < 40; i++) {
            p.v().readRow(i, v, 0);
            s.step(null, null, v, out);
            for (int c = 0; c < 8; c++) assertEquals(parallel.get(0, 0, i, c), out[c], 1e-4 * (1 + Math.abs(out[c])), "row " + i);
        }
        assertEquals(2 * 8 * 16, s.stateFloats());
    }

    @ParameterizedTest
    @ValueSource(strings = {"long-conv", "s4d"})
    void causalFormsArePrefixInvariantAndIgnoreQueriesAndKeys(String name) {
        AttentionMechanism m = Attention.of(name);
        AttentionProblem p = problem(4, 50, 8, Masks.causal());
        Tensor full = m.forward(p).out();
        AttentionProblem pre = AttentionProblem.of(p.q().slice(2, 0, 20).contiguous(), p.k().slice(2, 0, 20).contiguous(), p.v().slice(2, 0, 20).contiguous(), Masks.causal());
        Tensor got = m.forward(pre).out();
        for (int i = 0; i < 20; i++) for (int c = 0; c < 8; c++) assertEquals(full.get(0, 0, i, c), got.get(0, 0, i, c), 1e-5 * (1 + Math.abs(got.get(0, 0, i, c))));
        AttentionProblem otherQk = AttentionProblem.of(Tensor.randn(9, 1, 2, 50, 8), Tensor.randn(10, 1, 1, 50, 8), p.v(), Masks.causal());
        assertArrayEquals(full.toArray(), m.forward(otherQk).out().toArray());
    }

    @Test
    void fnetHasNoCausalForm() {
        assertTrue(Attention.of("fnet").supports(problem(5, 8, 4, Masks.causal())).reason().contains("masks: expected one of full"));
    }
}
