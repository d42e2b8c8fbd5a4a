package dev.attend.nn.tokenize;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8 encoding: a lone surrogate is an error naming its index, never a silent '?'. */
final class Utf8 {
    private Utf8() {}

    static byte[] strictBytes(String text) {
        if (text == null) throw new IllegalArgumentException("text: expected a string, got null");
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            ByteBuffer out = encoder.encode(CharBuffer.wrap(text));
            byte[] bytes = new byte[out.remaining()];
            out.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            int at = loneSurrogate(text);
            throw new IllegalArgumentException("text: expected well-formed UTF-16 (surrogates in high-low pairs), got a lone surrogate U+"
                    + String.format("%04X", (int) text.charAt(at)) + " at index " + at);
        }
    }

    /** Index of the first surrogate that is not half of a high-low pair (the caller knows there is one). */
    private static int loneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        throw new AssertionError("the UTF-8 encoder refused a string without a lone surrogate");
    }
}
