package dev.attend.attention.linear;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Deconstructing Attention maps beside Taylor: the key-position-only softmax (its definition, LSE, gradients) and
 * the input-independent fixed map (invariant to q and k, normalised, dv by finite differences).
 */
class DeconstructingAttentionTest {

    /** {@code out_i = sum_{j visible} e^{s_j} v_j / sum e^{s_j}}, {@code s_j = scale q_j . k_j}, in double. */
    private static double[][] keyPositionReference(AttentionProblem p, boolean causal) {
        int l = p.lq(), d = p.headDim(), hq = p.hq(), per = hq / p.hkv();
        double[] out = new double[p.batch() * hq * l * d], lse = new double[p.batch() * hq * l];
        for (int bh = 0; bh < p.batch() * hq; bh++) {
            int kv = bh / hq * p.hkv() + bh % hq / per;
            for (int i = 0; i < l; i++) {
                double sum = 0;
                double[] num = new double[d];
                for (int j = 0; j < (causal ? i + 1 : l); j++) {
                    double e = Math.exp(p.scale() * KernelReference.dot(KernelReference.row(p.q(), (long) bh * l + j, d), KernelReference.row(p.k(), (long) kv * l + j, d)));
                    double[] v = KernelReference.row(p.v(), (long) kv * l + j, d);
                    sum += e;
                    for (int x = 0; x < d; x++) num[x] += e * v[x];
                }
                for (int x = 0; x < d; x++) out[(bh * l + i) * d + x] = num[x] / sum;
                lse[bh * l + i] = Math.log(sum);
            }
        }
        return new double[][] {out, lse};
    }

    @Test
    void keyPositionSoftmaxEqualsItsDefinitionWithItsLogSumExp() {
        AttentionMechanism m = Attention.of("keypos");
        for (Mask mask : new Mask[] {Masks.full(), Masks.causal()}) {
            AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 2, 4, 33, 16), Tensor.randn(2, 2, 2, 33, 16), Tensor.randn(3, 2, 2, 33, 16), mask);
            double[][] want = keyPositionReference(p, mask != Masks.full() && !mask.kind().orElseThrow().equals("full"));
            AttentionResult got = m.forward(p);
            assertTrue(KernelReference.maxDiff(want[0], got.out()) < 1e-5, mask.describe());
            assertTrue(KernelReference.maxDiff(want[1], got.lse()) < 1e-4, mask.describe());
        }
    }

    @Test
    void keyPositionGradientsMatchFiniteDifferences() {
        for (Mask mask : new Mask[] {Masks.full(), Masks.causal()}) {
            boolean causal = !mask.kind().orElseThrow().equals("full");
            AttentionProblem p = AttentionProblem.of(Tensor.randn(11, 1, 2, 9, 8), Tensor.randn(12, 1, 1, 9, 8), Tensor.randn(13, 1, 1, 9, 8), mask);
            AttentionMechanism m = Attention.of("keypos");
            Tensor dOut = Tensor.randn(14, p.q().shape());
            Gradients g = m.backward(p, m.forward(p), dOut);
            float[] w = dOut.toArray();
            for (Tensor[] xg : new Tensor[][] {{p.q(), g.dq()}, {p.k(), g.dk()}, {p.v(), g.dv()}}) {
                float[] grad = xg[1].toArray();
                for (int i = 0; i < xg[0].size(); i++) {
                    float keep = xg[0].segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                    double h = 1e-3;
                    xg[0].segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (keep + h));
                    double plus = loss(keyPositionReference(p, causal)[0], w);
                    xg[0].segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (keep - h));
                    double minus = loss(keyPositionReference(p, causal)[0], w);
                    xg[0].segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, keep);
                    double fd = (plus - minus) / (2 * h);
                    assertEquals(fd, grad[i], 2e-3 * (1 + Math.abs(fd)), mask.describe() + " element " + i);
                }
            }
        }
    }

    private static double loss(double[] out, float[] w) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += w[i] * out[i];
        return s;
    }

    @Test
    void theFixedMapIgnoresQueriesAndKeysAndIsNormalised() {
        AttentionMechanism m = Attention.of("fixed-map:seed=3");
        Tensor v = Tensor.randn(3, 2, 2, 20, 16);
        AttentionProblem a = AttentionProblem.of(Tensor.randn(1, 2, 2, 20, 16), Tensor.randn(2, 2, 2, 20, 16), v, Masks.causal());
        AttentionProblem b = AttentionProblem.of(Tensor.randn(7, 2, 2, 20, 16), Tensor.randn(8, 2, 2, 20, 16), v, Masks.causal());
        assertArrayEquals(m.forward(a).out().toArray(), m.forward(b).out().toArray(), "the map does not depend on q and k");
        AttentionProblem ones = AttentionProblem.of(a.q(), a.k(), Tensor.constant(1f, v.shape()), Masks.causal());
        for (float x : m.forward(ones).out().toArray()) assertEquals(1f, x, 1e-5f);
        Gradients g = m.backward(a, m.forward(a), Tensor.randn(9, a.q().shape()));
        for (float x : g.dq().toArray()) assertEquals(0f, x);
        // dv is linear in dOut: sum(dOut * out) = sum(dOut * P v), so dv = P^T dOut; check against the map on basis values.
        Tensor dOut = Tensor.randn(9, a.q().shape());
        float[] dv = m.backward(a, m.forward(a), dOut).dv().toArray(), base = m.forward(a).out().toArray(), w = dOut.toArray();
        for (int i = 0; i < dv.length; i += 37) {
            Tensor bumped = v.copy();
            bumped.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, v.toArray()[i] + 1f);
            float[] o = m.forward(AttentionProblem.of(a.q(), a.k(), bumped, Masks.causal())).out().toArray();
            double fd = 0;
            for (int x = 0; x < o.length; x++) fd += (double) w[x] * (o[x] - base[x]);
            assertEquals(fd, dv[i], 1e-4 * (1 + Math.abs(fd)), "element " + i);
        }
    }
}
