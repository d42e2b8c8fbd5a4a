package dev.attend.nn.tokenize;

/**
 * Byte-level tokenizer: id {@code b} (0..255) is the byte {@code b} of the text's UTF-8 encoding. 256 ids, no
 * unknown token, no training; an {@code n}-byte text is {@code n} ids. Cost O(n) both ways.
 */
public final class ByteTokenizer implements Tokenizer {
    /** The number of ids: one per byte value. */
    public static final int VOCAB_SIZE = 256;

    @Override
    public int vocabSize() {
        return VOCAB_SIZE;
    }

    @Override
    public int[] encodeBytes(byte[] bytes) {
        if (bytes == null) throw new IllegalArgumentException("bytes: expected an array, got null");
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) ids[i] = bytes[i] & 0xFF;
        return ids;
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        if (ids == null) throw new IllegalArgumentException("ids: expected an array, got null");
        byte[] bytes = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= VOCAB_SIZE) {
                throw new IllegalArgumentException("ids[" + i + "]: expected an id in [0, 256), got " + ids[i]);
            }
            bytes[i] = (byte) ids[i];
        }
        return bytes;
    }
}
