package dev.attend.attention;

import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry, typed parameters, capability checks, patterns, results without an LSE. */
class MechanismApiTest {

    @Test
    void specsAndMapsGiveTheSameMechanism() {
        AttentionMechanism a = Attention.of("flash:blockQ=48, blockK=64"), b = Attention.of("flash", Map.of("blockQ", 48, "blockK", "64"));
        assertEquals("flash:blockQ=48,blockK=64", a.spec());
        assertEquals(a.spec(), b.spec());
        assertEquals(a.params(), b.params());
        assertEquals(48, a.params().getInt("blockQ"));
        assertEquals("flash", Attention.flash().spec(), "defaults are not spelled out");
        assertEquals("blockQ=96,blockK=96", Attention.flash().params().toString());
        assertEquals("flash:blockK=64", Attention.of("flash:blockQ=96,blockK=64").spec());
        assertEquals(Attention.of("flash:blockQ=48").spec(), Attention.of("flash", Map.of("blockQ", 48L)).spec(), "a Long that fits an int");
    }

    @Test
    void badSpecsNameTheMechanismTheParameterAndTheAllowedValues() {
        assertMessage(() -> Attention.of("nosuch"), "mechanism: unknown name 'nosuch', expected one of flash, reference, decode-f32");
        assertMessage(() -> Attention.of("flash:blockQ=0"), "mechanism 'flash': parameter 'blockQ' expects an integer in [1, 1024], got '0'");
        assertMessage(() -> Attention.of("flash:blockQ=1.5"), "mechanism 'flash': parameter 'blockQ' expects an integer in [1, 1024], got '1.5'");
        assertMessage(() -> Attention.of("flash:blockQ=99999999999"), "parameter 'blockQ' expects an integer in [1, 1024], got '99999999999'");
        assertMessage(() -> Attention.of("flash:blockq=8"), "mechanism 'flash': unknown parameter 'blockq', expected one of blockQ, blockK");
        assertMessage(() -> Attention.of("reference:x=1"), "mechanism 'reference': unknown parameter 'x', expected none (it takes no parameters)");
        assertMessage(() -> Attention.of("flash:blockQ"), "mechanism 'flash': expected name=value, got 'blockQ'");
        assertMessage(() -> Attention.of("flash:"), "mechanism 'flash': expected name=value after ':', got nothing");
        assertMessage(() -> Attention.of("flash:blockQ=8,blockQ=16"), "mechanism 'flash': parameter 'blockQ' given twice");
        assertMessage(() -> Attention.of("flash", Map.of("blockQ", true)), "parameter 'blockQ' expects an integer in [1, 1024], got true (Boolean)");
        assertMessage(() -> Attention.of(" "), "mechanism: expected a name such as flash");
        assertMessage(() -> Attention.of(null), "mechanism: expected a name such as flash");
        assertMessage(() -> Attention.of("flash", null), "params: expected a map (possibly empty), got null");
    }

    @Test
    void theRegistryCannotBeChangedThroughItsViews() {
        assertThrows(UnsupportedOperationException.class, () -> Attention.names().remove("flash"));
        assertThrows(UnsupportedOperationException.class, () -> Attention.descriptors().clear());
        assertEquals("flash", Attention.of("flash").name());
        assertMessage(() -> Attention.register(FlashAttention.DESCRIPTOR), "mechanism 'flash' is already registered");
        assertMessage(() -> Attention.register(null), "descriptor: expected a MechanismDescriptor, got null");
    }

    @Test
    void descriptorsAreCheckedWhenTheyAreBuilt() {
        assertMessage(() -> MechanismDescriptor.builder("Bad Name", (d, p) -> null), "mechanism name: expected lower-case words");
        assertMessage(() -> MechanismDescriptor.builder("x", (d, p) -> null).build(), "mechanism 'x': summary must be non-blank");
        assertMessage(() -> MechanismDescriptor.builder("x", (d, p) -> null).summary("s").approximate("nope", true).build(),
                "mechanism 'x': budget 'nope' must be a declared numeric parameter");
        assertMessage(() -> MechanismDescriptor.builder("x", (d, p) -> null).seeded("seed"), "seed parameter 'seed' must be declared first");
        assertMessage(() -> Param.ofInt("n", 0, 1, 10, "doc"), "param 'n': default 0 is not allowed");
        assertMessage(() -> Param.ofChoice("c", "z", List.of("a", "b"), "doc"), "param 'c': default z is not allowed");
        MechanismDescriptor broken = MechanismDescriptor.builder("x", (d, p) -> null).summary("s").build();
        assertThrows(IllegalStateException.class, () -> broken.create(Map.of()));
    }

