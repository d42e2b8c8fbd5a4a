package dev.attend.nn.optim;

import dev.attend.nn.autograd.GradCheck;
import dev.attend.nn.autograd.Var;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Losses against fp64 formulas and finite differences; optimisers against their update rules in fp64. */
class OptimTest {
    @Test
    void crossEntropyMatchesTheFp64FormulaWithIgnoredRowsAndSmoothing() {
        Tensor logits = GradCheck.randn(1, 4, 19);
        int[] targets = {3, -100, 18, 0};
        float s = 0.1f;
        double want = 0;
        float[] x = logits.toArray();
        for (int r = 0; r < 4; r++) {
            if (targets[r] == -100) continue;
            double m = Double.NEGATIVE_INFINITY, z = 0, mean = 0;
            for (int j = 0; j < 19; j++) m = Math.max(m, x[r * 19 + j]);
            for (int j = 0; j < 19; j++) z += Math.exp(x[r * 19 + j] - m);
            double lse = m + Math.log(z);
            for (int j = 0; j < 19; j++) mean += (lse - x[r * 19 + j]) / 19;
            want += (1 - s) * (lse - x[r * 19 + targets[r]]) + s * mean;
        }
        want /= 3;
        assertEquals(want, Losses.crossEntropy(Var.constant(logits), targets, -100, s).item(), 1e-5);
        GradCheck.check("crossEntropy", v -> Losses.crossEntropy(v[0], targets, -100, s), logits);
        GradCheck.check("crossEntropy on a view", v -> Losses.crossEntropy(v[0], new int[] {1, 2, 0}, -1, 0f), GradCheck.transposedView(2, 3, 5));
        var e = assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(Var.constant(logits), new int[] {0, 1, 19, 2}, -100, 0f));
        assertTrue(e.getMessage().contains("target at row 2 must be in [0, 19)"), e.getMessage());
    }

    @Test
    void bceAndMseGradients() {
        Tensor y = GradCheck.uniform(3, 0f, 1f, 3, 4);
        GradCheck.check("bceWithLogits", v -> Losses.bceWithLogits(v[0], y), GradCheck.randn(1, 3, 4));
        GradCheck.check("mse", v -> Losses.mse(v[0], v[1]), GradCheck.randn(1, 3, 4), GradCheck.slicedView(2, 3, 4));
        double want = 0;
        float[] x = GradCheck.randn(1, 3, 4).toArray(), t = y.toArray();
        for (int i = 0; i < 12; i++) want += Math.max(x[i], 0) - x[i] * t[i] + Math.log(1 + Math.exp(-Math.abs(x[i])));
        assertEquals(want / 12, Losses.bceWithLogits(Var.constant(GradCheck.randn(1, 3, 4)), y).item(), 1e-6);
    }

    @Test
    void adamWFollowsItsUpdateRuleWithDecoupledDecay() {
        Var b = Var.leaf(Tensor.of(new float[] {0.3f}, 1));
        Map<String, Var> params = new LinkedHashMap<>();
        params.put("w", Var.leaf(Tensor.of(new float[] {1f, -2f, 0.5f}, 1, 3)));
        params.put("b", b);
        AdamW opt = AdamW.of(params, 0.1f);
        double[] ww = {1, -2, 0.5}, m = new double[3], v = new double[3];
        float[][] grads = {{0.5f, -1f, 2f}, {0.1f, 0.2f, -0.3f}};
        for (int t = 1; t <= 2; t++) {
            Tensor g = Tensor.of(grads[t - 1], 1, 3);
            params.get("w").gradData();
            System.arraycopy(grads[t - 1], 0, params.get("w").grad().heapArray(), 0, 3);
            b.gradData()[0] = 1f;
            opt.step(0.01f);
            for (int i = 0; i < 3; i++) {
                m[i] = 0.9 * m[i] + 0.1 * g.toArray()[i];
                v[i] = 0.999 * v[i] + 0.001 * g.toArray()[i] * g.toArray()[i];
                double mh = m[i] / (1 - Math.pow(0.9, t)), vh = v[i] / (1 - Math.pow(0.999, t));
                ww[i] -= 0.01 * (mh / (Math.sqrt(vh) + 1e-8) + 0.1 * ww[i]);
            }
        }
        float[] got = params.get("w").value().toArray();
        for (int i = 0; i < 3; i++) assertEquals(ww[i], got[i], 1e-6, "w[" + i + "]");
        // the 1-D bias gets no decay: two steps of -lr * sign(g) (m_hat / sqrt(v_hat) = 1 for a constant gradient)
        assertEquals(0.3 - 0.02, b.value().toArray()[0], 1e-6);
        assertEquals(2, opt.steps());
        assertTrue(params.get("w").grad() == null, "step clears the gradients");
    }

    @Test
    void sgdMomentumClippingAndSchedule() {
        Var w = Var.leaf(Tensor.of(new float[] {1f, 1f}, 2));
        Sgd opt = new Sgd(Map.of("w", w), 0.9f, 0f);
        for (int t = 0; t < 2; t++) {
            w.gradData()[0] = 1f;
            w.gradData()[1] = -2f;
            opt.step(0.1f);
        }
        // buffers: 1, 1.9 and -2, -3.8
        assertEquals(1 - 0.1 - 0.19, w.value().toArray()[0], 1e-6);
        assertEquals(1 + 0.2 + 0.38, w.value().toArray()[1], 1e-6);

        w.gradData()[0] = 3f;
        w.gradData()[1] = 4f;
        assertEquals(5.0, Schedules.clipGradNorm(List.of(w), 1.0), 1e-6);
        assertEquals(0.6, w.grad().toArray()[0], 1e-5);
        assertEquals(0.8, w.grad().toArray()[1], 1e-5);

        assertEquals(0.5f, Schedules.warmupCosine(0, 2, 10, 1f, 0f), 1e-6);
        assertEquals(1f, Schedules.warmupCosine(2, 2, 10, 1f, 0f), 1e-6);
        assertEquals(0.5f, Schedules.warmupCosine(6, 2, 10, 1f, 0f), 1e-6);
        assertEquals(0.1f, Schedules.warmupCosine(10, 2, 10, 1f, 0.1f), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> opt.step(Float.NaN));
    }
}
