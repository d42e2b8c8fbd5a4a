package dev.attend.nn.autograd;

import dev.attend.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;

/**
 * A node of the autograd graph: a float32 {@link Tensor} value (any view: permuted, sliced) and, once
 * {@link #backward()} has reached it, its gradient (a contiguous tensor of the same shape).
 *
 * <p>A leaf is made by {@link #leaf} (a parameter or an input whose gradient is wanted) or {@link #constant}; every
 * other node is made by an op, which records its inputs and one closure that, given this node's gradient, adds the
 * inputs' gradients (one call per node, never per element). {@link #backward()} walks the nodes reachable from
 * this one in reverse topological order; after a node's closure has run it drops the closure (and with it the
 * activations the op saved) and the gradient of every non-leaf node, so memory falls as the pass proceeds.
 * Under {@link #noGrad()} ops record nothing. The graph is single-threaded (ops parallelise inside).
 */
public final class Var {
    private static final ThreadLocal<int[]> NO_GRAD = ThreadLocal.withInitial(() -> new int[1]);

    private final Tensor value;
    private final boolean requiresGrad;
    private final boolean leaf;
    private final String op;
    private Tensor grad;
    private Var[] inputs;
    private Backward backward;

    /** Adds the gradients of an op's inputs, given the gradient {@code g} of its output (contiguous, row-major). */
    @FunctionalInterface
    public interface Backward {
        void run(float[] g);
    }

    private Var(Tensor value, boolean requiresGrad, boolean leaf, String op, Var[] inputs, Backward backward) {
        this.value = Objects.requireNonNull(value, "value");
        this.requiresGrad = requiresGrad;
        this.leaf = leaf;
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }

    /** A leaf whose gradient {@link #backward()} computes (a parameter, or an input under test). */
    public static Var leaf(Tensor value) {
        return new Var(value, true, true, "leaf", null, null);
    }

    /** A leaf without gradient (data, targets, masks). */
    public static Var constant(Tensor value) {
        return new Var(value, false, true, "constant", null, null);
    }

    /**
     * The output of an op: it records {@code backward} only when gradients are enabled and some input needs one.
     * Ops call this; {@code backward} must accumulate into the inputs' {@link #gradData()}.
     */
    public static Var of(String op, Tensor value, Backward backward, Var... inputs) {
        boolean needs = false;
        if (NO_GRAD.get()[0] == 0) for (Var v : inputs) needs |= v != null && v.requiresGrad;
        return needs ? new Var(value, true, false, op, inputs, backward) : new Var(value, false, false, op, null, null);
    }

    /** Whether gradients are being recorded on this thread (false inside {@link #noGrad()}). */
    public static boolean gradEnabled() {
        return NO_GRAD.get()[0] == 0;
    }

    /** A scope in which ops record nothing (inference): {@code try (var s = Var.noGrad()) { ... }}. Scopes nest. */
    public static AutoCloseable noGrad() {
        int[] depth = NO_GRAD.get();
        depth[0]++;
        return new AutoCloseable() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) depth[0]--;
                closed = true;
            }
        };
    }

    public Tensor value() { return value; }
    public boolean requiresGrad() { return requiresGrad; }
    public boolean isLeaf() { return leaf; }
    public String op() { return op; }
    public long[] shape() { return value.shape(); }
    public int rank() { return value.rank(); }
    public int dim(int i) { return value.dimInt(i < 0 ? value.rank() + i : i); }
    public long size() { return value.size(); }

    /** The gradient, or null before a backward pass reached this node (and for non-leaves after it). */
    public Tensor grad() { return grad; }

    /** Sets the gradient to null (an optimiser step does this between steps). */
    public void zeroGrad() { grad = null; }

    /** The gradient's storage, allocated (zero) on first use: ops add into it. Only for nodes that require grad. */
    public float[] gradData() {
        if (grad == null) grad = leaf ? Buf.zeros(value.shape()) : Buf.zeroGradient(value.shape());
        return grad.heapArray();
    }

    /** The value as a contiguous row-major {@code float[]} (the backing array when already so, else a copy). */
    public float[] data() {
        return Buf.data(value);
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (value.size() != 1) throw new IllegalArgumentException("item: expected a one-element tensor, got shape " + Arrays.toString(value.shape()));
        return data()[0];
    }

    /** Backward from a one-element tensor (a loss), seeded with 1. */
    public void backward() {
        if (value.size() != 1) {
            throw new IllegalArgumentException("backward: expected a one-element loss, got shape " + Arrays.toString(value.shape())
                    + "; pass a seed gradient of that shape instead");
        }
        backward(Tensor.of(new float[] {1f}, value.shape()));
    }

    /** Backward with {@code seed} as this node's gradient (same shape), accumulating into every reachable leaf. */
    public void backward(Tensor seed) {
        if (!requiresGrad) throw new IllegalStateException("backward: this tensor does not require grad (no leaf with a gradient reaches it, or it was made under noGrad)");
        if (!Arrays.equals(seed.shape(), value.shape())) {
            throw new IllegalArgumentException("seed: expected shape " + Arrays.toString(value.shape()) + ", got " + Arrays.toString(seed.shape()));
        }
        if (!leaf && backward == null) {
            throw new IllegalStateException("backward: this graph was already used by a backward pass (its activations are freed); run the forward pass again");
        }
        List<Var> order = topologicalOrder();
        Buf.addInto(gradData(), Buf.data(seed));
        for (int i = order.size() - 1; i >= 0; i--) {
            Var v = order.get(i);
            if (v.backward != null && v.grad != null) v.backward.run(v.grad.heapArray());
            v.backward = null;
            v.inputs = null;
            if (!v.leaf && v.grad != null) {
                // nothing else holds a non-leaf's gradient: the closures use it only while they run
                Buf.recycle(v.grad);
                v.grad = null;
            }
        }
    }

    /** Nodes reachable from this one that need a gradient, each after all of its inputs (iterative: deep graphs are fine). */
    private List<Var> topologicalOrder() {
        List<Var> order = new ArrayList<>();
        IdentityHashMap<Var, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {this, 0});
        seen.put(this, true);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Var v = (Var) top[0];
            int next = (Integer) top[1];
            if (v.inputs != null && next < v.inputs.length) {
                top[1] = next + 1;
                Var in = v.inputs[next];
                if (in != null && in.requiresGrad && seen.put(in, true) == null) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                order.add(v);
            }
        }
        return order;
    }

    @Override
    public String toString() {
        return op + Arrays.toString(value.shape()) + (requiresGrad ? " (grad)" : "");
    }
}
