package dev.attend.nn.tokenize;

import java.nio.charset.StandardCharsets;

/**
 * Text to token ids and back. Every tokenizer here works on the UTF-8 bytes of the text, so any byte sequence
 * has an encoding and {@code decodeBytes(encodeBytes(b))} equals {@code b} for every {@code b}.
 *
 * <p>Invalid input, the choices made:
 * <ul>
 *   <li>{@link #encode(String)} refuses a string holding a lone surrogate (a {@code char} in U+D800..U+DFFF not
 *       part of a high-low pair): it has no UTF-8 form, and replacing it silently would break the round trip. The
 *       {@link IllegalArgumentException} names the index of the offending {@code char}. Every other string
 *       (surrogate pairs included) round-trips: {@code decode(encode(s)).equals(s)}.</li>
 *   <li>{@link #decode(int[])} turns bytes that are not valid UTF-8 (e.g. ids cut in the middle of a
 *       character) into U+FFFD, as {@link String#String(byte[], java.nio.charset.Charset)} does;
 *       {@link #decodeBytes(int[])} gives the exact bytes.</li>
 *   <li>An id outside {@code [0, vocabSize())} is refused with an {@link IllegalArgumentException} naming its
 *       position and value.</li>
 * </ul>
 */
public interface Tokenizer {
    /** Number of distinct ids; every id is in {@code [0, vocabSize())}. */
    int vocabSize();

    /** The ids of the UTF-8 bytes of {@code bytes}. */
    int[] encodeBytes(byte[] bytes);

    /** The bytes that {@code ids} stand for. */
    byte[] decodeBytes(int[] ids);

    /** The ids of {@code text}'s UTF-8 encoding; a lone surrogate is refused (see the type's Javadoc). */
    default int[] encode(String text) {
        return encodeBytes(Utf8.strictBytes(text));
    }

    /** The text that {@code ids} stand for; invalid UTF-8 becomes U+FFFD. */
    default String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }
}
