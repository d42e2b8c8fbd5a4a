package dev.attend.attention.mixer;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.RecurrentState;
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
 * convolution, the causal forms are prefix-invariant, q and k are ignored, and the backward pass is the adjoint.
 */
class TokenMixerTest {

    private static AttentionProblem problem(long seed, int l, int d, Mask mask) {
        return AttentionProblem.of(Tensor.randn(seed, 1, 2, l, d), Tensor.randn(seed + 1, 1, 1, l, d), Tensor.randn(seed + 2, 1, 1, l, d), mask);
    }

    /** 45 tokens: one partial chunk of S4D's scan; 200: three whole chunks and a partial one, over 7 channels (the FFT's pairs and one left). */
    @ParameterizedTest
    @ValueSource(strings = {"long-conv:45", "s4d:45", "long-conv:200", "s4d:200"})
    void theParallelFormEqualsTheToeplitzSum(String nameAndLength) {
        String name = nameAndLength.split(":")[0];
        int l = Integer.parseInt(nameAndLength.split(":")[1]);
        ConvolutionMixer m = (ConvolutionMixer) Attention.of(name);
        int d = l == 200 ? 7 : 8;
        for (Mask mask : new Mask[] {Masks.causal(), Masks.full()}) {
            boolean causal = !mask.kind().orElseThrow().equals("full");
            AttentionProblem p = problem(1, l, d, mask);
            Tensor out = m.forward(p).out();
            for (int c = 0; c < d; c++) {
                double[] h = m.kernel(c, d, l);
                for (int i = 0; i < l; i++) {
                    double y = 0;
                    for (int j = 0; j < (causal ? i + 1 : l); j++) y += h[Math.abs(i - j)] * p.v().get(0, 0, j, c);
                    for (int head = 0; head < 2; head++) assertEquals(y, out.get(0, head, i, c), 1e-4 * (1 + Math.abs(y)), name + " " + mask.describe());
                }
            }
        }
    }

    /** A NaN value at token 150 (S4D: inside its third chunk) reaches the causal rows from 150 on, and no earlier one. */
    @ParameterizedTest
    @ValueSource(strings = {"long-conv", "s4d"})
    void aNonFiniteValueReachesOnlyTheCausalRowsThatSeeIt(String name) {
        AttentionProblem clean = problem(4, 200, 8, Masks.causal());
        Tensor v = clean.v().copy();
        v.set(Float.NaN, 0, 0, 150, 3);
        Tensor want = Attention.of(name).forward(clean).out();
        Tensor got = Attention.of(name).forward(AttentionProblem.of(clean.q(), clean.k(), v, Masks.causal())).out();
        for (int i = 0; i < 200; i++) {
            for (int c = 0; c < 8; c++) {
                if (i >= 150 && c == 3) assertTrue(Float.isNaN(got.get(0, 1, i, c)), name + " row " + i);
                else if (c == 3) assertEquals(want.get(0, 1, i, c), got.get(0, 1, i, c), 1e-5 * (1 + Math.abs(want.get(0, 1, i, c))), name + " row " + i);
                else assertEquals(want.get(0, 1, i, c), got.get(0, 1, i, c), name + " row " + i + " channel " + c);
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
        RecurrentState s = m.newState(8, 1f, Integer.MAX_VALUE);
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

    /**
     * The backward pass is the adjoint: {@code <dOut, P v> = <dv, v>} for random v and dOut (every form, GQA 2:1 so the
     * group's heads add up in dv); a value gradient equals the exact finite difference of the (linear) forward; dq and
     * dk are 0.
     */
    @ParameterizedTest
    @ValueSource(strings = {"long-conv", "s4d", "fnet"})
    void theBackwardIsTheAdjointOfTheMixing(String name) {
        AttentionMechanism m = Attention.of(name);
        for (Mask mask : name.equals("fnet") ? new Mask[] {Masks.full()} : new Mask[] {Masks.full(), Masks.causal()}) {
            AttentionProblem p = problem(11, 37, 8, mask);
            Tensor dOut = Tensor.randn(12, p.q().shape());
            var g = m.backward(p, m.forward(p), dOut);
            float[] o = m.forward(p).out().toArray(), go = dOut.toArray(), dv = g.dv().toArray(), v = p.v().toArray();
            double lhs = 0, rhs = 0, scale = 0;
            for (int i = 0; i < o.length; i++) {
                lhs += (double) go[i] * o[i];
                scale += Math.abs((double) go[i] * o[i]);
            }
            for (int i = 0; i < v.length; i++) rhs += (double) dv[i] * v[i];
            assertEquals(lhs, rhs, 1e-5 * scale, name + " " + mask.describe() + ": <dOut, P v> against <dv, v>");
            for (float x : g.dq().toArray()) assertEquals(0f, x);
            for (float x : g.dk().toArray()) assertEquals(0f, x);
            for (int at : new int[] {0, 5 * 8 + 3, 36 * 8 + 7}) {
                float keep = v[at];
                p.v().set(keep + 1f, 0, 0, at / 8, at % 8);
                float[] up = m.forward(p).out().toArray();
                p.v().set(keep, 0, 0, at / 8, at % 8);
                double fd = 0;
                for (int i = 0; i < o.length; i++) fd += (double) go[i] * (up[i] - o[i]);
                assertEquals(fd, dv[at], 1e-3 * (1 + Math.abs(fd)), name + " " + mask.describe() + " dv[" + at + "]");
            }
        }
    }
}
