package dev.attend.attention.decode;

import dev.attend.tensor.Bf16;
import dev.attend.tensor.DType;
import dev.attend.tensor.Q8_0;
import dev.attend.tensor.Tensor;

import java.util.Arrays;

/**
 * The keys and values seen so far by a decoding model, {@code [B, Hkv, length, D]}, stored as F32, BF16
 * or Q8_0 (32-value blocks along D, so {@code D % 32 == 0}). Tokens are appended one or a few at a time;
 * storage grows by doubling. Each (batch, kv head) owns one contiguous run of rows, which is what
 * {@link Decode} streams through. Not thread-safe for concurrent appends.
 */
public final class KvCache {
    private final DType format;
    private final int batch, kvHeads, headDim;
    private int length, capacity;
    // One array per (b, h) and side, in the storage format: float[] F32, short[] BF16, byte[] Q8_0 (+ scales).
    private final Object[] keys, values;
    private final float[][] keyScales, valueScales;

    public KvCache(DType format, int batch, int kvHeads, int headDim, int initialCapacity) {
        if (format == null || format == DType.F16) {
            throw new IllegalArgumentException("format: expected F32, BF16 or Q8_0, got " + format);
        }
        positive("batch", batch);
        positive("kvHeads", kvHeads);
        positive("headDim", headDim);
        positive("initialCapacity", initialCapacity);
        if (format == DType.Q8_0 && headDim % Q8_0.BLOCK != 0) {
            throw new IllegalArgumentException("headDim: Q8_0 needs a multiple of " + Q8_0.BLOCK + ", got " + headDim);
        }
        this.format = format;
        this.batch = batch;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.keys = new Object[batch * kvHeads];
        this.values = new Object[batch * kvHeads];
        this.keyScales = new float[batch * kvHeads][];
        this.valueScales = new float[batch * kvHeads][];
        grow(initialCapacity);
    }

    private static void positive(String name, int v) {
        if (v < 1) throw new IllegalArgumentException(name + ": expected at least 1, got " + v);
    }

    public DType format() { return format; }
    public int batch() { return batch; }
    public int kvHeads() { return kvHeads; }
    public int headDim() { return headDim; }
    /** Tokens stored. */
    public int length() { return length; }

    /** Bytes of K and V storage that a decode step over the whole cache reads. */
    public long bytesRead() {
        return 2L * batch * kvHeads * format.byteSize((long) length * headDim);
    }

    /** Appends {@code T} tokens: {@code k, v [B, Hkv, T, D]}. */
    public void append(Tensor k, Tensor v) {
        long[] want = {batch, kvHeads, k.rank() == 4 ? k.dim(2) : -1, headDim};
        if (k.rank() != 4 || !Arrays.equals(k.shape(), want)) {
            throw new IllegalArgumentException("k: expected shape [" + batch + ", " + kvHeads + ", T, " + headDim
                    + "], got " + Arrays.toString(k.shape()));
        }
        if (!Arrays.equals(v.shape(), k.shape())) {
            throw new IllegalArgumentException("v: expected the shape of k " + Arrays.toString(k.shape()) + ", got "
                    + Arrays.toString(v.shape()));
        }
        int t = (int) k.dim(2);
        if ((long) length + t > Integer.MAX_VALUE / headDim) {
            throw new IllegalArgumentException("k: cache would hold " + ((long) length + t) + " tokens, more than "
                    + Integer.MAX_VALUE / headDim + " for head dim " + headDim);
        }
        if (length + t > capacity) grow(Math.max(length + t, (int) Math.min(Integer.MAX_VALUE / headDim, 2L * capacity)));
        Tensor kc = k.contiguous(), vc = v.contiguous();
        float[] row = new float[headDim];
        for (int bh = 0; bh < batch * kvHeads; bh++) {
            for (int i = 0; i < t; i++) {
                long src = ((long) bh * t + i) * headDim;
                int at = (length + i) * headDim;
                kc.readRow(src, row, 0, headDim);
                store(keys[bh], keyScales[bh], at, row);
                vc.readRow(src, row, 0, headDim);
                store(values[bh], valueScales[bh], at, row);
            }
        }
        length += t;
    }

    private void store(Object dst, float[] scales, int at, float[] row) {
        switch (format) {
            case F32 -> System.arraycopy(row, 0, (float[]) dst, at, headDim);
            case BF16 -> Bf16.encode(row, 0, (short[]) dst, at, headDim);
            case Q8_0 -> Q8_0.quantize(row, 0, (byte[]) dst, at, scales, at / Q8_0.BLOCK, headDim);
            default -> throw new IllegalStateException("format " + format);
        }
    }

    private void grow(int newCapacity) {
        int n = newCapacity * headDim;
        for (int bh = 0; bh < batch * kvHeads; bh++) {
            keys[bh] = resize(keys[bh], n);
            values[bh] = resize(values[bh], n);
            if (format == DType.Q8_0) {
                keyScales[bh] = keyScales[bh] == null ? new float[n / Q8_0.BLOCK] : Arrays.copyOf(keyScales[bh], n / Q8_0.BLOCK);
                valueScales[bh] = valueScales[bh] == null ? new float[n / Q8_0.BLOCK] : Arrays.copyOf(valueScales[bh], n / Q8_0.BLOCK);
            }
        }
        capacity = newCapacity;
    }

    private Object resize(Object a, int n) {
        return switch (format) {
            case F32 -> a == null ? new float[n] : Arrays.copyOf((float[]) a, n);
            case BF16 -> a == null ? new short[n] : Arrays.copyOf((short[]) a, n);
            case Q8_0 -> a == null ? new byte[n] : Arrays.copyOf((byte[]) a, n);
            default -> throw new IllegalStateException("format " + format);
        };
    }

    /** The stored keys or values as F32 {@code [B, Hkv, length, D]} (what attention over this cache sees). */
    public Tensor dequantized(boolean ofKeys) {
        Tensor out = Tensor.zeros(batch, kvHeads, length, headDim);
        float[] row = new float[headDim];
        for (int bh = 0; bh < batch * kvHeads; bh++) {
            for (int i = 0; i < length; i++) {
                readRow(ofKeys, bh, i, row);
                out.writeRow(((long) bh * length + i) * headDim, row, 0, headDim);
            }
        }
        return out;
    }

    /** Row {@code i} of (b, h) = {@code bh} as floats. */
    void readRow(boolean ofKeys, int bh, int i, float[] row) {
        Object src = ofKeys ? keys[bh] : values[bh];
        int at = i * headDim;
        switch (format) {
            case F32 -> System.arraycopy((float[]) src, at, row, 0, headDim);
            case BF16 -> Bf16.decode((short[]) src, at, row, 0, headDim);
            case Q8_0 -> Q8_0.dequantize((byte[]) src, at, ofKeys ? keyScales[bh] : valueScales[bh], at / Q8_0.BLOCK, row, 0, headDim);
            default -> throw new IllegalStateException("format " + format);
        }
    }

    // Package access for the decode kernel.
    Object keys(int bh) { return keys[bh]; }
    Object values(int bh) { return values[bh]; }
    float[] keyScales(int bh) { return keyScales[bh]; }
    float[] valueScales(int bh) { return valueScales[bh]; }
}
