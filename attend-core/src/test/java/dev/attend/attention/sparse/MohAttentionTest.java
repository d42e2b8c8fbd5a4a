package dev.attend.attention.sparse;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MoH: MHA in the all-active uniform limit, hand-computed gates and loss, gate gradient, gathered rows, causality. */
class MohAttentionTest {

    private static MohAttention moh(String spec) {
        return (MohAttention) Attention.of(spec);
    }

    private static AttentionProblem problem(int hq, int hkv, int lq, int lk, int d, Mask mask, long seed) {
        return AttentionProblem.of(Tensor.randn(seed, 1, hq, lq, d), Tensor.randn(seed + 1, 1, hkv, lk, d), Tensor.randn(seed + 2, 1, hkv, lk, d), mask);
    }

    @Test
    void allHeadsActiveWithAUniformRouterIsMultiHeadAttention() {
        AttentionProblem p = problem(6, 2, 300, 300, 32, Masks.causal(), 1);
        MohAttention m = moh("moh:shared=2,active=1,router=uniform,gating=moh");
        MohRouter.Routing r = m.route(p);
        for (float g : r.gates()) assertEquals(1f, g, 1e-6f, "uniform router, every head on: every gate is 1");
        AttentionResult want = Attention.reference().forward(p), got = m.forward(p);
        assertEquals(0, SaleAttentionTest.maxAbsDiff(want.out(), got.out()), 2e-5);
        assertEquals(0, SaleAttentionTest.maxAbsDiff(want.lse(), got.lse()), 2e-4);
    }

    /**
     * Three heads (one shared, two routed, top-1), D = 2, two tokens. Token 0: norms 5 (shared), 1, 2. Routed softmax
     * (e/(e+e^2), e^2/(e+e^2)) = (0.26894, 0.73106): head 2 wins, renormalised gate 1. Shared gate 1 * softmax([5]) = 1.
     * [a1, a2] = 2 softmax(5, 1.5) = (1.94138, 0.05862). Token 1: norms 1 (shared), 3, 0: head 1 wins with p = 0.95257;
     * [a1, a2] = 2 softmax(1, 1.5) = (0.75508, 1.24492). Load balance: f = (1/2, 1/2), P = ((0.26894 + 0.95257)/2,
     * (0.73106 + 0.04743)/2), L = 0.5 * 0.61076 + 0.5 * 0.38924 = 0.5.
     */
    @Test
    void gatesAndLoadBalanceLossOnAHandComputedCase() {
        float[] q = {3, 4, 1, 0,   // head 0: tokens 0, 1
                     0, 1, 0, 3,   // head 1
                     2, 0, 0, 0};  // head 2
        MohRouter.Routing r = MohRouter.route(Tensor.of(q, 1, 3, 2, 2), 1, 1, MohRouter.Kind.NORM);
        float[] g = r.gates();   // [(h * 2) + token]
        assertEquals(1.94138, g[0], 1e-4, "shared head, token 0: a1 * 1");
        assertEquals(0.75508, g[1], 1e-4, "shared head, token 1");
        assertEquals(0, g[2], "routed head 1 loses token 0");
        assertEquals(1.24492, g[3], 1e-4, "routed head 1 wins token 1: a2 * 1 * p / p");
        assertEquals(0.05862, g[4], 1e-4, "routed head 2 wins token 0");
        assertEquals(0, g[5], "routed head 2 loses token 1");
        assertEquals(1.94138, r.groupWeights()[0], 1e-4);
        assertEquals(0.05862, r.groupWeights()[1], 1e-4);
        assertEquals(0.26894, r.routedProbabilities()[0], 1e-4);
        assertEquals(0.95257, r.routedProbabilities()[2], 1e-4);
        assertEquals(0.5, r.loadBalanceLoss(), 1e-5);
        assertEquals(4.0 / 6, r.activeFraction(), 1e-12);
        assertEquals(0.01, MohRouter.LOAD_BALANCE_WEIGHT);
    }

