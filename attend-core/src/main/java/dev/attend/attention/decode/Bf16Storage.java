package dev.attend.attention.decode;

import dev.attend.tensor.Bf16;

import java.util.Arrays;

/** BF16 keys and values (round to nearest even), 2 bytes per element; read by {@link Bf16Kernel}. */
final class Bf16Storage extends KvStorage {
    final short[][] keys, values;
    private final short[] half;

    Bf16Storage(int slots, int headDim) {
        super(slots, headDim);
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
        Bf16.encode(key, 0, half, 0, headDim);
        for (int x = 0; x < headDim; x++) keys[bh][keyIndex(token, x)] = half[x];
        Bf16.encode(value, 0, half, 0, headDim);
        for (int x = 0; x < headDim; x++) values[bh][valueIndex(token, x)] = half[x];
    }

    @Override
    void read(int bh, int token, boolean key, float[] row) {
        for (int x = 0; x < headDim; x++) row[x] = Bf16.toFloat(key ? keys[bh][keyIndex(token, x)] : values[bh][valueIndex(token, x)]);
    }

    @Override
    DecodeKernel kernel() {
        return new Bf16Kernel(this);
    }
}
