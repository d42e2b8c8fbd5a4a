package dev.attend.attention.decode;

import dev.attend.tensor.Q8_0;

import java.util.Arrays;

/**
 * Q8_0 keys and values: int8 with one f32 scale per token and 32 dimensions ({@code headDim % 32 == 0}),
 * 1.125 bytes per element; read by {@link Q8Kernel}. Quantization is {@link Q8_0#quantize}.
 */
final class Q8Storage extends KvStorage {
    final byte[][] keys, values;
    final float[][] keyScales, valueScales;
    private final byte[] quant;
    private final float[] scale;

    Q8Storage(int slots, int headDim) {
        super(slots, headDim);
        keys = new byte[slots][0];
        values = new byte[slots][0];
        keyScales = new float[slots][0];
        valueScales = new float[slots][0];
        quant = new byte[headDim];
        scale = new float[headDim / Q8_0.BLOCK];
    }

    @Override
    void resize(int tokens) {
        int scales = tokens * headDim / Q8_0.BLOCK;
        for (int bh = 0; bh < slots; bh++) {
            keys[bh] = Arrays.copyOf(keys[bh], tokens * headDim);
            values[bh] = Arrays.copyOf(values[bh], tokens * dp);
            keyScales[bh] = Arrays.copyOf(keyScales[bh], scales);
            valueScales[bh] = Arrays.copyOf(valueScales[bh], scales);
        }
    }

    @Override
    void store(int bh, int token, float[] key, float[] value) {
        Q8_0.quantize(key, 0, quant, 0, scale, 0, headDim);
        for (int x = 0; x < headDim; x++) keys[bh][keyIndex(token, x)] = quant[x];
        for (int blk = 0; blk < scale.length; blk++) keyScales[bh][scaleIndex(token, blk)] = scale[blk];
        Q8_0.quantize(value, 0, quant, 0, scale, 0, headDim);
        for (int x = 0; x < headDim; x++) values[bh][valueIndex(token, x)] = quant[x];
        for (int blk = 0; blk < scale.length; blk++) valueScales[bh][scaleIndex(token, blk)] = scale[blk];
    }

    @Override
    void read(int bh, int token, boolean key, float[] row) {
        for (int x = 0; x < headDim; x++) {
            row[x] = key ? keys[bh][keyIndex(token, x)] * keyScales[bh][scaleIndex(token, x / Q8_0.BLOCK)]
                    : values[bh][valueIndex(token, x)] * valueScales[bh][scaleIndex(token, x / Q8_0.BLOCK)];
        }
    }

    @Override
    DecodeKernel kernel() {
        return new Q8Kernel(this);
    }
}
