package dev.attend.nn.tokenize;

import java.util.Random;

/** Random test text: code points from ASCII, Latin, CJK and the supplementary planes (surrogate pairs), with spaces. */
final class TextGen {
    private TextGen() {}

    static String unicode(Random r, int maxCodePoints) {
        StringBuilder b = new StringBuilder();
        int n = r.nextInt(maxCodePoints + 1);
        for (int i = 0; i < n; i++) {
            int cp = switch (r.nextInt(7)) {
                case 0 -> ' ';
                case 1 -> "\t\n\r\u000B\f".charAt(r.nextInt(5));
                case 2 -> 'a' + r.nextInt(6);
                case 3 -> 0x80 + r.nextInt(0x780);          // two-byte UTF-8
                case 4 -> 0x4E00 + r.nextInt(0x5000);       // CJK, three bytes
                case 5 -> 0x10000 + r.nextInt(0xF0000);     // four bytes: a surrogate pair in Java
                default -> r.nextInt(0x80);                 // any ASCII, controls included
            };
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
            b.appendCodePoint(cp);
        }
        return b.toString();
    }

    static String words(Random r, int words) {
        String[] vocab = {"the", "cat", "sat", "on", "mat", "a", "dog", "ran", "über", "naïve", "日本", "😀"};
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < words; i++) {
            if (i > 0) b.append(r.nextInt(10) == 0 ? "\n" : " ");
            b.append(vocab[(int) Math.min(vocab.length - 1, Math.abs(r.nextGaussian()) * 3)]);
        }
        return b.toString();
    }
}