    @Test
    void routedGatesSumToTopKAndGroupWeightsToTwo() {
        AttentionProblem p = problem(8, 8, 50, 50, 16, Masks.causal(), 3);
        MohRouter.Routing r = MohRouter.route(p.q(), 2, 3, MohRouter.Kind.NORM);
        for (int i = 0; i < 50; i++) {
            double routed = 0, sharedSum = 0;
            int on = 0;
            for (int h = 0; h < 8; h++) {
                float g = r.gates()[h * 50 + i];
                if (g != 0) on++;
                if (h < 2) sharedSum += g;
                else routed += g;
            }
            float a1 = r.groupWeights()[i * 2], a2 = r.groupWeights()[i * 2 + 1];
            assertEquals(5, on, "2 shared + 3 routed heads per token");
            assertEquals(2.0, a1 + a2, 1e-5);
            assertEquals(2.0 * a1, sharedSum, 1e-4, "shared gates: a1 * shared * softmax, summing to a1 * shared");
            assertEquals(3.0 * a2, routed, 1e-4, "routed gates: a2 * k * renormalised softmax, summing to a2 * k");
        }
    }

    /** Random gates, some 0: active rows are gate * attention of the full problem, inactive rows 0, for every mask. */
    @Test
    void gatheredRowsEqualGatedMultiHeadAttention() {
        SplittableRandom rnd = new SplittableRandom(4);
        Object[][] cases = {
                {Masks.causal(), 500, 500}, {Masks.full(), 300, 300}, {Masks.slidingWindow(100), 400, 400},
                {Masks.documentsCausal(150, 50, 200), 400, 400}, {Masks.causalBottomRight(), 130, 450}, {Masks.full(), 90, 333}};
        for (Object[] c : cases) {
            Mask mask = (Mask) c[0];
            int lq = (int) c[1], lk = (int) c[2];
            AttentionProblem p = problem(4, 2, lq, lk, 64, mask, rnd.nextLong()).withScoreMod(ScoreMod.softCap(20));
            float[] gates = new float[4 * lq];
            for (int x = 0; x < gates.length; x++) gates[x] = rnd.nextDouble() < 0.4 ? 0f : (float) (0.2 + rnd.nextDouble());
            for (int i = 0; i < lq; i++) gates[3 * lq + i] = 0f;   // one head entirely off
            AttentionResult got = moh("moh").forward(p, gates), want = Attention.reference().forward(p);
            for (int h = 0; h < 4; h++) {
                for (int i = 0; i < lq; i++) {
                    float g = gates[h * lq + i];
                    for (int x = 0; x < 64; x++) {
                        assertEquals(g * want.out().get(0, h, i, x), got.out().get(0, h, i, x), 3e-5, mask.describe() + " h=" + h + " i=" + i);
                    }
                    float lse = got.lse().get(0, h, i);
                    if (g == 0) assertEquals(Float.NEGATIVE_INFINITY, lse);
                    else assertEquals(want.lse().get(0, h, i), lse, 2e-4);
                }
            }
        }
    }

    @Test
    void gateGradientMatchesFiniteDifferences() {
        AttentionProblem p = problem(3, 3, 200, 200, 32, Masks.causal(), 6);
        SplittableRandom rnd = new SplittableRandom(8);
        float[] gates = new float[3 * 200];
        for (int x = 0; x < gates.length; x++) gates[x] = rnd.nextDouble() < 0.3 ? 0f : (float) (0.5 + rnd.nextDouble());
        Tensor dOut = Tensor.randn(12, 1, 3, 200, 32);
        MohAttention m = moh("moh");
        float[] grad = m.run(p, gates).gateGradient(dOut);
        int checked = 0;
        for (int x = 0; x < gates.length && checked < 40; x += 7) {
            if (gates[x] == 0f) {
                assertEquals(0f, grad[x], "an inactive pair has no gradient");
                continue;
            }
            float eps = 0.01f;
            float[] up = gates.clone(), down = gates.clone();
            up[x] += eps;
            down[x] -= eps;
            double fd = (objective(m.forward(p, up), dOut) - objective(m.forward(p, down), dOut)) / (2 * eps);
            assertEquals(fd, grad[x], 2e-3 * Math.max(1, Math.abs(fd)), "gate " + x);
            checked++;
        }
        assertTrue(checked >= 20);
    }

