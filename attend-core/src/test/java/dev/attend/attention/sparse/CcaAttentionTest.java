package dev.attend.attention.sparse;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.InputFamily;
import dev.attend.attention.Workload;
import dev.attend.attention.mask.Masks;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.ValueLayout;

import static dev.attend.attention.sparse.HyperAttentionTest.assertExact;
import static dev.attend.attention.sparse.HyperAttentionTest.problem;
import static dev.attend.attention.sparse.HyperAttentionTest.relError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CCA-Attention: exact limits, the definition (attention map), causality, decoding from the reduced cache, gradients. */
class CcaAttentionTest {

    @Test
    void aWindowAsLongAsTheSequenceOrGroupsOfOneAreExactCausal() {
        AttentionProblem p = problem(1, 2, 4, 2, 100, 100, 16, Masks.causal());
        assertExact(p, Attention.of("cca:group=16,window=100").forward(p));
        assertExact(p, Attention.of("cca:group=16,window=5000").forward(p));
        assertExact(p, Attention.of("cca:group=1,window=5").forward(p));
        AttentionProblem br = problem(2, 1, 1, 1, 77, 77, 32, Masks.causalBottomRight());
        assertExact(br, Attention.of("cca:group=1,window=1").forward(br));
    }

    @Test
    void theOutputIsItsAttentionMapTimesTheValuesAndEveryRowOfTheMapSumsToOne() {
        CcaAttention m = (CcaAttention) Attention.of("cca:group=4,window=8");
        AttentionProblem p = problem(3, 1, 2, 1, 70, 70, 16, Masks.causal());
        float[] out = m.forward(p).out().toArray();
        int l = 70, d = 16;
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i < l; i++) {
                double[] map = m.attentionRow(p, 0, h, i);
                double sum = 0;
                for (int k = 0; k < l; k++) {
                    sum += map[k];
                    assertTrue(map[k] >= 0, "weights are non-negative");
                    if (k > i) assertEquals(0, map[k], "row " + i + " sees no later token");
                }
                assertEquals(1, sum, 1e-12, "row " + i);
                for (int x = 0; x < d; x++) {
                    double want = 0;
                    for (int k = 0; k <= i; k++) want += map[k] * p.v().get(0, 0, k, x);
                    assertEquals(want, out[(h * l + i) * d + x], 2e-5, "row " + i + ", head " + h);
                }
            }
        }
        // With pooling active the map is not exact attention (the test above would be vacuous otherwise).
        assertTrue(relError(p, Attention.reference().forward(p), m) > 1e-3);
    }

    @Test
    void theCabPrefixProperty() {
        AttentionMechanism m = Attention.of("cca:group=4,window=8");
        AttentionProblem p = problem(4, 1, 2, 2, 90, 90, 16, Masks.causal());
        float[] full = m.forward(p).out().toArray();
        for (int i : new int[] {0, 7, 8, 11, 12, 40, 89}) {
            AttentionProblem prefix = AttentionProblem.of(p.q().slice(2, 0, i + 1), p.k().slice(2, 0, i + 1), p.v().slice(2, 0, i + 1), Masks.causal());
            float[] part = m.forward(prefix).out().toArray();
            for (int h = 0; h < 2; h++) {
                for (int x = 0; x < 16; x++) {
                    assertEquals(full[(h * 90 + i) * 16 + x], part[(h * (i + 1) + i) * 16 + x], 1e-6, "row " + i + ", head " + h);
                }
            }
        }
    }

    @Test
    void incrementalDecodingEqualsRecomputation() {
        CcaAttention m = (CcaAttention) Attention.of("cca:group=4,window=8");
        int l = 80, d = 16, hq = 4, hkv = 2;
        AttentionProblem p = problem(5, 2, hq, hkv, l, l, d, Masks.causal());
        AttentionResult whole = m.forward(p);
        CcaCache cache = m.newCache(2, hq, hkv, d);
        for (int t = 0; t < l; t++) {
            AttentionResult step = cache.step(p.q().slice(2, t, t + 1), p.k().slice(2, t, t + 1), p.v().slice(2, t, t + 1), p.scale());
            for (int b = 0; b < 2; b++) {
                for (int h = 0; h < hq; h++) {
                    assertEquals(whole.lse().get(b, h, t), step.lse().get(b, h, 0), 1e-5, "lse at token " + t);
                    for (int x = 0; x < d; x++) {
                        assertEquals(whole.out().get(b, h, t, x), step.out().get(b, h, 0, x), 1e-5, "token " + t + " (b=" + b + ", h=" + h + ")");
                    }
                }
            }
            assertEquals((t + 1) / 4, cache.coreTokens());
            assertTrue(cache.rawTokens() <= 8 + 4 - 1, "ring of s + g - 1 raw tokens");
        }
        assertTrue(cache.bytes() < cache.fullCacheBytes(), cache.bytes() + " >= " + cache.fullCacheBytes());
        var e = assertThrows(IllegalArgumentException.class, () -> cache.step(p.q().slice(2, 0, 2), p.k().slice(2, 0, 1), p.v().slice(2, 0, 1), 1f));
        assertTrue(e.getMessage().startsWith("q: expected shape [2, 4, 1, 16]"), e.getMessage());
    }

    @Test
    void gradientsMatchFiniteDifferencesThroughPoolingCoreTokensAndTheJointSoftmax() {
        CcaAttention m = (CcaAttention) Attention.of("cca:group=3,window=5");
        int l = 26, d = 8;
        AttentionProblem p = problem(6, 1, 2, 1, l, l, d, Masks.causal());
        Tensor dOut = Tensor.randn(7, p.q().shape());
        Gradients g = m.backward(p, m.forward(p), dOut);
        check(m, p, dOut, p.q(), g.dq());
        check(m, p, dOut, p.k(), g.dk());
        check(m, p, dOut, p.v(), g.dv());
    }

    /** d/dx of sum(dOut * out), out from the double-precision attention map, by central differences. */
    private static void check(CcaAttention m, AttentionProblem p, Tensor dOut, Tensor x, Tensor grad) {
        float[] gs = grad.toArray(), xs = x.toArray();
        double h = 1e-2;
        for (int i = 0; i < xs.length; i++) {
            float keep = xs[i];
            x.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (keep + h));
            double plus = loss(m, p, dOut);
            x.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (keep - h));
            double minus = loss(m, p, dOut);
            x.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, keep);
            double fd = (plus - minus) / (2 * h);
            assertEquals(fd, gs[i], 2e-3 * (1 + Math.abs(fd)), "element " + i);
        }
    }

    private static double loss(CcaAttention m, AttentionProblem p, Tensor dOut) {
        int l = p.lq(), d = p.headDim();
        double s = 0;
        for (int h = 0; h < p.hq(); h++) {
            for (int i = 0; i < l; i++) {
                double[] map = m.attentionRow(p, 0, h, i);
                for (int x = 0; x < d; x++) {
                    double o = 0;
                    for (int k = 0; k <= i; k++) o += map[k] * p.v().get(0, h / (p.hq() / p.hkv()), k, x);
                    s += dOut.get(0, h, i, x) * o;
                }
            }
        }
        return s;
    }

    @ParameterizedTest
    @EnumSource(InputFamily.class)
    void errorFallsAsTheWindowGrows(InputFamily family) {
        Workload.Shape shape = Workload.Shape.self(1, 2, 2, 1024, 32);
        AttentionProblem p = new Workload("cca", Workload.Pass.FORWARD, shape, Workload.MaskAt.fixed("causal")).problem(family, 31);
        AttentionResult want = Attention.reference().forward(p);
        double[] err = new double[4];
        int[] windows = {16, 64, 256, 1024};
        for (int i = 0; i < 4; i++) err[i] = relError(p, want, Attention.of("cca:group=16,window=" + windows[i]));
        String what = family + ": " + java.util.Arrays.toString(err);
        for (int i = 1; i < 3; i++) assertTrue(err[i] < err[i - 1], what);
        assertTrue(err[0] > 1e-3, what);
        assertEquals(0, err[3], 1e-5, what);
    }

    @Test
    void badParametersAndProblemsAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> Attention.of("cca:group=0"));
        assertTrue(e.getMessage().contains("parameter 'group' expects an integer in [1, 65536], got '0'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.of("cca:window=0"));
        assertTrue(e.getMessage().contains("parameter 'window' expects an integer in [1, 1073741824], got '0'"), e.getMessage());
        AttentionMechanism m = Attention.of("cca");
        assertFalse(m.supports(problem(8, 1, 1, 1, 30, 30, 16, Masks.full())).supported(), "full mask: not causal");
        assertFalse(m.supports(problem(9, 1, 1, 1, 20, 30, 16, Masks.causalBottomRight())).supported(), "cross attention");
        e = assertThrows(IllegalArgumentException.class, () -> new CcaCache(16, 0, 1, 1, 1, 16));
        assertTrue(e.getMessage().startsWith("window: expected at least 1, got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new CcaCache(16, 8, 1, 3, 2, 16));
        assertTrue(e.getMessage().startsWith("qHeads: expected a multiple of kvHeads=2, got 3"), e.getMessage());
    }

    /** No seed, so no randomness: the same inputs give bit-identical outputs and LSEs, on one thread as on all. */
    @Test
    void resultsAreBitIdenticalAcrossCallsAndThreadCounts() {
        AttentionProblem p = problem(10, 1, 2, 1, 700, 700, 32, Masks.causal());
        AttentionMechanism m = Attention.of("cca:group=8,window=64");
        AttentionResult a = m.forward(p);
        assertArrayEquals(a.out().toArray(), m.forward(p).out().toArray(), "same call again");
        assertArrayEquals(a.lse().toArray(), m.forward(p).lse().toArray(), "same call again: lse");
        assertArrayEquals(a.out().toArray(), Parallel.withThreads(1, () -> m.forward(p).out().toArray()), "one thread");
    }
}
