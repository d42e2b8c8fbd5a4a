package dev.attend.nn.autograd;

import dev.attend.tensor.Tensor;

import java.util.Arrays;

/**
 * Ops that move elements without arithmetic: reshape, permute / transpose and slice (views of the input: no copy
 * forward; backward adds the gradient through the same view of the input's gradient), contiguous, concat, gather
 * and embedding lookup (backward: scatter-add), and scatter-add.
 *
 * <p>Index arguments are {@code int[]} in row-major order with an explicit shape. Every index is checked against
 * its bound before any work, and the error names the position and the value.
 */
public final class Shapes {
    private Shapes() {}

    /** A new shape of the same element count; one dimension may be -1 (inferred). */
    public static Var reshape(Var a, long... shape) {
        long[] s = shape.clone();
        long known = 1;
        int infer = -1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: at most one -1 dimension, got " + Arrays.toString(shape));
                infer = i;
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || a.size() % known != 0) {
                throw new IllegalArgumentException("reshape: cannot infer -1 in " + Arrays.toString(shape) + " for " + a.size() + " elements");
            }
            s[infer] = a.size() / known;
        }
        Tensor v = a.value().reshape(s);   // a view when contiguous, else a copy
        return Var.of("reshape", v, g -> Buf.addInto(a.gradData(), g), a);
    }

    /** Dimensions reordered: result dimension i is the input's {@code order[i]} (a view). */
    public static Var permute(Var a, int... order) {
        Tensor v = a.value().permute(order);
        return Var.of("permute", v, g -> {
            a.gradData();
            Buf.addIntoView(a.grad().permute(order), g);
        }, a);
    }

    /** Dimensions d0 and d1 swapped (a view). */
    public static Var transpose(Var a, int d0, int d1) {
        int r = a.rank();
        int[] order = new int[r];
        for (int i = 0; i < r; i++) order[i] = i;
        d0 = Buf.axis(d0, r, "transpose");
        d1 = Buf.axis(d1, r, "transpose");
        order[d0] = d1;
        order[d1] = d0;
        return permute(a, order);
    }

    /** The range [from, to) of dimension {@code dim} (a view). */
    public static Var slice(Var a, int dim, long from, long to) {
        int d = Buf.axis(dim, a.rank(), "slice");
        Tensor v = a.value().slice(d, from, to);
        return Var.of("slice", v, g -> {
            a.gradData();
            Buf.addIntoView(a.grad().slice(d, from, to), g);
        }, a);
    }

    /** A contiguous copy when the value is a view (the gradient passes unchanged). */
    public static Var contiguous(Var a) {
        if (a.value().isContiguous() && a.value().heapArray() != null && a.value().heapArray().length == a.size()) return a;
        return Var.of("contiguous", Buf.wrap(a.data(), a.shape()), g -> Buf.addInto(a.gradData(), g), a);
    }

    /** Inputs joined along {@code dim}; every other dimension must agree. */
    public static Var concat(int dim, Var... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("concat: expected at least one tensor, got none");
        int d = Buf.axis(dim, parts[0].rank(), "concat");
        long[] shape = parts[0].shape();
        long total = 0;
        for (int p = 0; p < parts.length; p++) {
            long[] s = parts[p].shape();
            if (s.length != shape.length) throw new IllegalArgumentException("concat: tensor " + p + " has rank " + s.length + ", expected " + shape.length);
            for (int i = 0; i < s.length; i++) {
                if (i != d && s[i] != shape[i]) {
                    throw new IllegalArgumentException("concat: tensor " + p + " has shape " + Arrays.toString(s) + ", expected "
                            + Arrays.toString(shape) + " outside dimension " + d);
                }
            }
            total += s[d];
        }
        shape[d] = total;
        Tensor out = Buf.zeros(shape);
        long at = 0;
        for (Var p : parts) {
            long len = p.value().dim(d);
            Buf.addIntoView(out.slice(d, at, at + len), p.data());
            at += len;
        }
        return Var.of("concat", out, g -> {
            Tensor gt = Buf.wrap(g, shape);
            long o = 0;
            for (Var p : parts) {
                long len = p.value().dim(d);
                if (p.requiresGrad()) Buf.addInto(p.gradData(), Buf.data(gt.slice(d, o, o + len)));
                o += len;
            }
        }, parts);
    }

    /**
     * Rows of a table: {@code table [V, D]}, {@code ids} in [0, V) of shape {@code idShape}, result
     * {@code [idShape..., D]}. Backward adds each output row into its table row (repeated ids add up).
     */
    public static Var embedding(Var table, int[] ids, long... idShape) {
        if (table.rank() != 2) throw new IllegalArgumentException("embedding: table must be [V, D], got " + Arrays.toString(table.shape()));
        checkCount("embedding", ids, idShape);
        int v = table.dim(0), dm = table.dim(1);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= v) throw new IllegalArgumentException("embedding: id at position " + i + " must be in [0, " + v + "), got " + ids[i]);
        }
        float[] w = table.data(), y = new float[Buf.checkedInt((long) ids.length * dm, "embedding")];
        for (int i = 0; i < ids.length; i++) System.arraycopy(w, ids[i] * dm, y, i * dm, dm);
        long[] out = Arrays.copyOf(idShape, idShape.length + 1);
        out[idShape.length] = dm;
        return Var.of("embedding", Buf.wrap(y, out), g -> {
            float[] gw = table.gradData();
            for (int i = 0; i < ids.length; i++) Buf.addInto(gw, ids[i] * dm, g, i * dm, dm);
        }, table);
    }

    /**
     * {@code out[..., i, ...] = x[..., index[..., i, ...], ...]} along {@code dim} (PyTorch's gather): index has
     * x's rank and x's sizes in every other dimension; the result has index's shape.
     */
    public static Var gather(Var x, int dim, int[] index, long... indexShape) {
        int d = Buf.axis(dim, x.rank(), "gather");
        int[] geo = geometry("gather", x.shape(), d, index, indexShape);
        int outer = geo[0], n = geo[1], inner = geo[2], m = geo[3];
        float[] a = x.data(), y = new float[index.length];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < m; j++) {
                for (int i = 0; i < inner; i++) {
                    int at = (o * m + j) * inner + i;
                    y[at] = a[(o * n + index[at]) * inner + i];
                }
            }
        }
        return Var.of("gather", Buf.wrap(y, indexShape), g -> {
            float[] ga = x.gradData();
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < m; j++) {
                    for (int i = 0; i < inner; i++) {
                        int at = (o * m + j) * inner + i;
                        ga[(o * n + index[at]) * inner + i] += g[at];
                    }
                }
            }
        }, x);
    }

    /**
     * {@code x} with {@code src} added at the positions {@code index} names along {@code dim} (PyTorch's
     * scatter_add): src has index's shape; repeated positions add up.
     */
    public static Var scatterAdd(Var x, int dim, int[] index, Var src) {
        int d = Buf.axis(dim, x.rank(), "scatterAdd");
        long[] indexShape = src.shape();
        int[] geo = geometry("scatterAdd", x.shape(), d, index, indexShape);
        int outer = geo[0], n = geo[1], inner = geo[2], m = geo[3];
        float[] y = x.data().clone(), s = src.data();
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < m; j++) {
                for (int i = 0; i < inner; i++) {
                    int at = (o * m + j) * inner + i;
                    y[(o * n + index[at]) * inner + i] += s[at];
                }
            }
        }
        return Var.of("scatterAdd", Buf.wrap(y, x.shape()), g -> {
            if (x.requiresGrad()) Buf.addInto(x.gradData(), g);
            if (src.requiresGrad()) {
                float[] gs = src.gradData();
                for (int o = 0; o < outer; o++) {
                    for (int j = 0; j < m; j++) {
                        for (int i = 0; i < inner; i++) {
                            int at = (o * m + j) * inner + i;
                            gs[at] += g[(o * n + index[at]) * inner + i];
                        }
                    }
                }
            }
        }, x, src);
    }

    /** [outer, n, inner, m]: the view of x as [outer, n, inner] and of index as [outer, m, inner], checked. */
    private static int[] geometry(String op, long[] xs, int d, int[] index, long[] is) {
        checkCount(op, index, is);
        if (is.length != xs.length) throw new IllegalArgumentException(op + ": index must have rank " + xs.length + ", got " + Arrays.toString(is));
        int outer = 1, inner = 1;
        for (int i = 0; i < xs.length; i++) {
            if (i != d && is[i] != xs[i]) {
                throw new IllegalArgumentException(op + ": index shape " + Arrays.toString(is) + " must equal x's " + Arrays.toString(xs)
                        + " outside dimension " + d);
            }
            if (i < d) outer *= (int) xs[i];
            if (i > d) inner *= (int) xs[i];
        }
        int n = (int) xs[d];
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= n) throw new IllegalArgumentException(op + ": index at position " + i + " must be in [0, " + n + "), got " + index[i]);
        }
        return new int[] {outer, n, inner, (int) is[d]};
    }

    private static void checkCount(String op, int[] index, long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        if (index == null || n != index.length) {
            throw new IllegalArgumentException(op + ": expected " + n + " indices for shape " + Arrays.toString(shape) + ", got "
                    + (index == null ? "null" : index.length));
        }
    }
}