    private static double objective(AttentionResult r, Tensor dOut) {
        float[] o = r.out().toArray(), g = dOut.toArray();
        double s = 0;
        for (int i = 0; i < o.length; i++) s += (double) o[i] * g[i];
        return s;
    }

    /** CAB: routing looks at each token's own queries only, so output[i] on the full input equals it on input[:t]. */
    @Test
    void causality() {
        AttentionProblem p = problem(4, 2, 700, 700, 32, Masks.causal(), 10);
        for (String spec : new String[] {"moh:shared=1,active=0.34", "moh:active=0.5,gating=moh"}) {
            MohAttention m = moh(spec);
            AttentionResult full = m.forward(p);
            for (int t : new int[] {1, 97, 300, 699}) {
                AttentionProblem prefix = new AttentionProblem(p.q().slice(2, 0, t).contiguous(), p.k().slice(2, 0, t).contiguous(),
                        p.v().slice(2, 0, t).contiguous(), Masks.causal(), ScoreMod.NONE, p.scale());
                Tensor head = full.out().slice(2, 0, t).contiguous();
                assertEquals(0, SaleAttentionTest.maxAbsDiff(head, m.forward(prefix).out()), 1e-6, spec + ", rows [0, " + t + ")");
            }
        }
    }

    @Test
    void workFallsWithTheActiveHeads() {
        AttentionProblem p = problem(8, 8, 1024, 1024, 32, Masks.causal(), 12);
        long all = moh("moh:active=1").forward(p).stats().scores();
        long half = moh("moh:active=0.5").forward(p).stats().scores();
        long quarter = moh("moh:active=0.25").forward(p).stats().scores();
        // The gathered rows of a head are computed in tiles whose columns reach the tile's last row: more than the
        // active rows' own causal prefixes (1.48x at half the heads here, 1.61x at a quarter: the thinner the active
        // rows, the wider a tile's span), but never less, and the work still falls with the active heads.
        for (String spec : new String[] {"moh:active=0.5", "moh:active=0.25"}) {
            float[] gates = moh(spec).route(p).binaryGates();
            long ideal = 0;
            for (int g = 0; g < gates.length; g++) if (gates[g] != 0) ideal += g % p.lq() + 1;
            long work = moh(spec).forward(p).stats().scores();
            assertTrue(work >= ideal && work < 1.75 * ideal, spec + ": " + work + " scores for active rows that need " + ideal);
        }
        assertTrue(half < 0.75 * all, "half the heads: " + half + " of " + all + " scores");
        assertTrue(quarter < 0.6 * half, "a quarter of the heads: " + quarter + " scores, half of them: " + half);
        assertEquals(4, moh("moh:active=0.5").topK(8));
        assertEquals(1, moh("moh:active=0.5").topK(1), "one head: it is routed and on");
        assertEquals(3, moh("moh:shared=2,active=0.5").topK(8));
    }

    @Test
    void badArgumentsAreRefused() {
        AttentionMechanism m = Attention.of("moh:shared=5");
        AttentionProblem p = problem(4, 4, 20, 20, 16, Masks.causal(), 1);
        assertFalse(m.supports(p).supported());
        assertTrue(m.supports(p).reason().contains("shared: expected at most Hq=4 shared heads, got 5"), m.supports(p).reason());
        var e = assertThrows(IllegalArgumentException.class, () -> moh("moh").forward(p, new float[3]));
        assertTrue(e.getMessage().contains("gates: expected B * Hq * Lq = 80 values, got 3"), e.getMessage());
        float[] nan = new float[80];
        nan[7] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> moh("moh").forward(p, nan));
        assertTrue(e.getMessage().contains("gates[7]: expected a finite number, got NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.of("moh:active=1.5"));
        assertTrue(e.getMessage().contains("parameter 'active' expects a number in [0, 1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MohRouter.route(p.q(), 1, 4, MohRouter.Kind.NORM));
        assertTrue(e.getMessage().contains("topK: expected 0 to 3 (the routed heads), got 4"), e.getMessage());
        AttentionResult none = moh("moh").forward(p, new float[80]);
        for (float x : none.out().toArray()) assertEquals(0f, x);
        assertEquals(Float.NEGATIVE_INFINITY, none.lse().get(0, 2, 5));
        assertTrue(Map.of().isEmpty());
    }
}
