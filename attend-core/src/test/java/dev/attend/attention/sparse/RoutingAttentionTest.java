package dev.attend.attention.sparse;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.InputFamily;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.attention.sparse.RoutingState.Routing;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static dev.attend.attention.sparse.SparseTesting.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Routing attention: exact limit, cluster structure, causality, merges, the EMA rule, gradients, budget, errors. */
class RoutingAttentionTest {

    private static RoutingAttention routing(Map<String, ?> params) {
        return (RoutingAttention) Attention.of("routing", params);
    }

    /** k = 1, w = n: one cluster holding every token is exact attention, forward and backward, causal or not. */
    @ParameterizedTest
    @CsvSource({"causal, 41, 41", "full, 41, 41", "full, 13, 29", "full, 29, 13"})
    void oneClusterIsExactAttention(String mask, int lq, int lk) {
        AttentionProblem p = random(3, 2, 3, 3, lq, lk, 32, Mask.parse(mask));
        for (AttentionMechanism m : new AttentionMechanism[] {routing(Map.of("clusters", 1)), routing(Map.of("exponent", 0.0))}) {
            AttentionResult want = Attention.reference().forward(p), got = m.forward(p);
            assertEquals(0, maxAbsDiff(want.out(), got.out()), 2e-6);
            assertEquals(0, maxAbsDiff(want.lse(), got.lse()), 2e-5);
            Tensor dOut = Tensor.randn(7, p.q().shape());
            Gradients gw = Attention.reference().backward(p, want, dOut), gg = m.backward(p, got, dOut);
            assertEquals(0, maxAbsDiff(gw.dq(), gg.dq()), 1e-5 * Math.max(1, maxAbs(gw.dq())));
            assertEquals(0, maxAbsDiff(gw.dk(), gg.dk()), 1e-5 * Math.max(1, maxAbs(gw.dk())));
            assertEquals(0, maxAbsDiff(gw.dv(), gg.dv()), 1e-5 * Math.max(1, maxAbs(gw.dv())));
        }
    }

    /** Top-w clusters: exactly w = ceil(L / k) distinct queries and keys each; unchosen queries are extras, once. */
    @ParameterizedTest
    @CsvSource({"100, 100, 10", "100, 100, 7", "37, 90, 5", "64, 64, 64", "50, 50, 1"})
    void everyTopWClusterHasExactlyWMembers(int lq, int lk, int k) {
        AttentionProblem p = random(11, 2, 2, 2, lq, lk, 16, Masks.full());
        Routing r = RoutingState.seeded(2, k, 16, 5).route(p.q(), p.k(), false);
        int wq = (lq + k - 1) / k, wk = (lk + k - 1) / k;
        for (int bh = 0; bh < 4; bh++) {
            Set<Integer> chosen = new HashSet<>(), extra = new HashSet<>();
            for (int c = 0; c < k; c++) {
                assertEquals(wq, r.queries()[bh][c].length);
                assertEquals(wk, r.keys()[bh][c].length);
                assertAscendingAndDistinct(r.queries()[bh][c]);
                assertAscendingAndDistinct(r.keys()[bh][c]);
                for (int i : r.queries()[bh][c]) chosen.add(i);
                for (int i : r.extra()[bh][c]) assertTrue(extra.add(i), "an extra query once");
            }
            for (int i = 0; i < lq; i++) assertTrue(chosen.contains(i) ^ extra.contains(i), "query " + i + ": a member or an extra, not both");
        }
    }

    /** Causal clusters: every token in exactly one; sizes n / k when k divides n, else floor or ceil. */
    @ParameterizedTest
    @CsvSource({"120, 12", "120, 7", "17, 17", "33, 1"})
    void everyCausalClusterHasExactlyWMembersWhenKDividesN(int n, int k) {
        AttentionProblem p = random(13, 1, 3, 3, n, n, 16, Masks.causal());
        Routing r = RoutingState.seeded(3, k, 16, 2).route(p.q(), p.k(), true);
        for (int bh = 0; bh < 3; bh++) {
            int[] owner = new int[n];
            Arrays.fill(owner, -1);
            for (int c = 0; c < k; c++) {
                int[] m = r.queries()[bh][c];
                assertArrayEquals(m, r.keys()[bh][c], "a token's query and key share a cluster");
                assertEquals(0, r.extra()[bh][c].length);
                if (n % k == 0) assertEquals(n / k, m.length);
                else assertTrue(m.length == n / k || m.length == n / k + 1, "size " + m.length);
                assertAscendingAndDistinct(m);
                for (int t : m) {
                    assertEquals(-1, owner[t], "token " + t + " in two clusters");
                    owner[t] = c;
                }
            }
            for (int t = 0; t < n; t++) assertTrue(owner[t] >= 0, "token " + t + " in no cluster");
        }
    }

