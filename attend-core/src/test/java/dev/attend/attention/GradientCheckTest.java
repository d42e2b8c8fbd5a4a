package dev.attend.attention;

import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Flash backward against central finite differences of the fp64 reference forward. */
class GradientCheckTest {
    @ParameterizedTest
    @CsvSource({"causal, none, 1, 1", "full, none, 4, 2", "sliding:3, alibi, 2, 1", "'document-causal:3,4', softcap, 2, 2", "causal-br, none, 2, 1"})
    void backwardMatchesFiniteDifferences(String spec, String modName, int hq, int hkv) {
        int lq = 7, lk = 7, d = 16;
        Mask mask = Mask.parse(spec);
        ScoreMod mod = switch (modName) {
            case "alibi" -> ScoreMod.alibi(hq);
            case "softcap" -> ScoreMod.softCap(2f);
            default -> ScoreMod.NONE;
        };
        Tensor q = Tensor.randn(1, 1, hq, lq, d), k = Tensor.randn(2, 1, hkv, lk, d), v = Tensor.randn(3, 1, hkv, lk, d);
        Tensor dOut = Tensor.randn(4, q.shape());
        AttentionProblem p = AttentionProblem.of(q, k, v, mask).withScoreMod(mod);
        Gradients g = Attention.flash().backward(p, Attention.flash().forward(p), dOut);
        check(p, dOut, q, g.dq());
        check(p, dOut, k, g.dk());
        check(p, dOut, v, g.dv());
    }

    /** d/dx of sum(dOut * out) by central differences, element by element, against the analytic gradient. */
    private static void check(AttentionProblem p, Tensor dOut, Tensor x, Tensor grad) {
        float[] w = dOut.toArray(), xs = x.toArray(), gs = grad.toArray();
        double h = 1e-2;
        for (int i = 0; i < xs.length; i += 3) {
            float keep = xs[i];
            x.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (keep + h));
            double plus = loss(p, w);
            x.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (keep - h));
            double minus = loss(p, w);
            x.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, keep);
            double fd = (plus - minus) / (2 * h);
            assertEquals(fd, gs[i], 2e-3 * (1 + Math.abs(fd)), "element " + i);
        }
    }

    private static double loss(AttentionProblem p, float[] w) {
        float[] out = Attention.reference().forward(p).out().toArray();
        double s = 0;
        for (int i = 0; i < out.length; i++) s += (double) w[i] * out[i];
        return s;
    }
}
