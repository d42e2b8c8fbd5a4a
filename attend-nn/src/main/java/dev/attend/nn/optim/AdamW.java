package dev.attend.nn.optim;

import dev.attend.nn.autograd.Var;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * AdamW (Loshchilov and Hutter): Adam's bias-corrected moments with the weight decay decoupled from them,
 * {@code w -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * w)}. Parameters whose name {@code noDecay} accepts (biases,
 * norm gains, embeddings: the caller decides) get no decay. One fused pass per parameter.
 */
public final class AdamW extends Optimizer {
    private final float beta1, beta2, eps, weightDecay;
    private final Predicate<String> noDecay;
    private final Map<String, float[]> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();

    public AdamW(Map<String, Var> params, float beta1, float beta2, float eps, float weightDecay, Predicate<String> noDecay) {
        super(params);
        if (!(beta1 >= 0f && beta1 < 1f)) throw new IllegalArgumentException("beta1: expected [0, 1), got " + beta1);
        if (!(beta2 >= 0f && beta2 < 1f)) throw new IllegalArgumentException("beta2: expected [0, 1), got " + beta2);
        if (!(eps > 0f)) throw new IllegalArgumentException("eps: expected > 0, got " + eps);
        if (!(weightDecay >= 0f)) throw new IllegalArgumentException("weightDecay: expected >= 0, got " + weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.noDecay = noDecay;
    }

    /** PyTorch's defaults (0.9, 0.999, 1e-8) with decay on every parameter but biases and norm weights (1-D tensors). */
    public static AdamW of(Map<String, Var> params, float weightDecay) {
        return new AdamW(params, 0.9f, 0.999f, 1e-8f, weightDecay, n -> params.get(n).rank() < 2);
    }

    @Override
    protected void update(String name, float[] w, float[] g, float lr) {
        float[] mm = m.computeIfAbsent(name, k -> new float[w.length]), vv = v.computeIfAbsent(name, k -> new float[w.length]);
        float c1 = (float) (1 - Math.pow(beta1, steps)), c2 = (float) (1 - Math.pow(beta2, steps));
        float decay = noDecay.test(name) ? 0f : weightDecay;
        float a = lr / c1, rc2 = (float) (1 / Math.sqrt(c2));
        for (int i = 0; i < w.length; i++) {
            float gi = g[i];
            float mi = mm[i] = beta1 * mm[i] + (1 - beta1) * gi;
            float vi = vv[i] = beta2 * vv[i] + (1 - beta2) * gi * gi;
            w[i] -= a * mi / ((float) Math.sqrt(vi) * rc2 + eps) + lr * decay * w[i];
        }
    }

    @Override
    protected Map<String, Map<String, float[]>> slots() {
        Map<String, Map<String, float[]>> s = new LinkedHashMap<>();
        s.put("m", m);
        s.put("v", v);
        return s;
    }
}