    private static void assertAscendingAndDistinct(int[] a) {
        for (int i = 1; i < a.length; i++) assertTrue(a[i - 1] < a[i], Arrays.toString(a));
    }

    /** CAB causality with a fixed k: output i on the full input equals output i on the input up to i. */
    @ParameterizedTest
    @CsvSource({"4, 0", "9, 0", "4, 1"})
    void outputIDependsOnlyOnTheInputUpToI(int k, int localHeads) {
        int l = 96, d = 16;
        AttentionProblem p = random(17, 1, 3, 3, l, l, d, Masks.causal());
        RoutingAttention m = routing(Map.of("clusters", k, "localHeads", localHeads, "window", 8));
        AttentionResult full = m.forward(p);
        for (int i : new int[] {k - 1, k, 20, 47, 95}) {
            AttentionProblem pre = AttentionProblem.of(prefix(p.q(), i + 1), prefix(p.k(), i + 1), prefix(p.v(), i + 1), Masks.causal());
            AttentionResult part = m.forward(pre);
            for (int h = 0; h < 3; h++) {
                for (int x = 0; x < d; x++) assertEquals(full.out().get(0, h, i, x), part.out().get(0, h, i, x), 2e-6, "row " + i + " head " + h);
                assertEquals(full.lse().get(0, h, i), part.lse().get(0, h, i), 2e-6);
            }
        }
    }

    /** Why causal routing has its own rule: the paper's top-w membership of an early token depends on later tokens. */
    @Test
    void topWMembershipOfEarlyTokensDependsOnLaterOnes() {
        int l = 64, k = 8;
        AttentionProblem p = random(19, 1, 1, 1, l, l, 16, Masks.causal());
        RoutingState s = RoutingState.seeded(1, k, 16, 3);
        Routing whole = s.route(p.q(), p.k(), false), half = s.route(prefix(p.q(), 32), prefix(p.k(), 32), false);
        boolean differs = false;
        for (int c = 0; c < k; c++) {
            Set<Integer> early = new HashSet<>(), inHalf = new HashSet<>();
            for (int t : whole.keys()[0][c]) if (t < 32) early.add(t);
            for (int t : half.keys()[0][c]) inHalf.add(t);
            differs |= !early.equals(inHalf);
        }
        assertTrue(differs, "top-w clusters of the first 32 tokens are those of the prefix: the leak this test documents did not show");
        // The causal rule restricted to the prefix is the prefix's causal routing.
        Routing cw = s.route(p.q(), p.k(), true), ch = s.route(prefix(p.q(), 32), prefix(p.k(), 32), true);
        for (int c = 0; c < k; c++) {
            int[] early = Arrays.stream(cw.keys()[0][c]).filter(t -> t < 32).toArray();
            assertArrayEquals(early, ch.keys()[0][c]);
        }
    }

    /** A query in two clusters gets the softmax over the multiset union of their keys (the LSE merge); an extra query its cluster's keys. */
    @Test
    void aQueryInSeveralClustersGetsTheLseMergeAndAnExtraQueryItsClustersKeys() {
        int l = 6, d = 8;
        AttentionProblem p = random(29, 1, 1, 1, l, l, d, Masks.full());
        int[][][] queries = {{{0, 1, 2}, {2, 3, 4}}}, keys = {{{0, 1, 5}, {1, 2, 3}}}, extra = {{{}, {5}}};
        Routing r = new Routing(1, 1, 2, l, l, false, queries, keys, extra);
        RoutingAttention m = routing(Map.of("clusters", 2));
        AttentionResult got = m.forward(p, r);
        int[][] seen = {{0, 1, 5}, {0, 1, 5}, {0, 1, 5, 1, 2, 3}, {1, 2, 3}, {1, 2, 3}, {1, 2, 3}};
        for (int i = 0; i < l; i++) {
            double[] s = new double[seen[i].length];
            double mx = Double.NEGATIVE_INFINITY, z = 0;
            for (int j = 0; j < s.length; j++) {
                for (int x = 0; x < d; x++) s[j] += (double) p.q().get(0, 0, i, x) * p.k().get(0, 0, seen[i][j], x) * p.scale();
                mx = Math.max(mx, s[j]);
            }
            for (double v : s) z += Math.exp(v - mx);
            for (int x = 0; x < d; x++) {
                double o = 0;
                for (int j = 0; j < s.length; j++) o += Math.exp(s[j] - mx) / z * p.v().get(0, 0, seen[i][j], x);
                assertEquals(o, got.out().get(0, 0, i, x), 2e-6, "query " + i);
            }
            assertEquals(mx + Math.log(z), got.lse().get(0, 0, i), 2e-5);
        }
    }

