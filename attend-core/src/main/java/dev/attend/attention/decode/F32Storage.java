package dev.attend.attention.decode;

import java.util.Arrays;

/** F32 keys and values, 4 bytes per element; read by {@link F32Kernel}. */
final class F32Storage extends KvStorage {
    final float[][] keys, values;

    F32Storage(int slots, int headDim) {
        super(slots, headDim);
        keys = new float[slots][0];
        values = new float[slots][0];
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
        for (int x = 0; x < headDim; x++) {
            keys[bh][keyIndex(token, x)] = key[x];
            values[bh][valueIndex(token, x)] = value[x];
        }
    }

    @Override
    void read(int bh, int token, boolean key, float[] row) {
        for (int x = 0; x < headDim; x++) row[x] = key ? keys[bh][keyIndex(token, x)] : values[bh][valueIndex(token, x)];
    }

    @Override
    DecodeKernel kernel() {
        return new F32Kernel(this);
    }
}
