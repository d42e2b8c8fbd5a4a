package dev.attend.nn.autograd;

import dev.attend.tensor.Tensor;

import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The finite-difference gradient checker every op's test uses. For {@code y = f(x_1, ..., x_n)} it seeds the
 * backward pass with a fixed random tensor w (so every output element matters with its own weight), and compares
 * each input's analytic gradient of {@code L = sum(w * y)} (accumulated in double) with the central difference
 * {@code (L(x + h e) - L(x - h e)) / 2h} for every element (or 48 drawn ones of a large input). Inputs may be any
 * views ({@link #transposedView}, {@link #slicedView}): the perturbation writes through the view.
 */
public final class GradCheck {
    private static final int MAX_CHECKED = 48;

    private GradCheck() {}

    public static void check(String name, Function<Var[], Var> f, Tensor... inputs) {
        check(name, f, 3e-3, inputs);
    }

    /** As {@link #check(String, Function, Tensor...)} with step h (default 3e-3). */
    public static void check(String name, Function<Var[], Var> f, double h, Tensor... inputs) {
        Var[] leaves = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) leaves[i] = Var.leaf(inputs[i]);
        Var y = f.apply(leaves);
        Tensor w = Tensor.randn(12345, y.shape());
        y.backward(w);
        float[] wd = w.toArray();
        Random pick = new Random(7);
        for (int i = 0; i < inputs.length; i++) {
            Tensor x = inputs[i];
            Tensor grad = leaves[i].grad();
            assertNotNull(grad, name + ": input " + i + " got no gradient");
            long n = x.size();
            int count = (int) Math.min(n, MAX_CHECKED);
            for (int c = 0; c < count; c++) {
                long e = n <= MAX_CHECKED ? c : (long) (pick.nextDouble() * n);
                long[] at = coordinates(e, x.shape());
                float orig = x.get(at);
                x.set(orig + (float) h, at);
                double lp = loss(f, inputs, wd);
                x.set(orig - (float) h, at);
                double lm = loss(f, inputs, wd);
                x.set(orig, at);
                double numeric = (lp - lm) / (2 * h);
                double analytic = grad.get(at);
                double tol = 3e-3 + 2e-2 * Math.max(Math.abs(numeric), Math.abs(analytic));
                if (!(Math.abs(numeric - analytic) <= tol)) {
                    fail(name + ": d/dx" + i + java.util.Arrays.toString(at) + " analytic " + analytic + ", finite difference " + numeric);
                }
            }
        }
    }

    private static double loss(Function<Var[], Var> f, Tensor[] inputs, float[] w) {
        Var[] c = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) c[i] = Var.constant(inputs[i]);
        float[] y;
        try (AutoCloseable s = Var.noGrad()) {
            y = f.apply(c).data();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        double l = 0;
        for (int i = 0; i < y.length; i++) l += (double) w[i] * y[i];
        return l;
    }

    static long[] coordinates(long flat, long[] shape) {
        long[] at = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            at[d] = flat % shape[d];
            flat /= shape[d];
        }
        return at;
    }

    /** A standard normal tensor of {@code shape} stored transposed (last two dims swapped): a non-contiguous view. */
    public static Tensor transposedView(long seed, long... shape) {
        int r = shape.length;
        long[] s = shape.clone();
        long t = s[r - 1];
        s[r - 1] = s[r - 2];
        s[r - 2] = t;
        int[] order = new int[r];
        for (int i = 0; i < r; i++) order[i] = i;
        order[r - 1] = r - 2;
        order[r - 2] = r - 1;
        return Tensor.randn(seed, s).permute(order);
    }

    /** A standard normal tensor of {@code shape} that is a slice (offset, gaps) of a larger one. */
    public static Tensor slicedView(long seed, long... shape) {
        long[] s = shape.clone();
        s[s.length - 1] += 3;
        return Tensor.randn(seed, s).slice(s.length - 1, 1, 1 + shape[shape.length - 1]);
    }

    public static Tensor randn(long seed, long... shape) {
        return Tensor.randn(seed, shape);
    }

    /** Uniform in [lo, hi): for ops defined on part of the line (log, sqrt, pow). */
    public static Tensor uniform(long seed, float lo, float hi, long... shape) {
        Tensor t = Tensor.zeros(shape);
        Random r = new Random(seed);
        float[] a = t.heapArray();
        for (int i = 0; i < a.length; i++) a[i] = lo + (hi - lo) * r.nextFloat();
        return t;
    }
}