    /** The EMA rule mu <- lambda mu + (1 - lambda) / 2 (mean member q + mean member k), on a case computed by hand. */
    @Test
    void emaUpdateOnAHandComputedCase() {
        // Centroids e1, e2. Queries (3, 4) -> (0.6, 0.8) and (0, 1); keys (1, 1) -> (s, s), s = 1/sqrt 2, and (1, 0).
        RoutingState s = RoutingState.of(new float[][][] {{{1, 0}, {0, 1}}});
        Tensor q = Tensor.of(new float[] {3, 4, 0, 1}, 1, 1, 2, 2), k = Tensor.of(new float[] {1, 1, 1, 0}, 1, 1, 2, 2);
        Routing r = s.route(q, k, false);
        // w = 1: centroid 0 takes query 0 (0.6 > 0) and key 1 (1 > s); centroid 1 query 1 (1 > 0.8) and key 0 (s > 0).
        assertArrayEquals(new int[] {0}, r.queries()[0][0]);
        assertArrayEquals(new int[] {1}, r.keys()[0][0]);
        assertArrayEquals(new int[] {1}, r.queries()[0][1]);
        assertArrayEquals(new int[] {0}, r.keys()[0][1]);
        s.update(r, q, k, 0.9);
        double h = Math.sqrt(0.5);
        // mu0 = 0.9 (1, 0) + 0.05 ((0.6, 0.8) + (1, 0)) = (0.98, 0.04); mu1 = 0.9 (0, 1) + 0.05 ((0, 1) + (s, s)).
        assertArrayEquals(new float[] {0.98f, 0.04f}, s.centroid(0, 0), 1e-6f);
        assertArrayEquals(new float[] {(float) (0.05 * h), (float) (0.9 + 0.05 * (1 + h))}, s.centroid(0, 1), 1e-6f);
        // decay 1 leaves the centroids; the mechanism's update slices its routed heads.
        RoutingState before = s.copy();
        s.update(r, q, k, 1.0);
        assertArrayEquals(before.centroid(0, 1), s.centroid(0, 1));
        var e = assertThrows(IllegalArgumentException.class, () -> s.update(r, q, k, 1.5));
        assertEquals("decay: expected a number in [0, 1], got 1.5", e.getMessage());
    }

    /** A training loop: route, forward, backward, update; the state moves and the same state routes the same way. */
    @Test
    void theStateIsUsableInATrainingLoop() {
        AttentionProblem p = random(33, 2, 3, 3, 64, 64, 16, Masks.causal());
        RoutingAttention m = routing(Map.of("clusters", 8, "localHeads", 1, "window", 16));
        RoutingState state = m.initialState(p);
        assertEquals(2, state.heads());
        float[] before = state.centroid(1, 3);
        for (int step = 0; step < 3; step++) {
            Routing r = m.route(p, state);
            AttentionResult fwd = m.forward(p, r);
            Gradients g = m.backward(p, r, fwd, Tensor.randn(step, p.q().shape()));
            assertTrue(Double.isFinite(maxAbs(g.dq())));
            m.update(state, p, r, 0.999);
        }
        assertFalse(Arrays.equals(before, state.centroid(1, 3)));
        // forward(p) is forward(p, route(p, initialState(p))).
        assertArrayEquals(m.forward(p).out().toArray(), m.forward(p, m.route(p, m.initialState(p))).out().toArray());
    }

    /** Gradients within clusters (flash backward on gathered copies, merged results) against central differences. */
    @ParameterizedTest
    @CsvSource({"causal, 4, 0", "full, 3, 0", "causal, 3, 1", "full, 5, 1"})
    void gradientsMatchFiniteDifferences(String mask, int k, int localHeads) {
        AttentionProblem p = random(37, 1, 2, 2, 24, 24, 8, Mask.parse(mask));
        RoutingAttention m = routing(Map.of("clusters", k, "localHeads", localHeads, "window", 5));
        Routing r = m.route(p, m.initialState(p));
        Tensor dOut = Tensor.randn(43, p.q().shape());
        Gradients g = m.backward(p, r, m.forward(p, r), dOut);
        for (Tensor[] xg : new Tensor[][] {{p.q(), g.dq()}, {p.k(), g.dk()}, {p.v(), g.dv()}}) {
            double err = finiteDifferenceError(xg[0], xg[1], 1e-2, 1, z -> dot(dOut, m.forward(p, r).out()));
            assertTrue(err < 3e-3, "finite differences differ by " + err);
        }
    }

