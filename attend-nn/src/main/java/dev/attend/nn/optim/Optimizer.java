package dev.attend.nn.optim;

import dev.attend.nn.autograd.Var;
import dev.attend.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An optimiser over named parameters: {@link #step(float)} updates every parameter that has a gradient with the
 * given learning rate and clears the gradients. Its state (moments, the step count) is a map of named tensors,
 * so a checkpoint stores it beside the weights and a resumed run continues bit for bit.
 */
public abstract class Optimizer {
    protected final Map<String, Var> params;
    protected long steps;

    protected Optimizer(Map<String, Var> params) {
        if (params.isEmpty()) throw new IllegalArgumentException("params: expected at least one parameter, got none");
        this.params = new LinkedHashMap<>(params);
    }

    public final void step(float lr) {
        if (!(lr >= 0f) || Float.isInfinite(lr)) throw new IllegalArgumentException("lr: expected a finite learning rate >= 0, got " + lr);
        steps++;
        for (var e : params.entrySet()) {
            Var p = e.getValue();
            if (p.grad() == null) continue;
            update(e.getKey(), p.value().heapArray(), p.grad().heapArray(), lr);
            p.zeroGrad();
        }
    }

    /** Updates one parameter in place from its gradient. */
    protected abstract void update(String name, float[] w, float[] g, float lr);

    public final long steps() {
        return steps;
    }

    /** The state as named tensors: {@code <slot>.<param name>} plus {@code steps}. */
    public final Map<String, Tensor> state() {
        Map<String, Tensor> s = new LinkedHashMap<>();
        s.put("steps", Tensor.of(new float[] {Float.intBitsToFloat((int) steps), Float.intBitsToFloat((int) (steps >>> 32))}, 2));
        for (var e : slots().entrySet()) {
            for (var p : e.getValue().entrySet()) s.put(e.getKey() + "." + p.getKey(), Tensor.of(p.getValue(), params.get(p.getKey()).shape()));
        }
        return s;
    }

    /** Restores {@link #state()}; every slot tensor must name a parameter and match its size. */
    public final void loadState(Map<String, Tensor> s) {
        Tensor st = s.get("steps");
        if (st == null || st.size() != 2) throw new IllegalArgumentException("optimizer state: missing 'steps'");
        float[] sv = st.toArray();
        steps = (Float.floatToRawIntBits(sv[0]) & 0xffffffffL) | ((long) Float.floatToRawIntBits(sv[1]) << 32);
        for (var e : slots().entrySet()) {
            e.getValue().clear();
            for (String name : params.keySet()) {
                Tensor t = s.get(e.getKey() + "." + name);
                if (t == null) continue;
                if (t.size() != params.get(name).size()) {
                    throw new IllegalArgumentException("optimizer state: '" + e.getKey() + "." + name + "' has " + t.size() + " elements, expected "
                            + params.get(name).size());
                }
                e.getValue().put(name, t.toArray());
            }
        }
    }

    /** Slot name to (parameter name to buffer), created lazily by {@link #update}. */
    protected abstract Map<String, Map<String, float[]>> slots();
}
