package dev.attend.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * A dense float32 tensor: a shape, strides in elements, and a {@link MemorySegment} that holds the data.
 *
 * <p>The segment is off-heap and managed by the garbage collector ({@link Arena#ofAuto()}), so a tensor
 * may hold more than 2^31 elements. Views ({@link #reshape}, {@link #slice}, {@link #permute}) share data;
 * {@link #contiguous()} copies only when the layout is not already row-major. Element access through
 * {@link #get(long...)} is for tests and tools; {@link #readRow} and {@link #writeRow} copy whole rows of any
 * view, and kernels address the segment themselves ({@link #offset()}, {@link #strides()}, {@link #readFloats}).
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final MemorySegment data;
    private final long offset;      // in elements
    private final long[] shape;
    private final long[] strides;   // in elements
    private final long size;

    private Tensor(MemorySegment data, long offset, long[] shape, long[] strides) {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
        this.size = checkedSize(shape);
    }

    /**
     * A new zero-filled tensor of the given shape. Up to 2^31 elements it lives in a Java {@code float[]}
     * (heap pages are reused, where fresh native memory would be zeroed and page-faulted on every call);
     * beyond, in native memory freed by the garbage collector.
     */
    public static Tensor zeros(long... shape) {
        long n = checkedSize(shape);
        MemorySegment seg = n <= MAX_HEAP_ELEMENTS
                ? MemorySegment.ofArray(new float[(int) n])
                : Arena.ofAuto().allocate(Math.multiplyExact(n, 4L), 64);
        return new Tensor(seg, 0, shape.clone(), rowMajorStrides(shape));
    }

    private static final long MAX_HEAP_ELEMENTS = Integer.MAX_VALUE - 16;

    /** Shape as ints, for the common case. */
    public static Tensor zeros(int... shape) {
        return zeros(Arrays.stream(shape).asLongStream().toArray());
    }

    /** A new tensor holding a copy of {@code values}, which must have exactly prod(shape) elements. */
    public static Tensor of(float[] values, long... shape) {
        long n = checkedSize(shape);
        if (n != values.length) {
            throw new IllegalArgumentException("values: expected " + n + " elements for shape "
                    + Arrays.toString(shape) + ", got " + values.length);
        }
        Tensor t = zeros(shape);
        MemorySegment.copy(values, 0, t.data, F32, 0, values.length);
        return t;
    }

    /**
     * A tensor of independent standard normal samples, reproducible from {@code seed}: the same seed and shape give
     * the same bits on any number of threads. Each chunk of {@value #RANDN_CHUNK} elements draws from its own
     * {@link SplittableRandom} (seeded from {@code seed} and the chunk's index; the JDK's ziggurat sampler), and the chunks are
     * filled in parallel: benchmark inputs of hundreds of millions of elements take a fraction of a second, where
     * one {@link Random#nextGaussian()} stream took about 40 ns an element.
     */
    public static Tensor randn(long seed, long... shape) {
        Tensor t = zeros(shape);
        long chunks = (t.size + RANDN_CHUNK - 1) / RANDN_CHUNK;
        dev.attend.simd.Parallel.run(Integer.MAX_VALUE, (w, workers) -> {
            float[] buf = new float[RANDN_CHUNK];
            for (long c = w; c < chunks; c += workers) {
                long start = c * RANDN_CHUNK;
                int n = (int) Math.min(RANDN_CHUNK, t.size - start);
                SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + c);
                for (int i = 0; i < n; i++) buf[i] = (float) r.nextGaussian();
                MemorySegment.copy(buf, 0, t.data, F32, start * 4, n);
            }
        });
        return t;
    }

    private static final int RANDN_CHUNK = 1 << 16;

    /**
     * A tensor of the given shape whose every element is {@code value}, held in one float (all strides 0): a
     * stand-in for shape checks and broadcasts that costs no memory. Treat it as read-only: a write changes every
     * element. {@link #contiguous()} makes a real copy.
     */
    public static Tensor constant(float value, long... shape) {
        checkedSize(shape);
        MemorySegment one = MemorySegment.ofArray(new float[] {value});
        return new Tensor(one, 0, shape.clone(), new long[shape.length]);
    }

    /** Wraps an existing segment of little-endian float32 values in row-major order (no copy). */
    public static Tensor wrap(MemorySegment segment, long... shape) {
        long n = checkedSize(shape);
        if (segment.byteSize() < n * 4) {
            throw new IllegalArgumentException("segment: expected at least " + n * 4 + " bytes for shape "
                    + Arrays.toString(shape) + ", got " + segment.byteSize());
        }
        return new Tensor(segment, 0, shape.clone(), rowMajorStrides(shape));
    }

    private static long checkedSize(long[] shape) {
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("shape: dimension " + i + " must be >= 0, got " + shape[i]
                        + " in " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, shape[i]);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape: element count overflows a long: " + Arrays.toString(shape));
            }
        }
        if (n > Long.MAX_VALUE / 4) {
            throw new IllegalArgumentException("shape: too many elements: " + Arrays.toString(shape));
        }
        return n;
    }

    private static long[] rowMajorStrides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }

    public int rank() { return shape.length; }
    public long size() { return size; }
    public long dim(int i) { return shape[i]; }
    public long[] shape() { return shape.clone(); }
    public long[] strides() { return strides.clone(); }

    /** Dimension {@code i} as an int; throws if it does not fit (kernels index rows with ints). */
    public int dimInt(int i) {
        long d = shape[i];
        if (d > Integer.MAX_VALUE) throw new IllegalArgumentException("dimension " + i + " too large for an int: " + d);
        return (int) d;
    }

    /** The backing segment; element (i0, i1, ...) lives at float index {@link #offsetOf(long...)}. */
    public MemorySegment segment() { return data; }

    /**
     * The {@code float[]} behind the segment when the tensor lives on the heap (as {@link #zeros} makes
     * tensors under 2^31 elements), so that float index i of {@link #segment()} is {@code heapArray()[i]};
     * otherwise null. Kernels read such tensors in place instead of copying tiles.
     */
    public float[] heapArray() {
        if (data.heapBase().orElse(null) instanceof float[] a && data.address() == 0 && data.byteSize() == 4L * a.length) {
            return a;
        }
        return null;
    }

    /** Float index into {@link #segment()} of an element. */
    public long offsetOf(long... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index: expected " + shape.length + " coordinates, got " + index.length);
        }
        long off = offset;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of bounds for shape "
                        + Arrays.toString(shape));
            }
            off += index[i] * strides[i];
        }
        return off;
    }

    public float get(long... index) { return data.getAtIndex(F32, offsetOf(index)); }

    public void set(float value, long... index) { data.setAtIndex(F32, offsetOf(index), value); }

    /**
     * True when the elements are laid out row-major without gaps from the start of the segment, so that
     * element {@code i} in row-major order is float {@code i} of {@link #segment()}: what kernels assume.
     */
    public boolean isContiguous() {
        return offset == 0 && (Arrays.equals(strides, rowMajorStrides(shape)) || size <= 1);
    }

    /**
     * This tensor if {@link #isContiguous()} already, else a row-major copy. The copy moves whole rows
     * (one bulk copy each when the last stride is 1), so permuting {@code [B, L, H, D]} to
     * {@code [B, H, L, D]} costs one pass at memory speed.
     */
    public Tensor contiguous() {
        if (isContiguous()) return this;
        Tensor out = zeros(shape);
        long n = rows(), d = lastDim();
        if (shape.length == 0 || d == 0) {
            if (size == 1) out.data.setAtIndex(F32, 0, data.getAtIndex(F32, offset));
            return out;
        }
        float[] row = new float[(int) Math.min(d, Integer.MAX_VALUE - 8)];
        if (d > row.length) throw new IllegalArgumentException("contiguous: last dimension too large: " + d);
        for (long r = 0; r < n; r++) {
            readRow(r, row, 0);
            MemorySegment.copy(row, 0, out.data, F32, r * d * 4, (int) d);
        }
        return out;
    }

    /** A view with a new shape of the same element count; needs a contiguous tensor (call {@link #contiguous()}). */
    public Tensor reshape(long... newShape) {
        if (checkedSize(newShape) != size) {
            throw new IllegalArgumentException("reshape: " + Arrays.toString(shape) + " has " + size
                    + " elements, target " + Arrays.toString(newShape) + " has " + checkedSize(newShape));
        }
        Tensor c = contiguous();
        return new Tensor(c.data, c.offset, newShape.clone(), rowMajorStrides(newShape));
    }

    /** A view of the range [from, to) along dimension {@code dim}. */
    public Tensor slice(int dim, long from, long to) {
        if (dim < 0 || dim >= shape.length) throw new IllegalArgumentException("slice: dim " + dim + " not in [0, " + shape.length + ")");
        if (from < 0 || to > shape[dim] || from > to) {
            throw new IllegalArgumentException("slice: range [" + from + ", " + to + ") not within [0, " + shape[dim] + "] on dim " + dim);
        }
        long[] s = shape.clone();
        s[dim] = to - from;
        return new Tensor(data, offset + from * strides[dim], s, strides.clone());
    }

    /** A view with dimensions reordered: result dim i is this tensor's dim {@code order[i]}. */
    public Tensor permute(int... order) {
        if (order.length != shape.length) throw new IllegalArgumentException("permute: expected " + shape.length + " axes, got " + order.length);
        long[] s = new long[order.length], st = new long[order.length];
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            if (order[i] < 0 || order[i] >= order.length || seen[order[i]]) throw new IllegalArgumentException("permute: not a permutation: " + Arrays.toString(order));
            seen[order[i]] = true;
            s[i] = shape[order[i]];
            st[i] = strides[order[i]];
        }
        return new Tensor(data, offset, s, st);
    }

    /**
     * Copies row {@code row} of this view into {@code dst}: the {@code dim(rank-1)} elements whose leading
     * indices, read in row-major order, number {@code row} (so row r of a {@code [B, H, L, D]} tensor is
     * {@code (r / (H*L), r / L % H, r % L, :)}). Respects offset and strides; one bulk copy when the last
     * stride is 1.
     */
    public void readRow(long row, float[] dst, int dstOff) {
        long at = rowStart(row), n = lastDim(), s = lastStride();
        checkRoom("dst", dst, dstOff, n);
        if (s == 1) {
            MemorySegment.copy(data, F32, at * 4, dst, dstOff, (int) n);
        } else {
            for (int i = 0; i < n; i++) dst[dstOff + i] = data.getAtIndex(F32, at + i * s);
        }
    }

    /** Writes {@code src[srcOff ..]} into row {@code row} of this view (see {@link #readRow(long, float[], int)}). */
    public void writeRow(long row, float[] src, int srcOff) {
        long at = rowStart(row), n = lastDim(), s = lastStride();
        checkRoom("src", src, srcOff, n);
        if (s == 1) {
            MemorySegment.copy(src, srcOff, data, F32, at * 4, (int) n);
        } else {
            for (int i = 0; i < n; i++) data.setAtIndex(F32, at + i * s, src[srcOff + i]);
        }
    }

    /** Number of rows: the product of every dimension but the last (1 for a scalar). */
    public long rows() {
        long d = lastDim();
        return d == 0 ? 0 : size / d;
    }

    /**
     * Raw access for kernels: copies {@code n} floats from float index {@code at} of {@link #segment()}.
     * It ignores the view: kernels compute {@code at} from {@link #offset()} and {@link #strides()}.
     */
    public void readFloats(long at, float[] dst, int dstOff, int n) {
        MemorySegment.copy(data, F32, at * 4, dst, dstOff, n);
    }

    /** Raw access for kernels: the inverse of {@link #readFloats}. */
    public void writeFloats(long at, float[] src, int srcOff, int n) {
        MemorySegment.copy(src, srcOff, data, F32, at * 4, n);
    }

    /** Element offset of this view's first element in {@link #segment()}. */
    public long offset() {
        return offset;
    }

    /** Stride of dimension {@code i}, in elements. */
    public long stride(int i) {
        return strides[i];
    }

    private long lastDim() {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    private long lastStride() {
        return shape.length == 0 ? 1 : strides[shape.length - 1];
    }

    /** Float index in the segment of the first element of row {@code row}. */
    private long rowStart(long row) {
        long rows = rows();
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row: expected 0 <= row < " + rows + " for shape " + Arrays.toString(shape)
                    + ", got " + row);
        }
        long at = offset, r = row;
        for (int i = shape.length - 2; i >= 0; i--) {
            at += (r % shape[i]) * strides[i];
            r /= shape[i];
        }
        return at;
    }

    private static void checkRoom(String name, float[] a, int off, long n) {
        if (a == null) throw new IllegalArgumentException(name + ": expected an array, got null");
        if (off < 0 || off + n > a.length) {
            throw new IllegalArgumentException(name + ": expected room for " + n + " floats at offset " + off
                    + ", got an array of length " + a.length);
        }
    }

    /** The index of the first NaN or infinity in row-major order, or null when every element is finite. */
    public long[] firstNonFinite() {
        long d = lastDim(), n = rows();
        if (d == 0 || d > Integer.MAX_VALUE - 8) return null;
        float[] row = new float[(int) d];
        for (long r = 0; r < n; r++) {
            readRow(r, row, 0);
            for (int x = 0; x < d; x++) {
                if (Float.isFinite(row[x])) continue;
                if (shape.length == 0) return new long[0];
                long[] at = new long[shape.length];
                at[at.length - 1] = x;
                for (long i = shape.length - 2, rest = r; i >= 0; i--) {
                    at[(int) i] = rest % shape[(int) i];
                    rest /= shape[(int) i];
                }
                return at;
            }
        }
        return null;
    }

    /** All elements in row-major order; only for tensors under 2^31 elements. */
    public float[] toArray() {
        if (size > Integer.MAX_VALUE - 8) throw new IllegalStateException("tensor too large for a float[]: " + size + " elements");
        Tensor c = contiguous();
        float[] out = new float[(int) size];
        MemorySegment.copy(c.data, F32, c.offset * 4, out, 0, out.length);
        return out;
    }

    /** A row-major copy. */
    public Tensor copy() {
        Tensor c = contiguous();
        Tensor out = zeros(shape);
        MemorySegment.copy(c.data, c.offset * 4, out.data, 0, size * 4);
        return out;
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