    /**
     * Lowering the budget (exponent, so fewer and larger clusters) lowers the error on every family; 0 is exact, to the
     * fp32 accuracy of flash itself (on the clustered family, whose scores reach ~13, flash is ~1e-6 from fp64). Errors
     * above 1 at small clusters are not a defect: a query averaging the values of a few keys has an output several
     * times the norm of the exact one, which averages many (checked against a direct fp64 softmax over each query's
     * clusters: the kernel agrees to ~1e-6).
     */
    @ParameterizedTest
    @CsvSource({"GAUSSIAN, full", "CLUSTERED, full", "NEEDLE, full", "LOCAL, full", "GAUSSIAN, causal", "CLUSTERED, causal",
            "NEEDLE, causal", "LOCAL, causal"})
    void errorFallsAsClustersShrink(InputFamily family, String mask) {
        AttentionProblem p = family(family, 2, 256, 32, Mask.parse(mask), 5);
        Tensor want = Attention.reference().forward(p).out();
        double previous = Double.POSITIVE_INFINITY;
        StringBuilder seen = new StringBuilder();
        for (double exponent : new double[] {0.75, 0.5, 0.25, 0}) {
            double e = relError(want, routing(Map.of("exponent", exponent)).forward(p).out());
            seen.append(" exponent=").append(exponent).append(": ").append(e);
            assertTrue(e <= previous * 1.05 + 1e-7, family + " " + mask + ": error rose:" + seen);
            previous = e;
        }
        double flash = relError(want, Attention.flash().forward(p).out());
        assertTrue(previous <= 2 * flash + 1e-7, family + ": exponent 0 is not exact (flash itself: " + flash + "):" + seen);
    }

    /** Local heads: head h < localHeads is flash with the window and the mask; all heads local with a wide window is exact. */
    @Test
    void localHeadsAreSlidingWindowHeads() {
        AttentionProblem p = random(47, 1, 3, 3, 50, 50, 16, Masks.causal());
        AttentionResult got = routing(Map.of("localHeads", 1, "window", 6)).forward(p);
        AttentionProblem head0 = new AttentionProblem(p.q().slice(1, 0, 1), p.k().slice(1, 0, 1), p.v().slice(1, 0, 1),
                Masks.slidingWindow(6), ScoreMod.NONE, p.scale());
        AttentionResult want = Attention.reference().forward(head0);
        assertEquals(0, maxAbsDiff(want.out(), got.out().slice(1, 0, 1).contiguous()), 2e-6);
        AttentionResult allLocal = routing(Map.of("localHeads", 3, "window", 50)).forward(p);
        assertEquals(0, maxAbsDiff(Attention.reference().forward(p).out(), allLocal.out()), 2e-6);
    }

    @Test
    void badHyperparametersNameTheParameterAndTheRange() {
        AttentionProblem p = random(1, 1, 2, 2, 20, 20, 16, Masks.causal());
        AttentionMechanism tooMany = Attention.of("routing:clusters=21");
        assertEquals("mechanism 'routing:clusters=21' does not support this problem: clusters: expected at most min(Lq, Lk) = 20, got 21",
                tooMany.supports(p).reason());
        assertThrows(IllegalArgumentException.class, () -> tooMany.forward(p));
        assertTrue(Attention.of("routing:localHeads=3").supports(p).reason().contains("localHeads: expected at most Hq = 2, got 3"));
        var e = assertThrows(IllegalArgumentException.class, () -> Attention.of("routing:exponent=-0.5"));
        assertTrue(e.getMessage().contains("parameter 'exponent' expects a number in [0, 1], got '-0.5'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.of("routing:window=0"));
        assertTrue(e.getMessage().contains("parameter 'window' expects an integer in [1, 1048576]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RoutingState.seeded(1, 4, 16, 0).route(p.q(), p.k(), false));
        assertTrue(e.getMessage().startsWith("q: expected [B, 1, L, 16]"), e.getMessage());
        AttentionProblem gqa = random(1, 1, 4, 2, 20, 20, 16, Masks.causal());
        assertTrue(Attention.of("routing").supports(gqa).reason().contains("grouped-query attention"));
    }

    /** Same seed: bit-identical; another seed: other centroids, other clusters. */
    @Test
    void seedsGiveBitIdenticalResults() {
        AttentionProblem p = random(53, 1, 2, 2, 200, 200, 32, Masks.causal());
        float[] a = Attention.of("routing:seed=4").forward(p).out().toArray(), b = Attention.of("routing:seed=4").forward(p).out().toArray();
        assertArrayEquals(a, b);
        assertArrayEquals(a, dev.attend.simd.Parallel.withThreads(1, () -> Attention.of("routing:seed=4").forward(p).out().toArray()), "one thread");
        assertNotEquals(Arrays.hashCode(a), Arrays.hashCode(Attention.of("routing:seed=5").forward(p).out().toArray()));
    }
}
