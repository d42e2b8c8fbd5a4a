package dev.attend.attention;

import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract every registered mechanism keeps, run over every name in the registry (so a new mechanism is
 * covered the day it registers): parameters parse and print back, out-of-range values and unsupported problems
 * are refused with a reason before any work, exact mechanisms equal the fp64 reference, seeded ones are
 * reproducible, fully masked rows give 0 and LSE -inf, never NaN, and recurrent forms equal the parallel causal form.
 */
class MechanismContractTest {

    @BeforeAll
    static void registerTheTestMechanism() {
        SampledBlocksAttention.ensureRegistered();
    }

    static List<String> names() {
        SampledBlocksAttention.ensureRegistered();
        return List.copyOf(Attention.names());
    }

    @ParameterizedTest
    @MethodSource("names")
    void parametersParseAndPrintBack(String name) {
        MechanismDescriptor d = Attention.descriptor(name);
        AttentionMechanism byDefault = Attention.of(name);
        assertEquals(name, byDefault.name());
        assertEquals(byDefault.spec(), Attention.of(byDefault.spec()).spec());
        for (Param p : d.params()) {
            for (Object v : new Object[] {p.min(), p.max()}) {
                if (v == null) continue;
                Object value = p.type() == Param.Type.INT ? (Object) ((Number) v).intValue()
                        : p.type() == Param.Type.LONG ? (Object) ((Number) v).longValue() : (Object) ((Number) v).doubleValue();
                AttentionMechanism m = Attention.of(name, Map.of(p.name(), value));
                assertEquals(value, m.params().asMap().get(p.name()));
                AttentionMechanism back = Attention.of(m.spec());
                assertEquals(m.spec(), back.spec(), "round trip of " + m.spec());
                assertEquals(m.params(), back.params());
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Attention.of(name + ":nosuch=1"));
        assertTrue(e.getMessage().contains("mechanism '" + name + "': unknown parameter 'nosuch'"), e.getMessage());
        for (Param p : d.params()) {
            if (p.type() != Param.Type.INT && p.type() != Param.Type.DOUBLE) continue;
            String tooBig = p.type() == Param.Type.INT ? Long.toString(p.max().longValue() + 1) : Double.toString(p.max().doubleValue() * 2 + 1);
            e = assertThrows(IllegalArgumentException.class, () -> Attention.of(name + ":" + p.name() + "=" + tooBig));
            assertTrue(e.getMessage().contains("parameter '" + p.name() + "' expects " + p.allowed()), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void unsupportedProblemsAreRefusedWithAReasonBeforeAnyWork(String name) {
        AttentionMechanism m = Attention.of(name);
        Capabilities c = m.descriptor().capabilities();
        List<AttentionProblem> refused = new ArrayList<>();
        Tensor q = Tensor.randn(1, 1, 2, 16, 32), k = Tensor.randn(2, 1, 2, 16, 32);
        if (c.masks().kind() != MaskSupport.Kind.ANY) {
            refused.add(AttentionProblem.of(q, k, k, Mask.predicate("even keys", (b, h, i, j) -> j % 2 == 0)));
        }
        if (!c.scoreMods()) refused.add(AttentionProblem.of(q, k, k, supportedMask(c)).withScoreMod(ScoreMod.softCap(5)));
        if (!c.gqa()) {
            Tensor k1 = Tensor.randn(3, 1, 1, 16, 32);
            refused.add(AttentionProblem.of(q, k1, k1, supportedMask(c)));
        }
        if (!c.patterns().contains(Pattern.NONCAUSAL_CROSS) && c.masks().refusal(Masks.full()) == null) {
            Tensor k2 = Tensor.randn(4, 1, 2, 24, 32);
            refused.add(AttentionProblem.of(q, k2, k2, Masks.full()));
        }
        for (AttentionProblem p : refused) {
            Support s = m.supports(p);
            assertFalse(s.supported(), name + " should refuse " + p.mask().describe());
            assertTrue(s.reason().startsWith("mechanism '" + m.spec() + "' does not support this problem: "), s.reason());
            var e = assertThrows(IllegalArgumentException.class, () -> m.forward(p));
            assertEquals(s.reason(), e.getMessage());
        }
        if (!m.supportsBackward()) {
            AttentionProblem p = AttentionProblem.of(q, k, k, supportedMask(c));
            var e = assertThrows(IllegalArgumentException.class, () -> m.backward(p, m.forward(p), Tensor.zeros(q.shape())));
            assertTrue(e.getMessage().contains("has no backward pass"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void exactMechanismsEqualTheReferenceAndApproximateOnesReachItAtTheirBudget(String name) {
        MechanismDescriptor d = Attention.descriptor(name);
        Map<String, Object> params = new LinkedHashMap<>();
        if (!d.isExact()) {
            // A quantised cache, or random features that only approach exact: their own tests bound the error.
            if (d.budget().isEmpty() || !d.budget().get().exactAtEnd()) return;
            MechanismDescriptor.Budget b = d.budget().orElseThrow();
            Param p = d.param(b.param()).orElseThrow();
            Number exactAt = b.higherIsMoreExact() ? p.max() : p.min();
            // Boxed one by one: a conditional over double, int and long would promote all three to double.
            Object value = switch (p.type()) {
                case DOUBLE -> exactAt.doubleValue();
                case INT -> exactAt.intValue();
                default -> exactAt.longValue();
            };
            params.put(p.name(), value);
        }
        AttentionMechanism m = Attention.of(name, params);
        int checked = 0;
        for (Cases.Case c0 : Cases.random(200, name.hashCode(), 150)) {
            if (checked == 25) break;
            Cases.Case c = supportedVariant(m, c0);
            if (c == null) continue;
            AttentionResult want = Attention.reference().forward(c.problem()), got = m.forward(c.problem());
            assertEquals(0, Cases.maxAbsDiff(want.out(), got.out()), 2e-5 * Math.max(1, Cases.maxAbs(c.problem().v())), c.name());
            if (got.hasLse()) assertEquals(0, Cases.maxAbsDiff(want.lse(), got.lse()), 2e-4, c.name());
            if (m.supportsBackward() && checked < 10) {
                Tensor dOut = Tensor.randn(9, c.problem().q().shape());
                Gradients gw = Attention.reference().backward(c.problem(), want, dOut), gg = m.backward(c.problem(), got, dOut);
                assertEquals(0, Cases.maxAbsDiff(gw.dq(), gg.dq()), 1e-4 * Math.max(1, Cases.maxAbs(gw.dq())), c.name());
                assertEquals(0, Cases.maxAbsDiff(gw.dv(), gg.dv()), 1e-4 * Math.max(1, Cases.maxAbs(gw.dv())), c.name());
            }
            checked++;
        }
        assertTrue(checked >= 5, name + ": only " + checked + " of the random problems were supported");
    }

    @ParameterizedTest
    @MethodSource("names")
    void seededMechanismsAreReproducibleAndTheSeedMatters(String name) {
        MechanismDescriptor d = Attention.descriptor(name);
        AttentionProblem p = supportedProblem(Attention.of(name), 200);
        AttentionMechanism a = Attention.of(name), b = Attention.of(name);
        assertArrayEquals(a.forward(p).out().toArray(), b.forward(p).out().toArray(), "same spec, same inputs: bit-identical");
        if (!d.isSeeded()) return;
        String seed = d.params().stream().filter(x -> x.name().equals("seed")).findFirst().orElseThrow().name();
        AttentionMechanism other = Attention.of(name, Map.of(seed, 12345L));
        assertFalse(java.util.Arrays.equals(a.forward(p).out().toArray(), other.forward(p).out().toArray()), "another seed, another sample");
    }

    @ParameterizedTest
    @MethodSource("names")
    void fullyMaskedRowsGiveZeroAndMinusInfinity(String name) {
        AttentionMechanism m = Attention.of(name);
        // causal-br with Lq > Lk leaves the first Lq - Lk rows without a key; a padding mask hides all keys of entry 1.
        List<AttentionProblem> problems = new ArrayList<>();
        problems.add(AttentionProblem.of(Tensor.randn(1, 1, 2, 20, 32), Tensor.randn(2, 1, 2, 12, 32), Tensor.randn(3, 1, 2, 12, 32),
                Masks.causalBottomRight()));
        problems.add(AttentionProblem.of(Tensor.randn(1, 2, 2, 12, 32), Tensor.randn(2, 2, 2, 12, 32), Tensor.randn(3, 2, 2, 12, 32),
                Masks.padding(12, 0)));
        int ran = 0;
        for (AttentionProblem p : problems) {
            if (!m.supports(p).supported()) continue;
            AttentionResult r = m.forward(p);
            AttentionResult want = Attention.reference().forward(p);
            float[] out = r.out().toArray(), wl = want.lse().toArray();
            for (float x : out) assertFalse(Float.isNaN(x), name + " gave NaN");
            int d = p.headDim();
            for (int row = 0; row < wl.length; row++) {
                if (wl[row] != Float.NEGATIVE_INFINITY) continue;
                for (int x = 0; x < d; x++) assertEquals(0f, out[row * d + x], name + ": masked row " + row);
                if (r.hasLse()) assertEquals(Float.NEGATIVE_INFINITY, r.lse().toArray()[row], name + ": lse of masked row " + row);
            }
            ran++;
        }
        if (m.descriptor().capabilities().masks().kind() == MaskSupport.Kind.ANY) assertEquals(2, ran, name);
    }

    /**
     * The case itself when the mechanism supports it, else the same inputs made as simple as the mechanism
     * needs (one key/value head per query head, no score mod, a library mask it takes), else null.
     */
    static Cases.Case supportedVariant(AttentionMechanism m, Cases.Case c) {
        if (m.supports(c.problem()).supported()) return c;
        AttentionProblem p = c.problem();
        Capabilities caps = m.descriptor().capabilities();
        Tensor k = p.k(), v = p.v();
        if (!caps.gqa() && p.hq() != p.hkv()) {
            Tensor q = p.q().slice(1, 0, p.hkv());
            p = new AttentionProblem(q.contiguous(), k, v, p.mask(), dev.attend.attention.mask.ScoreMod.NONE, p.scale());
        }
        Mask mask = p.lq() == p.lk() ? supportedMask(caps) : Masks.causalBottomRight();
        AttentionProblem simple = new AttentionProblem(p.q(), k, v, mask, dev.attend.attention.mask.ScoreMod.NONE, p.scale());
        return m.supports(simple).supported() ? new Cases.Case(c.name() + " simplified to " + mask.describe(), simple) : null;
    }

    /**
     * A mechanism declares {@code recurrent} exactly when it implements {@link RecurrentMechanism}; then stepping one
     * token at a time equals its parallel causal form, and the state does not grow with the tokens.
     */
    @ParameterizedTest
    @MethodSource("names")
    void recurrentFormsEqualTheParallelCausalFormAtAConstantStateSize(String name) {
        AttentionMechanism m = Attention.of(name);
        boolean declared = m.descriptor().capabilities().recurrent();
        assertEquals(declared, m instanceof RecurrentMechanism, name + ": declares recurrent iff it implements RecurrentMechanism");
        if (!declared) return;
        int l = 40, d = 16;
        AttentionProblem p = AttentionProblem.of(Tensor.randn(51, 1, 1, l, d), Tensor.randn(52, 1, 1, l, d), Tensor.randn(53, 1, 1, l, d),
                Masks.causal());
        assertTrue(m.supports(p).supported(), name + " declares a recurrent form but refuses causal self attention: " + m.supports(p).reason());
        float[] want = m.forward(p).out().toArray();
        RecurrentState s = ((RecurrentMechanism) m).newState(d, p.scale(), l);
        long size = s.stateFloats();
        float[] q = new float[d], k = new float[d], v = new float[d], out = new float[d];
        for (int i = 0; i < l; i++) {
            p.q().readRow(i, q, 0);
            p.k().readRow(i, k, 0);
            p.v().readRow(i, v, 0);
            s.step(q, k, v, out);
            for (int x = 0; x < d; x++) {
                assertEquals(want[i * d + x], out[x], 1e-4f * Math.max(1, Math.abs(want[i * d + x])), name + " token " + i + " channel " + x);
            }
        }
        assertEquals(l, s.tokens());
        assertEquals(size, s.stateFloats(), name + ": the state's size does not depend on the tokens");
        assertTrue(size > 0);
    }

    private static Mask supportedMask(Capabilities c) {
        for (Mask candidate : List.of(Masks.full(), Masks.causal(), Masks.causalBottomRight())) {
            if (c.masks().refusal(candidate) == null) return candidate;
        }
        throw new AssertionError("no library mask accepted by " + c.masks().describe());
    }

    /** A random self-attention problem the mechanism supports. */
    private static AttentionProblem supportedProblem(AttentionMechanism m, int l) {
        Random r = new Random(7);
        Mask mask = supportedMask(m.descriptor().capabilities());
        AttentionProblem p = AttentionProblem.of(Tensor.randn(r.nextLong(), 1, 2, l, 64), Tensor.randn(r.nextLong(), 1, 2, l, 64),
                Tensor.randn(r.nextLong(), 1, 2, l, 64), mask);
        assertTrue(m.supports(p).supported(), m.supports(p).reason());
        return p;
    }
}
