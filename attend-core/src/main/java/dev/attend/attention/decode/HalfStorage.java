package dev.attend.attention.decode;

import dev.attend.tensor.Bf16;
import dev.attend.tensor.DType;
import dev.attend.tensor.F16;

import java.util.Arrays;

/**
 * Keys and values in a 16-bit float format, 2 bytes per element (rounded to nearest even): BF16 (8 exponent bits, 8
 * significant bits) or F16 (5 exponent bits, 11 significant bits, finite up to 65504). Read by {@link F16Kernel} and {@link Bf16Kernel}.
 */
final class HalfStorage extends KvStorage {
    final boolean f16;
    final short[][] keys, values;
    private final short[] half;

    HalfStorage(DType format, int slots, int headDim) {
        super(slots, headDim);
        if (format != DType.F16 && format != DType.BF16) throw new IllegalArgumentException("format: expected F16 or BF16, got " + format);
        this.f16 = format == DType.F16;
        keys = new short[slots][0];
        values = new short[slots][0];
        half = new short[headDim];
    }

    @Override
    void resize(int tokens) {
        for (int bh = 0; bh < slots; bh++) {
            keys[bh] = Arrays.copyOf(keys[bh], tokens * headDim);
            values[bh] = Arrays.copyOf(values[bh], tokens * dp);
        }
    }

    @Override
    void store(int bh, int token, float[] key, float[] value) {
        encode(key);
        for (int x = 0; x < headDim; x++) keys[bh][keyIndex(token, x)] = half[x];
        encode(value);
        for (int x = 0; x < headDim; x++) values[bh][valueIndex(token, x)] = half[x];
    }

    @Override
    void read(int bh, int token, boolean key, float[] row) {
        for (int x = 0; x < headDim; x++) {
            short h = key ? keys[bh][keyIndex(token, x)] : values[bh][valueIndex(token, x)];
            row[x] = f16 ? F16.toFloat(h) : Bf16.toFloat(h);
        }
    }

    private void encode(float[] row) {
        if (f16) F16.encode(row, 0, half, 0, headDim);
        else Bf16.encode(row, 0, half, 0, headDim);
    }

    @Override
    DecodeKernel kernel() {
        return f16 ? new F16Kernel(this) : new Bf16Kernel(this);
    }
}
