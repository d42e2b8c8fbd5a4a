package dev.attend.attention;

import dev.attend.attention.mask.Mask;
import dev.attend.tensor.Tensor;
import dev.attend.testing.Property;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Flash against the fp64 reference as properties: on failure the harness shrinks to the smallest lengths, head
 * dim and window that still disagree (the seeded cases in FlashAttentionTest do not).
 */
class FlashPropertiesTest {
    @TestFactory
    Stream<DynamicTest> forwardAndBackwardMatchTheReference() {
        return Property.named("flash forward and backward match the reference").tries(60)
                .ints("lq", 1, 200)
                .ints("lk", 1, 200)
                .ints("dQuarter", 1, 40)
                .ints("maskKind", 0, 3)
                .ints("window", 1, 64)
                .longs("seed", 0, 1000)
                .check(p -> check(p.i("lq"), p.i("lk"), p.i("dQuarter"), p.i("maskKind"), p.i("window"), p.l("seed")));
    }

    private static void check(int lq, int lk, int dQuarter, int maskKind, int window, long seed) {
        int d = 4 * dQuarter;
        Mask mask = switch (maskKind) {
            case 0 -> Mask.parse("full");
            case 1 -> Mask.parse("causal");
            case 2 -> Mask.parse("causal-br");
            default -> Mask.parse("causal-br").and(Mask.predicate("window " + window, (b, h, i, j) -> j > i + (lk - lq) - window));
        };
        AttentionProblem p = AttentionProblem.of(Tensor.randn(seed, 1, 4, lq, d), Tensor.randn(seed + 1, 1, 2, lk, d),
                Tensor.randn(seed + 2, 1, 2, lk, d), mask);
        AttentionResult want = Attention.reference().forward(p), got = Attention.flash().forward(p);
        assertEquals(0, Cases.maxAbsDiff(want.out(), got.out()), 1e-5 * Cases.maxAbs(p.v()), "out");
        double lseScale = 1;
        for (float x : want.lse().toArray()) if (Float.isFinite(x)) lseScale = Math.max(lseScale, Math.abs(x));
        // maxAbsDiff treats equal infinities as equal and an infinity against a number as an infinite error.
        assertEquals(0, Cases.maxAbsDiff(want.lse(), got.lse()), 2e-5 * lseScale, "lse");
        Tensor dOut = Tensor.randn(seed + 3, p.q().shape());
        Gradients gw = Attention.reference().backward(p, want, dOut), gg = Attention.flash().backward(p, got, dOut);
        assertEquals(0, Cases.maxAbsDiff(gw.dk(), gg.dk()), 1e-4 * Math.max(1, Cases.maxAbs(gw.dk())), "dk");
        assertEquals(0, Cases.maxAbsDiff(gw.dq(), gg.dq()), 1e-4 * Math.max(1, Cases.maxAbs(gw.dq())), "dq");
    }
}
