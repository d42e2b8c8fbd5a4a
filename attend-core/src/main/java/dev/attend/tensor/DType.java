package dev.attend.tensor;

/**
 * Storage formats of tensor elements. Compute is always float32; the other formats are for storage (files,
 * KV caches, weights) and are converted to float32 by {@link Bf16}, {@link F16} and {@link Q8_0}.
 *
 * <ul>
 *   <li>{@link #F32}: IEEE binary32, 4 bytes.</li>
 *   <li>{@link #F16}: IEEE binary16 (1 sign, 5 exponent, 10 mantissa bits), 2 bytes; range +-65504,
 *       about 3 significant decimal digits.</li>
 *   <li>{@link #BF16}: bfloat16, the upper 16 bits of a binary32 (same range as F32, 8 significant bits), 2 bytes.</li>
 *   <li>{@link #Q8_0}: blocks of 32 values stored as one float32 scale and 32 signed bytes (36 bytes a block,
 *       9 bits a value). See {@link Q8_0} for the exact rule and error bound.</li>
 * </ul>
 */
public enum DType {
    F32(1, 4),
    F16(1, 2),
    BF16(1, 2),
    Q8_0(32, 36);

    private final int blockSize;
    private final int blockBytes;

    DType(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Number of values that share one storage block (1, or 32 for Q8_0). */
    public int blockSize() { return blockSize; }

    /** Bytes of one block (for the element types: bytes of one element). */
    public int blockBytes() { return blockBytes; }

    /**
     * Bytes needed to store {@code elements} values in this format.
     *
     * @throws IllegalArgumentException if {@code elements} is negative, not a multiple of {@link #blockSize()},
     *                                  or the byte count overflows a long
     */
    public long byteSize(long elements) {
        if (elements < 0) throw new IllegalArgumentException("elements: expected >= 0, got " + elements);
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException("elements: expected a multiple of " + blockSize + " for " + this
                    + ", got " + elements);
        }
        try {
            return Math.multiplyExact(elements / blockSize, (long) blockBytes);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("elements: " + elements + " values of " + this + " overflow a long byte count");
        }
    }
}
