package dev.attend.nn.autograd;

import dev.attend.simd.VMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.util.Arrays;

/**
 * Reductions and the softmax family: sum, mean and max over chosen axes (optionally keeping them as size 1),
 * the sum of everything, and softmax / log-softmax over the last axis.
 *
 * <p>An axis reduction views the input as {@code [outer, n, inner]}; over the last axis (inner = 1) each row is a
 * vectorised reduction, elsewhere the rows of {@code inner} are added as vectors. Softmax keeps one pass for the
 * maximum, one for the exponentials (through {@link VMath#exp(FloatVector)}) and their sum, one to normalise;
 * rows are split over workers. Lane sums go through {@link VMath#sumLanes} so that results do not depend on
 * whether C2 has compiled the loop (resumed runs must match bit for bit).
 */
public final class Reductions {
    private Reductions() {}

    /** The sum of every element, shape {@code []}. */
    public static Var sumAll(Var a) {
        float[] x = a.data();
        float s = sum(x, 0, x.length);
        return Var.of("sum", Buf.wrap(new float[] {s}), g -> {
            float[] ga = a.gradData();
            float v = g[0];
            for (int i = 0; i < ga.length; i++) ga[i] += v;
        }, a);
    }

    /** The mean of every element, shape {@code []}. */
    public static Var meanAll(Var a) {
        return Pointwise.scale(sumAll(a), 1f / Math.max(1, a.size()));
    }

    public static Var sum(Var a, boolean keepDims, int... axes) {
        Var r = a;
        for (int ax : sortedDescending(axes, a.rank(), "sum")) r = reduce(r, ax, keepDims, false);
        return r;
    }

    public static Var mean(Var a, boolean keepDims, int... axes) {
        long n = 1;
        for (int ax : sortedDescending(axes, a.rank(), "mean")) n *= a.dim(ax);
        return Pointwise.scale(sum(a, keepDims, axes), 1f / Math.max(1, n));
    }

    /** The maximum over {@code axis}; the gradient flows to the first maximal element. */
    public static Var max(Var a, int axis, boolean keepDims) {
        return reduce(a, Buf.axis(axis, a.rank(), "max"), keepDims, true);
    }

    private static int[] sortedDescending(int[] axes, int rank, String op) {
        int[] s = new int[axes.length];
        for (int i = 0; i < axes.length; i++) s[i] = Buf.axis(axes[i], rank, op);
        Arrays.sort(s);
        for (int i = 1; i < s.length; i++) if (s[i] == s[i - 1]) throw new IllegalArgumentException(op + ": axis " + s[i] + " given twice");
        for (int i = 0; i < s.length / 2; i++) {
            int t = s[i];
            s[i] = s[s.length - 1 - i];
            s[s.length - 1 - i] = t;
        }
        return s;
    }

    private static Var reduce(Var a, int axis, boolean keepDims, boolean isMax) {
        long[] shape = a.shape();
        int n = (int) shape[axis], outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= (int) shape[i];
        for (int i = axis + 1; i < shape.length; i++) inner *= (int) shape[i];
        if (isMax && n == 0) throw new IllegalArgumentException("max: axis " + axis + " has size 0");
        float[] x = a.data(), y = new float[outer * inner];
        int[] arg = isMax ? new int[outer * inner] : null;
        final int fn = n, fi = inner, fo = outer;
        Buf.chunks(outer, Math.max(1, Buf.PARALLEL_MIN / Math.max(1, n * inner)), (from, to) -> {
            for (int o = from; o < to; o++) {
                int base = o * fn * fi;
                if (isMax) {
                    for (int i = 0; i < fi; i++) {
                        float m = Float.NEGATIVE_INFINITY;
                        int best = 0;
                        for (int j = 0; j < fn; j++) {
                            float v = x[base + j * fi + i];
                            if (v > m || (j == 0)) { m = v; best = j; }
                        }
                        y[o * fi + i] = m;
                        arg[o * fi + i] = best;
                    }
                } else if (fi == 1) {
                    y[o] = sum(x, base, fn);
                } else {
                    for (int j = 0; j < fn; j++) Buf.addInto(y, o * fi, x, base + j * fi, fi);
                }
            }
        });
        long[] out;
        if (keepDims) {
            out = shape.clone();
            out[axis] = 1;
        } else {
            out = new long[shape.length - 1];
            for (int i = 0, k = 0; i < shape.length; i++) if (i != axis) out[k++] = shape[i];
        }
        return Var.of(isMax ? "max" : "sum", Buf.wrap(y, out), g -> {
            float[] ga = a.gradData();
            for (int o = 0; o < fo; o++) {
                int base = o * fn * fi;
                if (isMax) {
                    for (int i = 0; i < fi; i++) ga[base + arg[o * fi + i] * fi + i] += g[o * fi + i];
                } else if (fi == 1) {
                    float v = g[o];
                    for (int j = 0; j < fn; j++) ga[base + j] += v;
                } else {
                    for (int j = 0; j < fn; j++) Buf.addInto(ga, base + j * fi, g, o * fi, fi);
                }
            }
        }, a);
    }

