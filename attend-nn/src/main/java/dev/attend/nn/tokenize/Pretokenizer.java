package dev.attend.nn.tokenize;

/**
 * Cuts UTF-8 bytes into the chunks that byte-pair merges never cross (rule {@value #NAME}), so that training
 * counts each distinct chunk once and encoding caches chunks:
 * <ul>
 *   <li>a <em>word</em>: an optional single space (0x20) followed by a maximal run of non-whitespace bytes;</li>
 *   <li>a <em>gap</em>: a maximal run of whitespace bytes (space, \t, \n, \u000B, \f, \r), except that a space
 *       followed by a non-whitespace byte starts the next word instead;</li>
 *   <li>a chunk longer than {@value #MAX_CHUNK} bytes is cut into pieces of {@value #MAX_CHUNK} (the last one
 *       shorter), which bounds the quadratic merge loop of encoding on text without spaces.</li>
 * </ul>
 * The chunks concatenate to the input. Example: {@code "hi  there\n"} gives {@code "hi"}, {@code " "},
 * {@code " there"}, {@code "\n"}. Cost O(n).
 */
final class Pretokenizer {
    static final String NAME = "whitespace-64";
    static final int MAX_CHUNK = 64;

    /** Receives one chunk, bytes {@code [start, end)}. */
    interface Sink {
        void chunk(int start, int end);
    }

    private Pretokenizer() {}

    static void forEach(byte[] b, Sink sink) {
        int n = b.length;
        int i = 0;
        while (i < n) {
            int j;
            if (!whitespace(b[i]) || startsWord(b, i)) {
                j = startsWord(b, i) ? i + 1 : i;
                while (j < n && !whitespace(b[j])) j++;
            } else {
                j = i + 1;
                while (j < n && whitespace(b[j]) && !startsWord(b, j)) j++;
            }
            for (int s = i; s < j; s += MAX_CHUNK) sink.chunk(s, Math.min(j, s + MAX_CHUNK));
            i = j;
        }
    }

    private static boolean startsWord(byte[] b, int i) {
        return b[i] == ' ' && i + 1 < b.length && !whitespace(b[i + 1]);
    }

    private static boolean whitespace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }
}
