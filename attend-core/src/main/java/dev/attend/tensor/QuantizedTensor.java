package dev.attend.tensor;

import java.util.Arrays;

/**
 * A whole tensor stored as {@link Q8_0}: the shape, the int8 values in row-major order, and one float32 scale
 * per 32 consecutive values. Quantization runs along the last dimension, whose length must be a multiple of
 * 32, so every block lies inside one row and row {@code r} owns {@code quants[r*rowLength ...]} and
 * {@code scales[r*rowLength/32 ...]}. Memory: 1.125 bytes a value. Limited to fewer than 2^31 values (the data
 * live in plain arrays so that kernels index them directly).
 *
 * <p>{@link #quants()} and {@link #scales()} return the backing arrays, not copies: kernels read them in place;
 * writing them changes this tensor.
 */
public final class QuantizedTensor {
    private final long[] shape;
    private final byte[] quants;
    private final float[] scales;

    private QuantizedTensor(long[] shape, byte[] quants, float[] scales) {
        this.shape = shape;
        this.quants = quants;
        this.scales = scales;
    }

    /**
     * Quantizes a tensor (any layout) to Q8_0.
     *
     * @throws IllegalArgumentException if the tensor is 0-d, its last dimension is not a multiple of 32, it has
     *                                  2^31 values or more, or holds NaN or infinity
     */
    public static QuantizedTensor quantize(Tensor t) {
        Checks.notNull("t", t);
        long[] shape = t.shape();
        int n = checkShape(shape);
        float[] f = t.toArray();
        byte[] q = new byte[n];
        float[] s = new float[n / Q8_0.BLOCK];
        Q8_0.quantize(f, 0, q, 0, s, 0, n);
        return new QuantizedTensor(shape, q, s);
    }

    /**
     * Wraps existing Q8_0 data (no copy).
     *
     * @throws IllegalArgumentException if the shape is invalid for Q8_0 or the array lengths do not match it
     */
    public static QuantizedTensor of(long[] shape, byte[] quants, float[] scales) {
        Checks.notNull("shape", shape);
        Checks.notNull("quants", quants);
        Checks.notNull("scales", scales);
        int n = checkShape(shape);
        if (quants.length != n) {
            throw new IllegalArgumentException("quants: expected " + n + " values for shape " + Arrays.toString(shape)
                    + ", got " + quants.length);
        }
        if (scales.length != n / Q8_0.BLOCK) {
            throw new IllegalArgumentException("scales: expected " + n / Q8_0.BLOCK + " scales for shape "
                    + Arrays.toString(shape) + ", got " + scales.length);
        }
        return new QuantizedTensor(shape.clone(), quants, scales);
    }

    private static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    /** Validates a Q8_0 shape and returns its value count; the row count must fit an int too. */
    private static int checkShape(long[] shape) {
        if (shape.length == 0) throw new IllegalArgumentException("shape: expected rank >= 1 for Q8_0, got a 0-d tensor");
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("shape: dimension " + i + " must be >= 0, got " + shape[i]
                        + " in " + Arrays.toString(shape));
            }
        }
        long last = shape[shape.length - 1];
        if (last % Q8_0.BLOCK != 0) {
            throw new IllegalArgumentException("shape: last dimension must be a multiple of " + Q8_0.BLOCK
                    + " for Q8_0, got " + last + " in " + Arrays.toString(shape));
        }
        long rows = 1;
        for (int i = 0; i < shape.length - 1; i++) rows = saturatingProduct(rows, shape[i]);
        long n = saturatingProduct(rows, last);
        if (rows > MAX_VALUES || n > MAX_VALUES) {
            throw new IllegalArgumentException("shape: QuantizedTensor holds fewer than 2^31 values and rows, got shape "
                    + Arrays.toString(shape));
        }
        return (int) n;
    }

    private static long saturatingProduct(long a, long b) {
        if (a == 0 || b == 0) return 0;
        return a > Long.MAX_VALUE / b ? Long.MAX_VALUE : a * b;
    }

    /** A new F32 tensor with the dequantized values {@code q * scale}. */
    public Tensor dequantize() {
        float[] f = new float[quants.length];
        Q8_0.dequantize(quants, 0, scales, 0, f, 0, f.length);
        return Tensor.of(f, shape);
    }

    /** Dequantizes row {@code row} (a run of {@link #rowLength()} values) into {@code dst[off, off+rowLength)}. */
    public void dequantizeRow(int row, float[] dst, int off) {
        int len = rowLength();
        if (row < 0 || row >= rows()) {
            throw new IllegalArgumentException("row: expected in [0, " + rows() + "), got " + row);
        }
        Q8_0.dequantize(quants, row * len, scales, row * len / Q8_0.BLOCK, dst, off, len);
    }

    public DType dtype() { return DType.Q8_0; }
    public long[] shape() { return shape.clone(); }
    public int size() { return quants.length; }
    /** Length of the last dimension. */
    public int rowLength() { return (int) shape[shape.length - 1]; }
    /** Number of rows (product of all dimensions but the last). */
    public int rows() {
        long r = 1;
        for (int i = 0; i < shape.length - 1; i++) r *= shape[i]; // validated to fit an int
        return (int) r;
    }
    /** The int8 values, row-major (backing array, not a copy). */
    public byte[] quants() { return quants; }
    /** One scale per 32 values (backing array, not a copy). */
    public float[] scales() { return scales; }

    @Override
    public String toString() { return "QuantizedTensor[Q8_0]" + Arrays.toString(shape); }
}
