package dev.attend.nn.autograd;

import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The storage conventions of the ops: every value an op makes and every gradient is a contiguous row-major
 * tensor over a Java {@code float[]} ({@link #zeros}, {@link #wrap}); inputs may be any view and are read through
 * {@link #data} (no copy when already contiguous). Also the few vectorised loops that many ops share.
 */
public final class Buf {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Elements below which an elementwise loop stays on one thread. */
    static final int PARALLEL_MIN = 1 << 16;

    private Buf() {}

    public static Tensor zeros(long... shape) {
        return Tensor.zeros(shape);
    }

    // Gradients of intermediate nodes die as soon as backward has passed them, and the same sizes come back every
    // step. Recycling them keeps them out of the young generation: without it a step's activations and gradients
    // (hundreds of MB) are copied by every young collection that lands inside the step.
    private static final java.util.Map<Integer, java.util.ArrayDeque<float[]>> POOL = new java.util.HashMap<>();
    private static final long POOL_MAX_FLOATS = 1L << 28;  // 1 GB
    private static long pooled;

    /** A zero-filled gradient buffer of {@code shape}, recycled from {@link #recycle} when one of that size is free. */
    static synchronized Tensor zeroGradient(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        java.util.ArrayDeque<float[]> q = n <= Integer.MAX_VALUE - 16 ? POOL.get((int) n) : null;
        float[] a = q == null ? null : q.poll();
        if (a == null) return Tensor.zeros(shape);
        pooled -= a.length;
        Arrays.fill(a, 0f);
        return wrap(a, shape);
    }

    /** Returns a gradient buffer that nothing references any more (the backward pass calls this). */
    static synchronized void recycle(Tensor grad) {
        float[] a = grad.heapArray();
        if (a == null || a.length < 1024 || pooled + a.length > POOL_MAX_FLOATS) return;
        POOL.computeIfAbsent(a.length, k -> new java.util.ArrayDeque<>()).push(a);
        pooled += a.length;
    }

    /** Drops every recycled buffer (after training, to give the memory back). */
    public static synchronized void clearPool() {
        POOL.clear();
        pooled = 0;
    }

    /** A tensor over {@code a} itself (no copy); {@code a.length} must be the element count. */
    public static Tensor wrap(float[] a, long... shape) {
        return Tensor.wrap(MemorySegment.ofArray(a), shape);
    }

    /** A contiguous row-major copy-or-alias of {@code t}'s elements: the backing array when it is exactly that. */
    public static float[] data(Tensor t) {
        if (t.isContiguous()) {
            float[] a = t.heapArray();
            if (a != null && a.length == t.size()) return a;
        }
        return t.toArray();
    }

    /** {@code dst[i] += src[i]} for every i of src. */
    public static void addInto(float[] dst, float[] src) {
        addInto(dst, 0, src, 0, src.length);
    }

    static void addInto(float[] dst, int dOff, float[] src, int sOff, int n) {
        int i = 0, ub = F.loopBound(n);
        for (; i < ub; i += L) {
            FloatVector.fromArray(F, dst, dOff + i).add(FloatVector.fromArray(F, src, sOff + i)).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) dst[dOff + i] += src[sOff + i];
    }

    /**
     * Adds {@code src} (row-major over {@code view}'s shape) into the elements of {@code view}, a view (permuted,
     * sliced) of a heap tensor: how the backward pass of a view op reaches its input's gradient.
     */
    static void addIntoView(Tensor view, float[] src) {
        float[] dst = view.heapArray();
        long[] shape = view.shape(), strides = view.strides();
        int rank = shape.length;
        if (rank == 0) {
            dst[(int) view.offset()] += src[0];
            return;
        }
        int n = (int) shape[rank - 1], s = (int) strides[rank - 1];
        long rows = view.size() / Math.max(1, n);
        int[] idx = new int[rank];
        long at = view.offset();
        for (long r = 0, o = 0; r < rows; r++, o += n) {
            int base = (int) at;
            if (s == 1) addInto(dst, base, src, (int) o, n);
            else for (int j = 0; j < n; j++) dst[base + j * s] += src[(int) o + j];
            // odometer over the leading dimensions
            for (int d = rank - 2; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    at += strides[d];
                    break;
                }
                at -= strides[d] * (shape[d] - 1);
                idx[d] = 0;
            }
        }
    }

    /** Runs {@code body(from, to)} over [0, n) split into contiguous chunks, in parallel when n is large. */
    static void chunks(int n, int minPerWorker, Range body) {
        int workers = (int) Math.max(1, Math.min(Parallel.workers(), n / Math.max(1, minPerWorker)));
        if (workers == 1) {
            body.run(0, n);
            return;
        }
        Parallel.run(workers, (w, t) -> body.run((int) ((long) n * w / t), (int) ((long) n * (w + 1) / t)));
    }

    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    static int[] ints(long[] s) {
        int[] r = new int[s.length];
        for (int i = 0; i < s.length; i++) r[i] = Math.toIntExact(s[i]);
        return r;
    }

    static long[] longs(int[] s) {
        return Arrays.stream(s).asLongStream().toArray();
    }

    static int checkedInt(long n, String what) {
        if (n > Integer.MAX_VALUE - 16) throw new IllegalArgumentException(what + ": " + n + " elements do not fit a float[]");
        return (int) n;
    }

    /** Normalises a possibly negative axis. */
    static int axis(int axis, int rank, String op) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new IllegalArgumentException(op + ": axis must be in [" + -rank + ", " + rank + "), got " + axis);
        return a;
    }
}