    /** Softmax over the last axis. */
    public static Var softmax(Var a) {
        int n = lastDim(a, "softmax");
        float[] x = a.data(), y = new float[x.length];
        int rows = n == 0 ? 0 : x.length / n;
        Buf.chunks(rows, Math.max(1, 4096 / Math.max(1, n)), (from, to) -> {
            for (int r = from; r < to; r++) softmaxRow(x, y, r * n, n, false);
        });
        return Var.of("softmax", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            Buf.chunks(rows, Math.max(1, 4096 / Math.max(1, n)), (from, to) -> {
                for (int r = from; r < to; r++) {
                    int o = r * n;
                    float d = dot(g, y, o, n);
                    for (int j = 0; j < n; j++) ga[o + j] += y[o + j] * (g[o + j] - d);
                }
            });
        }, a);
    }

    /** Log-softmax over the last axis: {@code x - logsumexp(x)}. */
    public static Var logSoftmax(Var a) {
        int n = lastDim(a, "logSoftmax");
        float[] x = a.data(), y = new float[x.length];
        int rows = n == 0 ? 0 : x.length / n;
        Buf.chunks(rows, Math.max(1, 4096 / Math.max(1, n)), (from, to) -> {
            for (int r = from; r < to; r++) softmaxRow(x, y, r * n, n, true);
        });
        return Var.of("logSoftmax", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            for (int r = 0; r < rows; r++) {
                int o = r * n;
                float s = sum(g, o, n);
                for (int j = 0; j < n; j++) ga[o + j] += g[o + j] - (float) Math.exp(y[o + j]) * s;
            }
        }, a);
    }

    private static int lastDim(Var a, String op) {
        if (a.rank() == 0) throw new IllegalArgumentException(op + ": expected at least one dimension, got a scalar");
        return a.dim(a.rank() - 1);
    }

    /** Softmax (or log-softmax) of {@code x[o, o+n)} into y; returns the log-sum-exp. */
    static float softmaxRow(float[] x, float[] y, int o, int n, boolean log) {
        float m = max(x, o, n);
        if (m == Float.NEGATIVE_INFINITY) {
            // every score masked: softmax is undefined; keep it 0 (log-softmax -inf) rather than NaN
            Arrays.fill(y, o, o + n, log ? Float.NEGATIVE_INFINITY : 0f);
            return Float.NEGATIVE_INFINITY;
        }
        FloatVector mv = FloatVector.broadcast(Buf.F, m), acc = FloatVector.zero(Buf.F);
        int i = 0, ub = Buf.F.loopBound(n);
        for (; i < ub; i += Buf.L) {
            FloatVector e = VMath.exp(FloatVector.fromArray(Buf.F, x, o + i).sub(mv));
            if (!log) e.intoArray(y, o + i);
            acc = acc.add(e);
        }
        float s = VMath.sumLanes(acc);
        for (; i < n; i++) {
            float e = VMath.exp(x[o + i] - m);
            if (!log) y[o + i] = e;
            s += e;
        }
        if (log) {
            float lse = m + (float) Math.log(s);
            for (int j = 0; j < n; j++) y[o + j] = x[o + j] - lse;
            return lse;
        }
        FloatVector inv = FloatVector.broadcast(Buf.F, 1f / s);
        for (i = 0; i < ub; i += Buf.L) FloatVector.fromArray(Buf.F, y, o + i).mul(inv).intoArray(y, o + i);
        for (; i < n; i++) y[o + i] *= 1f / s;
        return m + (float) Math.log(s);
    }

    static float max(float[] x, int o, int n) {
        FloatVector acc = FloatVector.broadcast(Buf.F, Float.NEGATIVE_INFINITY);
        int i = 0, ub = Buf.F.loopBound(n);
        for (; i < ub; i += Buf.L) acc = acc.max(FloatVector.fromArray(Buf.F, x, o + i));
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, x[o + i]);
        return m;
    }

    static float sum(float[] x, int o, int n) {
        FloatVector acc = FloatVector.zero(Buf.F);
        int i = 0, ub = Buf.F.loopBound(n);
        for (; i < ub; i += Buf.L) acc = acc.add(FloatVector.fromArray(Buf.F, x, o + i));
        float s = VMath.sumLanes(acc);
        for (; i < n; i++) s += x[o + i];
        return s;
    }

    static float dot(float[] x, float[] y, int o, int n) {
        FloatVector acc = FloatVector.zero(Buf.F);
        int i = 0, ub = Buf.F.loopBound(n);
        for (; i < ub; i += Buf.L) acc = FloatVector.fromArray(Buf.F, x, o + i).fma(FloatVector.fromArray(Buf.F, y, o + i), acc);
        float s = VMath.sumLanes(acc);
        for (; i < n; i++) s += x[o + i] * y[o + i];
        return s;
    }
}
