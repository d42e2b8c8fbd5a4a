package dev.attend.attention.linear;

import dev.attend.attention.RecurrentState;
import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every kernel mechanism (Performer, cosFormer, elu+1, Taylor) keeps, on the shared {@link LinearKernel}:
 * it equals the fp64 definition of its weights (non-causal self and cross, causal at chunk sizes that do and do not
 * divide L, GQA); its rows are normalised (constant values come back unchanged); the recurrence equals the parallel
 * causal form; row i on the full input equals row i on the prefix (CAB's causality test); the backward pass equals
 * finite differences of the fp64 definition.
 */
class KernelAttentionTest {
    private static final int L = 37, D = 16;

    /** The mechanism (cosFormer with a fixed horizon, so that its causal form is prefix-invariant) and its oracle. */
    private static KernelAttention mechanism(String name, int chunk) {
        Map<String, Object> params = name.equals("cosformer") ? Map.of("chunk", chunk, "horizon", 64) : Map.of("chunk", chunk);
        return (KernelAttention) Attention.of(name, params);
    }

    private static KernelReference.Weight weight(String name, AttentionProblem p) {
        return switch (name) {
            case "linear" -> KernelReference.elu();
            case "cosformer" -> KernelReference.cosformer(64);
            case "taylor" -> KernelReference.taylor(p.scale());
            case "performer" -> KernelReference.performer(PerformerAttention.randomFeatures(256, p.headDim(), 0), p.scale());
            default -> throw new AssertionError(name);
        };
    }

    private static AttentionProblem problem(long seed, int hq, int hkv, int lq, int lk, Mask mask) {
        return AttentionProblem.of(Tensor.randn(seed, 2, hq, lq, D), Tensor.randn(seed + 1, 2, hkv, lk, D),
                Tensor.randn(seed + 2, 2, hkv, lk, D), mask);
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "cosformer", "taylor", "performer"})
    void equalsItsDefinitionNonCausalCausalCrossAndGqa(String name) {
        for (int chunk : new int[] {64, 8, 5}) {
            KernelAttention m = mechanism(name, chunk);
            AttentionProblem[] cases = {
                    problem(1, 4, 2, L, L, Masks.full()), problem(2, 2, 2, 20, L, Masks.full()),
                    problem(3, 4, 2, L, L, Masks.causal()), problem(4, 1, 1, L, L, Masks.causalBottomRight())};
            for (AttentionProblem p : cases) {
                boolean causal = !p.mask().kind().orElseThrow().equals("full");
                double[] want = KernelReference.forward(p, weight(name, p), causal);
                AttentionResult got = m.forward(p);
                assertFalse(got.hasLse(), name + " computes no log-sum-exp");
                assertEquals(0, KernelReference.maxDiff(want, got.out()), 2e-5 * 4, name + " chunk " + chunk + " " + p.mask().describe());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "cosformer", "taylor", "performer"})
    void rowsAreNormalised(String name) {
        for (Mask mask : new Mask[] {Masks.full(), Masks.causal()}) {
            AttentionProblem p = problem(5, 2, 1, L, L, mask);
            AttentionProblem ones = new AttentionProblem(p.q(), p.k(), Tensor.constant(1f, p.v().shape()), mask, p.scoreMod(), p.scale());
            for (float x : mechanism(name, 8).forward(ones).out().toArray()) assertEquals(1f, x, 1e-5f, name + " " + mask.describe());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "cosformer", "taylor", "performer"})
    void theRecurrenceEqualsTheParallelCausalForm(String name) {
        KernelAttention m = mechanism(name, 8);
        AttentionProblem p = problem(6, 1, 1, L, L, Masks.causal());
        Tensor parallel = m.forward(p).out();
        RecurrentState s = m.newState(D, p.scale(), 64);
        float[] q = new float[D], k = new float[D], v = new float[D], out = new float[D], want = new float[D];
        for (int i = 0; i < L; i++) {
            p.q().readRow(i, q, 0);
            p.k().readRow(i, k, 0);
            p.v().readRow(i, v, 0);
            s.step(q, k, v, out);
            parallel.readRow(i, want, 0);
            for (int x = 0; x < D; x++) assertEquals(want[x], out[x], 1e-5f * Math.max(1, Math.abs(want[x])), name + " row " + i);
        }
        assertEquals(L, s.tokens());
        int mp = m.featureMap(D, p.scale(), 64).stride();
        assertEquals((long) mp * D + mp + 1, s.stateFloats(), "m (D + 1) + 1 floats, whatever the history");
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "cosformer", "taylor", "performer"})
    void rowIOnTheFullInputEqualsRowIOnItsPrefix(String name) {
        KernelAttention m = mechanism(name, 8);
        AttentionProblem p = problem(7, 2, 1, L, L, Masks.causal());
        Tensor full = m.forward(p).out();
        for (int n : new int[] {1, 9, 16, 30}) {
            AttentionProblem pre = AttentionProblem.of(p.q().slice(2, 0, n).contiguous(), p.k().slice(2, 0, n).contiguous(),
                    p.v().slice(2, 0, n).contiguous(), Masks.causal());
            Tensor got = m.forward(pre).out();
            for (int bh = 0; bh < 4; bh++) {
                for (int i = 0; i < n; i++) {
                    for (int x = 0; x < D; x++) {
                        float a = full.get(bh / 2, bh % 2, i, x), b = got.get(bh / 2, bh % 2, i, x);
                        assertEquals(a, b, 1e-5f * Math.max(1, Math.abs(a)), name + " prefix " + n + " row " + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "cosformer", "taylor", "performer"})
    void backwardEqualsFiniteDifferences(String name) {
        for (Mask mask : new Mask[] {Masks.full(), Masks.causal()}) {
            int l = 9, d = 8;
            AttentionProblem p = AttentionProblem.of(Tensor.randn(11, 1, 2, l, d), Tensor.randn(12, 1, 1, l, d), Tensor.randn(13, 1, 1, l, d), mask);
            AttentionMechanism m = mechanism(name, 4);
            Tensor dOut = Tensor.randn(14, p.q().shape());
            Gradients g = m.backward(p, m.forward(p), dOut);
            boolean causal = mask != Masks.full() && !mask.kind().orElseThrow().equals("full");
            KernelReference.Weight w = weight(name, p);
            float[] dO = dOut.toArray();
            String at = name + " " + mask.describe();
            assertTrue(KernelReference.gradientGap(p, w, causal, dO, p.q(), g.dq(), 1) < 2e-3, at + " dq");
            assertTrue(KernelReference.gradientGap(p, w, causal, dO, p.k(), g.dk(), 1) < 2e-3, at + " dk");
            assertTrue(KernelReference.gradientGap(p, w, causal, dO, p.v(), g.dv(), 1) < 2e-3, at + " dv");
        }
    }

    /** The chunked backward over several chunks, a partial last one, GQA and cross attention (every 3rd element checked, 11th for Performer). */
    @ParameterizedTest
    @ValueSource(strings = {"linear", "cosformer", "taylor", "performer"})
    void backwardInChunksEqualsFiniteDifferencesWithGqaAndCross(String name) {
        int l = 23, d = 8;
        for (int chunk : new int[] {4, 5}) {
            KernelAttention m = mechanism(name, chunk);
            for (int lq : new int[] {l, 13}) {
                for (Mask mask : lq == l ? new Mask[] {Masks.full(), Masks.causal()} : new Mask[] {Masks.full()}) {
                    AttentionProblem p = AttentionProblem.of(Tensor.randn(21, 1, 2, lq, d), Tensor.randn(22, 1, 1, l, d),
                            Tensor.randn(23, 1, 1, l, d), mask);
                    boolean causal = !mask.kind().orElseThrow().equals("full");
                    Tensor dOut = Tensor.randn(24, p.q().shape());
                    Gradients g = m.backward(p, m.forward(p), dOut);
                    KernelReference.Weight w = weight(name, p);
                    float[] dO = dOut.toArray();
                    String at = name + " chunk " + chunk + " " + mask.describe() + " Lq " + lq;
                    int every = name.equals("performer") ? 11 : 3;  // its oracle sums 256 features per pair
                    assertTrue(KernelReference.gradientGap(p, w, causal, dO, p.q(), g.dq(), every) < 2e-3, at + " dq");
                    assertTrue(KernelReference.gradientGap(p, w, causal, dO, p.k(), g.dk(), every) < 2e-3, at + " dk");
                    assertTrue(KernelReference.gradientGap(p, w, causal, dO, p.v(), g.dv(), every) < 2e-3, at + " dv");
                }
            }
        }
    }

    /** Causal: a non-finite last key and value reach no earlier query's gradient (no 0 * NaN in the chunk's triangle). */
    @ParameterizedTest
    @ValueSource(strings = {"linear", "cosformer", "taylor", "performer"})
    void aNonFiniteLaterKeyReachesNoEarlierQueryGradient(String name) {
        KernelAttention m = mechanism(name, 8);
        AttentionProblem clean = problem(31, 2, 1, L, L, Masks.causal()), dirty = problem(31, 2, 1, L, L, Masks.causal());
        for (int b = 0; b < 2; b++) {
            dirty.k().set(Float.NaN, b, 0, L - 1, 3);
            dirty.v().set(Float.POSITIVE_INFINITY, b, 0, L - 1, 5);
        }
        Tensor dOut = Tensor.randn(32, clean.q().shape());
        Tensor want = m.backward(clean, m.forward(clean), dOut).dq(), got = m.backward(dirty, m.forward(dirty), dOut).dq();
        for (int b = 0; b < 2; b++) {
            for (int h = 0; h < 2; h++) {
                for (int i = 0; i < L - 1; i++) {
                    for (int x = 0; x < D; x++) {
                        float a = want.get(b, h, i, x), c = got.get(b, h, i, x);
                        assertTrue(Float.isFinite(c), name + " dq[" + b + ", " + h + ", " + i + ", " + x + "] is " + c);
                        assertEquals(a, c, 1e-5f * Math.max(1, Math.abs(a)), name + " dq row " + i);
                    }
                }
            }
        }
    }

    /**
     * Padding: each batch entry equals the mechanism on its valid keys alone, forward and backward (self and cross, GQA);
     * non-finite values in the padding reach nothing; the padding keys' gradients are 0; an entry with no valid key gives 0.
     */
    @ParameterizedTest
    @ValueSource(strings = {"linear", "cosformer", "taylor", "performer"})
    void paddingEqualsTheValidKeysAloneAndThePaddingReachesNothing(String name) {
        KernelAttention m = mechanism(name, 8);
        for (int lq : new int[] {L, 20}) {
            int[] valid = {23, 0};
            AttentionProblem p = problem(41, 4, 2, lq, L, Masks.padding(valid));
            for (int j = valid[0]; j < L; j++) {
                p.k().set(Float.NaN, 0, 1, j, 2);
                p.v().set(Float.POSITIVE_INFINITY, 0, 0, j, 4);
            }
            Tensor dOut = Tensor.randn(42, p.q().shape());
            AttentionResult got = m.forward(p);
            Gradients g = m.backward(p, got, dOut);
            AttentionProblem alone = AttentionProblem.of(p.q().slice(0, 0, 1), p.k().slice(0, 0, 1).slice(2, 0, valid[0]),
                    p.v().slice(0, 0, 1).slice(2, 0, valid[0]), Masks.full());
            AttentionResult want = m.forward(alone);
            Gradients wg = m.backward(alone, want, dOut.slice(0, 0, 1));
            for (int h = 0; h < 4; h++) {
                for (int i = 0; i < lq; i++) {
                    for (int x = 0; x < D; x++) {
                        assertEquals(want.out().get(0, h, i, x), got.out().get(0, h, i, x), 1e-6f, name + " out");
                        assertEquals(wg.dq().get(0, h, i, x), g.dq().get(0, h, i, x), 1e-6f, name + " dq");
                        assertEquals(0f, got.out().get(1, h, i, x), name + ": no valid key gives 0");
                        assertEquals(0f, g.dq().get(1, h, i, x), name + ": no valid key, no gradient");
                    }
                }
            }
            for (int h = 0; h < 2; h++) {
                for (int j = 0; j < L; j++) {
                    for (int x = 0; x < D; x++) {
                        float wk = j < valid[0] ? wg.dk().get(0, h, j, x) : 0f, wv = j < valid[0] ? wg.dv().get(0, h, j, x) : 0f;
                        assertEquals(wk, g.dk().get(0, h, j, x), 1e-6f, name + " dk[" + j + "]");
                        assertEquals(wv, g.dv().get(0, h, j, x), 1e-6f, name + " dv[" + j + "]");
                        assertEquals(0f, g.dk().get(1, h, j, x));
                        assertEquals(0f, g.dv().get(1, h, j, x));
                    }
                }
            }
        }
    }
}