    @Test
    void paramTypesParseAndPrintBack() {
        Param d = Param.ofDouble("keep", 0.5, 0, 1, "fraction");
        assertEquals(0.25, d.parse("m", "0.25"));
        assertEquals("0.25", d.format(0.25));
        assertEquals("1", d.format(1.0));
        assertEquals(1.0, d.parse("m", d.format(1.0)));
        assertMessage(() -> d.parse("m", "NaN"), "parameter 'keep' expects a number in [0, 1], got 'NaN'");
        assertMessage(() -> d.parse("m", "1.5"), "parameter 'keep' expects a number in [0, 1], got '1.5'");
        Param b = Param.ofBoolean("on", false, "switch");
        assertEquals(true, b.parse("m", "TRUE"));
        assertMessage(() -> b.parse("m", "yes"), "parameter 'on' expects true or false, got 'yes'");
        Param c = Param.ofChoice("format", "f32", List.of("f32", "bf16"), "storage");
        assertEquals("bf16", c.parse("m", "BF16"));
        assertMessage(() -> c.parse("m", "f16"), "parameter 'format' expects one of f32, bf16, got 'f16'");
        Param l = Param.ofLong("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE, "seed");
        assertEquals(Long.MIN_VALUE, l.parse("m", Long.toString(Long.MIN_VALUE)));
        assertMessage(() -> l.convert("m", 1.0), "parameter 'seed' expects an integer");
    }

    @Test
    void supportNamesTheCapability() {
        AttentionMechanism decode = Attention.of("decode-q8_0");
        Tensor q = Tensor.randn(1, 1, 2, 4, 48), k = Tensor.randn(2, 1, 2, 16, 48);
        Support s = decode.supports(AttentionProblem.of(q, k, k, Masks.causal()));
        assertFalse(s.supported());
        assertEquals("mechanism 'decode-q8_0' does not support this problem: masks: expected one of causal-br, full, got 'causal'", s.reason());
        s = decode.supports(AttentionProblem.of(q, k, k, Masks.causalBottomRight()));
        assertEquals("mechanism 'decode-q8_0' does not support this problem: head dim: Q8_0 needs a multiple of 32, got 48", s.reason());
        s = Attention.of("decode-f32").supports(AttentionProblem.of(q, k, k, Mask.predicate("p", (b, h, i, j) -> true)));
        assertTrue(s.reason().contains("masks: expected one of causal-br, full, got 'p'"), s.reason());
        assertTrue(Attention.flash().supports(AttentionProblem.of(q, k, k, Mask.predicate("p", (b, h, i, j) -> true))).supported());
        assertEquals("mechanism 'flash': problem must be non-null", Attention.flash().supports(null).reason());
        assertMessage(() -> Attention.flash().forward(null), "problem: expected an AttentionProblem, got null");
    }

    @Test
    void patternsFollowLengthsAndCausality() {
        Tensor q = Tensor.randn(1, 1, 1, 8, 16), k8 = Tensor.randn(2, 1, 1, 8, 16), k12 = Tensor.randn(3, 1, 1, 12, 16);
        assertEquals(Pattern.NONCAUSAL_SELF, Pattern.of(AttentionProblem.of(q, k8, k8, Masks.full())));
        assertEquals(Pattern.CAUSAL_SELF, Pattern.of(AttentionProblem.of(q, k8, k8, Masks.slidingWindow(3))));
        assertEquals(Pattern.NONCAUSAL_SELF, Pattern.of(AttentionProblem.of(q, k8, k8, Masks.slidingWindowBidirectional(3))));
        assertEquals(Pattern.CAUSAL_SELF, Pattern.of(AttentionProblem.of(q, k8, k8, Masks.documentsCausal(3, 5))));
        assertEquals(Pattern.NONCAUSAL_CROSS, Pattern.of(AttentionProblem.of(q, k12, k12, Masks.full())));
        assertEquals(Pattern.CAUSAL_CROSS, Pattern.of(AttentionProblem.of(q, k12, k12, Masks.causal())));
        assertEquals(Pattern.CAUSAL_CROSS, Pattern.of(AttentionProblem.of(q, k12, k12, Masks.causalBottomRight())));
        assertEquals(Pattern.CAUSAL_SELF, Pattern.of(AttentionProblem.of(q, k8, k8, Mask.predicate("tril", (b, h, i, j) -> j <= i))));
        assertEquals(Pattern.NONCAUSAL_SELF, Pattern.of(AttentionProblem.of(q, k8, k8, Mask.predicate("one ahead", (b, h, i, j) -> j <= i + 1))));
        // Decoding one query over a cache: full and causal-br see the same keys, both causal.
        Tensor q1 = Tensor.randn(4, 1, 1, 1, 16);
        assertEquals(Pattern.CAUSAL_CROSS, Pattern.of(AttentionProblem.of(q1, k12, k12, Masks.full())));
    }

    @Test
    void resultsWithoutAnLseSaySoAndCannotBeMerged() {
        AttentionResult none = AttentionResult.withoutLse(Tensor.zeros(1, 1, 2, 4), AttentionResult.Stats.NONE);
        assertFalse(none.hasLse());
        var e = assertThrows(IllegalStateException.class, none::lse);
        assertTrue(e.getMessage().startsWith("lse: this result has no log-sum-exp"), e.getMessage());
        AttentionResult some = Attention.flash().forward(AttentionProblem.of(Tensor.randn(1, 1, 1, 2, 4), Tensor.randn(2, 1, 1, 2, 4),
                Tensor.randn(3, 1, 1, 2, 4), Masks.full()));
        assertMessage(() -> LseMerge.merge(some, none), "b: expected a result with a log-sum-exp, got one without");
        assertMessage(() -> LseMerge.merge(null, some), "a: expected an AttentionResult, got null");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String expectedStart) {
        var e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expectedStart), "message '" + e.getMessage() + "' should contain '" + expectedStart + "'");
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
