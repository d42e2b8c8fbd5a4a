package dev.attend.attention.recsys;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SDIM: SimHash collision rates, the tau = 0 mean-pooling limit, padding, the value gradients. */
class SdimAttentionTest {

    /** Over many projection draws, two vectors at angle theta share a tau-bit signature at the rate (1 - theta/pi)^tau. */
    @Test
    void collisionRatesAreOneMinusAngleOverPiToTheTau() {
        int d = 16, draws = 4000;
        float[] x = new float[d], y = new float[d];
        for (double theta : new double[] {Math.PI / 6, Math.PI / 3, Math.PI / 2, 2 * Math.PI / 3}) {
            x[0] = 1;
            y[0] = (float) Math.cos(theta);
            y[1] = (float) Math.sin(theta);
            for (int tau : new int[] {1, 3}) {
                int same = 0;
                for (int s = 0; s < draws; s++) {
                    float[][] proj = SdimAttention.projections(1, tau, d, 100 + s);
                    if (SdimAttention.signature(proj, 0, tau, x, 0, d) == SdimAttention.signature(proj, 0, tau, y, 0, d)) same++;
                }
                double want = Math.pow(1 - theta / Math.PI, tau), rate = (double) same / draws;
                double se = Math.sqrt(want * (1 - want) / draws);
                assertEquals(want, rate, 4 * se + 1e-9, "theta " + theta + ", tau " + tau);
            }
        }
    }

    @Test
    void tauZeroIsNormalisedMeanPoolingOverTheValidBehaviours() {
        int d = 8, lk = 30;
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 2, 1, 3, d), Tensor.randn(2, 2, 1, lk, d), Tensor.randn(3, 2, 1, lk, d), Masks.padding(30, 12));
        Tensor out = Attention.of("sdim:tau=0").forward(p).out();
        int[] valid = {30, 12};
        for (int b = 0; b < 2; b++) {
            double[] sum = new double[d];
            for (int j = 0; j < valid[b]; j++) for (int x = 0; x < d; x++) sum[x] += p.v().get(b, 0, j, x);
            double norm = 0;
            for (double s : sum) norm += s * s;
            for (int i = 0; i < 3; i++) for (int x = 0; x < d; x++) assertEquals(sum[x] / Math.sqrt(norm), out.get(b, 0, i, x), 1e-5);
        }
    }

    @Test
    void closerBehavioursWeighMore() {
        // Two behaviours: one at 20 degrees from the target, one at 110; with tau = 3 the output leans to the first.
        int d = 16;
        float[] q = new float[d], k = new float[2 * d], v = new float[2 * d];
        q[0] = 1;
        k[0] = (float) Math.cos(Math.toRadians(20));
        k[1] = (float) Math.sin(Math.toRadians(20));
        k[d] = (float) Math.cos(Math.toRadians(110));
        k[d + 1] = (float) Math.sin(Math.toRadians(110));
        v[0] = 1;           // the near behaviour's value is e0
        v[d + 1] = 1;       // the far one's is e1
        AttentionProblem p = AttentionProblem.of(Tensor.of(q, 1, 1, 1, d), Tensor.of(k, 1, 1, 2, d), Tensor.of(v, 1, 1, 2, d), Masks.full());
        Tensor out = Attention.of("sdim:hashes=512,tau=3").forward(p).out();
        double near = Math.pow(1 - 20 / 180.0, 3), far = Math.pow(1 - 110 / 180.0, 3);
        assertTrue(out.get(0, 0, 0, 0) > 3 * out.get(0, 0, 0, 1), "near " + out.get(0, 0, 0, 0) + ", far " + out.get(0, 0, 0, 1));
        assertEquals(near, out.get(0, 0, 0, 0), 0.06, "collision rate of the near behaviour alone in its bucket, mostly");
        assertTrue(far > 0);
    }

    /** dv equals central differences of the forward (smooth in v); dq = dk = 0; hidden behaviours get 0; GQA 2:1. */
    @Test
    void valueGradientsEqualFiniteDifferencesAndHiddenBehavioursGetNone() {
        int d = 8, lk = 20;
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 2, 2, 3, d), Tensor.randn(2, 2, 1, lk, d), Tensor.randn(3, 2, 1, lk, d),
                Masks.padding(20, 9));
        var m = Attention.of("sdim:hashes=4,tau=2");
        Tensor dOut = Tensor.randn(4, p.q().shape());
        var g = m.backward(p, m.forward(p), dOut);
        float[] go = dOut.toArray();
        for (float x : g.dq().toArray()) assertEquals(0f, x);
        for (float x : g.dk().toArray()) assertEquals(0f, x);
        for (int b = 0; b < 2; b++) {
            for (int j = 0; j < lk; j++) {
                for (int x = 0; x < d; x += 3) {
                    float keep = p.v().get(b, 0, j, x);
                    double h = 1e-2;
                    p.v().set((float) (keep + h), b, 0, j, x);
                    float[] plus = m.forward(p).out().toArray();
                    p.v().set((float) (keep - h), b, 0, j, x);
                    float[] minus = m.forward(p).out().toArray();
                    p.v().set(keep, b, 0, j, x);
                    double fd = 0;
                    for (int i = 0; i < go.length; i++) fd += go[i] * ((double) plus[i] - minus[i]) / (2 * h);
                    float got = g.dv().get(b, 0, j, x);
                    if (b == 1 && j >= 9) assertEquals(0f, got, "behaviour " + j + " is padding");
                    assertEquals(fd, got, 2e-3 * (1 + Math.abs(fd)), "dv[" + b + ", " + j + ", " + x + "]");
                }
            }
        }
    }
}
