package dev.attend.nn.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PretokenizerTest {
    @Test
    void wordsKeepTheirLeadingSpace() {
        assertEquals(List.of("hi", " ", " there", "\n"), chunks("hi  there\n"));
        assertEquals(List.of(" a", " \t", " b", "  "), chunks(" a \t b  "));
    }

    @Test
    void chunksConcatenateToTheInputAndStayShort() {
        Random r = new Random(1);
        for (int k = 0; k < 200; k++) {
            String s = k % 10 == 0 ? "x".repeat(r.nextInt(300)) : TextGen.unicode(r, 50);
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            int[] next = {0};
            Pretokenizer.forEach(b, (x, y) -> {
                assertEquals(next[0], x, "chunks are contiguous");
                assertTrue(y > x && y - x <= Pretokenizer.MAX_CHUNK, "chunk [" + x + ", " + y + ")");
                next[0] = y;
            });
            assertEquals(b.length, next[0]);
        }
    }

    private static List<String> chunks(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        Pretokenizer.forEach(b, (x, y) -> out.add(new String(b, x, y - x, StandardCharsets.UTF_8)));
        return out;
    }
}
