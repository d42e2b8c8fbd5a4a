package dev.attend.attention.recsys;

import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LAMA: each head's weights sum to 1 over the valid positions only, padding never matters, 2dK parameters, gradients. */
class LamaPoolingTest {

    @Test
    void rowsSumToOneOverValidPositionsAndPaddingWeighsNothing() {
        int d = 12, t = 20, k = 8;
        LamaPooling lama = LamaPooling.random(d, k, 1);
        Tensor h = Tensor.randn(2, 3, t, d);
        int[] valid = {20, 7, 1};
        Tensor a = lama.weights(h, valid);
        for (int b = 0; b < 3; b++) {
            for (int head = 0; head < k; head++) {
                double sum = 0;
                for (int i = 0; i < t; i++) {
                    float w = a.get(b, head, i);
                    if (i >= valid[b]) assertEquals(0f, w, "padding position " + i);
                    assertTrue(w >= 0);
                    sum += w;
                }
                assertEquals(1, sum, 1e-5, "batch " + b + " head " + head);
            }
        }
        Tensor changed = h.copy();
        for (int i = 7; i < t; i++) for (int x = 0; x < d; x++) changed.set(Float.NaN, 1, i, x);
        float[] before = lama.pool(h, valid).toArray(), after = lama.pool(changed, valid).toArray();
        assertArrayEquals(before, after, "the padding of entry 1 never reaches its pooled rows");
        assertEquals(2L * d * k, lama.parameters());
    }

    @Test
    void theFactorisedScoreIsTheBilinearOne() {
        // K = 1, d = 2: f_t = tanh((p . c)(q . h_t)), normalised over one head to sign(f_t); softmax of +-1.
        LamaPooling lama = LamaPooling.of(2, 1, new float[] {1, 0}, new float[] {0, 1});
        Tensor h = Tensor.of(new float[] {1, 2, 1, -1}, 1, 2, 2);   // c = (1, 0.5): p.c = 1; q.h = 2, -1
        Tensor a = lama.weights(h, new int[] {2});
        double e = Math.exp(2);
        assertEquals(e / (e + 1), a.get(0, 0, 0), 1e-6);
        assertEquals(1 / (e + 1), a.get(0, 0, 1), 1e-6);
    }

    @Test
    void badArgumentsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LamaPooling.random(8, 0, 1)).getMessage().startsWith("heads: expected at least 1"));
        LamaPooling lama = LamaPooling.random(4, 2, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> lama.weights(Tensor.randn(1, 1, 5, 4), new int[] {0}));
        assertEquals("valid[0]: expected a length in [1, 5], got 0", e.getMessage());
    }

    /** dh, dP and dQ equal central differences of {@code sum(dM * pool(h))}; padding rows get 0. */
    @Test
    void gradientsEqualFiniteDifferences() {
        int d = 6, t = 9, k = 4;
        float[] p = Tensor.randn(5, d * k).toArray(), q = Tensor.randn(6, d * k).toArray();
        for (int i = 0; i < p.length; i++) {
            p[i] *= 0.5f;
            q[i] *= 0.5f;
        }
        Tensor h = Tensor.randn(7, 2, t, d), dM = Tensor.randn(8, 2, k, d);
        int[] valid = {9, 5};
        LamaPooling.Gradients g = LamaPooling.of(d, k, p, q).backward(h, valid, dM);
        double eps = 1e-3;
        float[] hv = h.toArray(), dh = g.dh().toArray();
        for (int i = 0; i < hv.length; i++) {
            int b = i / (t * d), pos = i / d % t;
            Tensor up = Tensor.of(hv.clone(), 2, t, d), down = Tensor.of(hv.clone(), 2, t, d);
            up.set((float) (hv[i] + eps), b, pos, i % d);
            down.set((float) (hv[i] - eps), b, pos, i % d);
            LamaPooling lama = LamaPooling.of(d, k, p, q);
            double fd = (loss(lama.pool(up, valid), dM) - loss(lama.pool(down, valid), dM)) / (2 * eps);
            if (pos >= valid[b]) assertEquals(0f, dh[i], "padding row " + pos);
            assertEquals(fd, dh[i], 2e-3 * (1 + Math.abs(fd)), "dh[" + i + "]");
        }
        for (int which = 0; which < 2; which++) {
            float[] w = which == 0 ? p : q, grad = which == 0 ? g.dp() : g.dq();
            for (int i = 0; i < w.length; i++) {
                float[] a = w.clone(), c = w.clone();
                a[i] += (float) eps;
                c[i] -= (float) eps;
                LamaPooling plus = which == 0 ? LamaPooling.of(d, k, a, q) : LamaPooling.of(d, k, p, a);
                LamaPooling minus = which == 0 ? LamaPooling.of(d, k, c, q) : LamaPooling.of(d, k, p, c);
                double fd = (loss(plus.pool(h, valid), dM) - loss(minus.pool(h, valid), dM)) / ((double) a[i] - c[i]);
                assertEquals(fd, grad[i], 2e-3 * (1 + Math.abs(fd)), (which == 0 ? "dP[" : "dQ[") + i + "]");
            }
        }
    }

    private static double loss(Tensor m, Tensor dM) {
        float[] a = m.toArray(), b = dM.toArray();
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
