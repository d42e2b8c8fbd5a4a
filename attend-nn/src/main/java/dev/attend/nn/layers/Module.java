package dev.attend.nn.layers;

import dev.attend.nn.autograd.Var;
import dev.attend.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A layer: named parameters ({@link Var} leaves) and named child layers, flattened by {@link #parameters()} into
 * dotted names in declaration order ({@code blocks.0.attn.q.weight}), the names checkpoints use.
 *
 * <p>Initial values come from a {@link Random} the caller seeds; a model built twice from the same seed has the
 * same parameters bit for bit. {@link #load} overwrites values in place, checking every name and shape first.
 */
public abstract class Module {
    private final Map<String, Var> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();

    protected final Var param(String name, Tensor init) {
        Var v = Var.leaf(init);
        if (params.put(name, v) != null || children.containsKey(name)) throw new IllegalStateException("duplicate parameter name " + name);
        return v;
    }

    protected final <M extends Module> M child(String name, M m) {
        if (children.put(name, m) != null || params.containsKey(name)) throw new IllegalStateException("duplicate child name " + name);
        return m;
    }

    /** Every parameter under its dotted name, in declaration order. */
    public final Map<String, Var> parameters() {
        Map<String, Var> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Var> out) {
        for (var e : params.entrySet()) out.put(prefix + e.getKey(), e.getValue());
        for (var e : children.entrySet()) e.getValue().collect(prefix + e.getKey() + ".", out);
    }

    public final long parameterCount() {
        long n = 0;
        for (Var v : parameters().values()) n += v.size();
        return n;
    }

    /** Copies {@code values} into the parameters; the names and shapes must match exactly. */
    public final void load(Map<String, Tensor> values) {
        Map<String, Var> mine = parameters();
        for (var e : mine.entrySet()) {
            Tensor t = values.get(e.getKey());
            if (t == null) throw new IllegalArgumentException("load: missing parameter '" + e.getKey() + "'");
            if (!Arrays.equals(t.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("load: parameter '" + e.getKey() + "' expected shape " + Arrays.toString(e.getValue().shape())
                        + ", got " + Arrays.toString(t.shape()));
            }
        }
        for (String k : values.keySet()) {
            if (!mine.containsKey(k)) throw new IllegalArgumentException("load: unknown parameter '" + k + "' (not in this model)");
        }
        for (var e : mine.entrySet()) {
            float[] dst = e.getValue().value().heapArray(), src = values.get(e.getKey()).toArray();
            System.arraycopy(src, 0, dst, 0, src.length);
        }
    }

    // ---------------------------------------------------------------- seeded initialisers

    static Tensor normal(Random r, float std, long... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] a = t.heapArray();
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() * std);
        return t;
    }

    static Tensor uniform(Random r, float bound, long... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] a = t.heapArray();
        for (int i = 0; i < a.length; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        return t;
    }

    static Tensor filled(float v, long... shape) {
        Tensor t = Tensor.zeros(shape);
        Arrays.fill(t.heapArray(), v);
        return t;
    }
}
