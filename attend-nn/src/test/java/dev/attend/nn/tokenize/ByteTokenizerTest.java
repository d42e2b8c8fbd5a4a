package dev.attend.nn.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteTokenizerTest {
    private final ByteTokenizer tok = new ByteTokenizer();

    @Test
    void idsAreTheUtf8Bytes() {
        assertArrayEquals(new int[] {0x68, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80}, tok.encode("h\u00e9\uD83D\uDE00"));
        assertEquals(256, tok.vocabSize());
    }

    @Test
    void arbitraryUnicodeRoundTrips() {
        Random r = new Random(1);
        for (int t = 0; t < 500; t++) {
            String s = TextGen.unicode(r, 40);
            assertEquals(s, tok.decode(tok.encode(s)));
        }
    }

    @Test
    void arbitraryBytesRoundTrip() {
        Random r = new Random(2);
        for (int t = 0; t < 200; t++) {
            byte[] b = new byte[r.nextInt(50)];
            r.nextBytes(b);
            assertArrayEquals(b, tok.decodeBytes(tok.encodeBytes(b)));
        }
    }

    @Test
    void loneSurrogateIsRefusedWithItsIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.encode("ab\uD800c"));
        assertTrue(e.getMessage().contains("U+D800 at index 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tok.encode("\uD83D\uDE00\uDE00"));
        assertTrue(e.getMessage().contains("U+DE00 at index 2"), e.getMessage());
    }

    @Test
    void invalidUtf8DecodesToReplacementCharacter() {
        int[] cut = {0x68, 0xF0, 0x9F}; // "h" then half of an emoji
        assertEquals("h\uFFFD", tok.decode(cut));
        assertArrayEquals(new byte[] {0x68, (byte) 0xF0, (byte) 0x9F}, tok.decodeBytes(cut));
        assertEquals("\uFFFD", new String(new byte[] {(byte) 0xFF}, StandardCharsets.UTF_8));
    }

    @Test
    void outOfRangeIdIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.decodeBytes(new int[] {1, 256}));
        assertEquals("ids[1]: expected an id in [0, 256), got 256", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tok.decodeBytes(new int[] {-1}));
    }
}
