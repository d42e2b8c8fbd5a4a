package dev.attend.nn.optim;

import dev.attend.nn.autograd.Var;

import java.util.LinkedHashMap;
import java.util.Map;

/** SGD with momentum (PyTorch's form, {@code b = mu b + g; w -= lr b}) and optional L2 weight decay added to g. */
public final class Sgd extends Optimizer {
    private final float momentum, weightDecay;
    private final Map<String, float[]> buf = new LinkedHashMap<>();

    public Sgd(Map<String, Var> params, float momentum, float weightDecay) {
        super(params);
        if (!(momentum >= 0f && momentum < 1f)) throw new IllegalArgumentException("momentum: expected [0, 1), got " + momentum);
        if (!(weightDecay >= 0f)) throw new IllegalArgumentException("weightDecay: expected >= 0, got " + weightDecay);
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    @Override
    protected void update(String name, float[] w, float[] g, float lr) {
        float[] b = momentum == 0f ? null : buf.computeIfAbsent(name, k -> new float[w.length]);
        for (int i = 0; i < w.length; i++) {
            float d = g[i] + weightDecay * w[i];
            if (b != null) d = b[i] = momentum * b[i] + d;
            w[i] -= lr * d;
        }
    }

    @Override
    protected Map<String, Map<String, float[]>> slots() {
        return Map.of("momentum", buf);
    }
}
