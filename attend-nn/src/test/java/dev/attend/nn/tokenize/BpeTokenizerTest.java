package dev.attend.nn.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTokenizerTest {
    private static final String CORPUS = TextGen.words(new Random(7), 3000);

    @Test
    void mergesFollowFrequencyThenSmallestIds() {
        // "ab ab ab": (a,b) occurs 3 times, (' ',a) twice; after the first merge (' ',ab) twice.
        assertArrayEquals(new int[][] {{97, 98}, {32, 256}}, BpeTokenizer.train("ab ab ab", 1000).merges());
        // All pairs of "ab cd" occur once: the smallest left id wins, then the smallest right id.
        BpeTokenizer t = BpeTokenizer.train("ab cd".getBytes(StandardCharsets.UTF_8), 1000, 1);
        assertArrayEquals(new int[][] {{32, 99}, {97, 98}, {256, 100}}, t.merges());
        // (a,a) inside "aaa" merges left to right without overlap: "aaa" -> [256, 97].
        BpeTokenizer a = BpeTokenizer.train("aaa aaa".getBytes(StandardCharsets.UTF_8), 257, 1);
        assertArrayEquals(new int[] {256, 97}, a.encode("aaa"));
    }

    @Test
    void stopsAtVocabSizeOrMinFrequency() {
        assertEquals(280, BpeTokenizer.train(CORPUS, 280).vocabSize());
        BpeTokenizer all = BpeTokenizer.train(CORPUS, 100_000); // runs out of pairs: every " word" is one id
        for (String w : new String[] {"the", "cat", "sat", "on", "mat", "a", "dog", "ran", "über", "naïve"}) {
            assertEquals(1, all.encode(" " + w).length, w);
        }
        assertEquals(258, BpeTokenizer.train("ab ab ab", 1000).vocabSize());
        assertEquals(256, BpeTokenizer.train("abc", 1000).vocabSize());
    }

    @Test
    void trainingIsDeterministic() {
        assertArrayEquals(BpeTokenizer.train(CORPUS, 400).merges(), BpeTokenizer.train(CORPUS, 400).merges());
    }

    @Test
    void encodingEqualsApplyingMergesInOrder() {
        BpeTokenizer t = BpeTokenizer.train(CORPUS, 400);
        Random r = new Random(3);
        for (int k = 0; k < 100; k++) {
            String s = k % 2 == 0 ? TextGen.words(r, 30) : TextGen.unicode(r, 30);
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(mergesInOrder(t.merges(), b), t.encodeBytes(b), s);
        }
    }

    @Test
    void trainedMergesShortenTheCorpus() {
        BpeTokenizer t = BpeTokenizer.train(CORPUS, 400);
        int bytes = CORPUS.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(t.encode(CORPUS).length < bytes / 2, "encoded length " + t.encode(CORPUS).length + " vs " + bytes + " bytes");
    }

    @Test
    void arbitraryUnicodeAndBytesRoundTrip() {
        BpeTokenizer t = BpeTokenizer.train(CORPUS + TextGen.unicode(new Random(4), 2000), 600);
        Random r = new Random(5);
        for (int k = 0; k < 300; k++) {
            String s = TextGen.unicode(r, 60);
            assertEquals(s, t.decode(t.encode(s)));
            byte[] b = new byte[r.nextInt(80)];
            r.nextBytes(b);
            assertArrayEquals(b, t.decodeBytes(t.encodeBytes(b)));
        }
    }

    @Test
    void longRunsWithoutSpacesRoundTrip() {
        BpeTokenizer t = BpeTokenizer.train(CORPUS, 400);
        String s = "thecat".repeat(500);
        assertEquals(s, t.decode(t.encode(s)));
    }

    @Test
    void tokenBytesAreTheConcatenationOfTheMerge() {
        BpeTokenizer t = BpeTokenizer.train(CORPUS, 300);
        int[][] m = t.merges();
        for (int i = 0; i < m.length; i++) {
            byte[] l = t.tokenBytes(m[i][0]), r = t.tokenBytes(m[i][1]);
            byte[] both = Arrays.copyOf(l, l.length + r.length);
            System.arraycopy(r, 0, both, l.length, r.length);
            assertArrayEquals(both, t.tokenBytes(256 + i));
        }
    }

    @Test
    void saveAndLoadKeepTheTokenizer(@TempDir Path dir) throws IOException {
        BpeTokenizer t = BpeTokenizer.train(CORPUS, 350);
        Path f = dir.resolve("tok.json");
        t.save(f);
        BpeTokenizer back = BpeTokenizer.load(f);
        assertArrayEquals(t.merges(), back.merges());
        assertArrayEquals(t.encode(CORPUS), back.encode(CORPUS));
        assertEquals(t.toJson(), back.toJson());
        assertEquals(256, BpeTokenizer.fromJson(BpeTokenizer.train("", 300).toJson(), "x").vocabSize());
    }

    @Test
    void corruptOrLyingFilesAreRefusedNamingTheField() {
        String ok = BpeTokenizer.fromMerges(new int[][] {{104, 101}, {256, 108}}).toJson();
        assertRefused(ok.replace("\"vocab_size\": 258", "\"vocab_size\": 259"), "merges: expected vocab_size - 256 = 3 merges, got 2");
        assertRefused(ok.replace("[256, 108]", "[257, 108]"), "merges[1][0]: expected an id in [0, 257)");
        assertRefused(ok.replace("[256, 108]", "[104, 101]"), "merges[1]: expected a pair not merged before");
        assertRefused(ok.replace("[256, 108]", "[256]"), "merges[1]: expected an array of two ids, got an array of 1");
        assertRefused(ok.replace("[256, 108]", "[256, -1]"), "merges[1][1]: expected an integer in [0, 2147483647], got the integer -1");
        assertRefused(ok.replace("[256, 108]", "[256, 1.5]"), "merges[1][1]: expected an integer");
        assertRefused(ok.replace("attend-bpe", "gpt2"), "format: expected \"attend-bpe\", got \"gpt2\"");
        assertRefused(ok.replace("\"version\": 1", "\"version\": 2"), "version: expected 1, got the integer 2");
        assertRefused(ok.replace("whitespace-64", "regex"), "pretokenizer: expected \"whitespace-64\"");
        assertRefused(ok.replace("\"version\": 1,", "\"version\": 1, \"extra\": 0,"), "unknown key \"extra\"");
        assertRefused(ok.replace("\"version\": 1,", ""), "missing key \"version\"");
        assertRefused(ok.replace("\"version\": 1,", "\"version\": 1, \"version\": 1,"), "duplicate key 'version'");
        assertRefused(ok.substring(0, ok.length() / 2), "expected valid JSON: closing '\"' at offset");
        assertRefused("[]", "expected a JSON object at the top level");
        assertRefused("[".repeat(100), "nesting depth at most 64");
    }

    @Test
    void fromMergesValidates() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BpeTokenizer.fromMerges(new int[][] {{1, 2}, {3}}));
        assertEquals("merges[1]: expected two ids, got 1 values", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BpeTokenizer.fromMerges(new int[][] {{256, 1}}));
    }

    /** Fuzz-style: any mutation of a valid file either loads into a tokenizer that round-trips, or is refused. */
    @Test
    void mutatedFilesLoadConsistentlyOrAreRefused() {
        String ok = BpeTokenizer.train(CORPUS, 280).toJson();
        Random r = new Random(11);
        String alphabet = "[]{},:\"0123456789-.eE \nabtrufln\\";
        int refused = 0;
        for (int k = 0; k < 3000; k++) {
            StringBuilder b = new StringBuilder(ok);
            for (int m = 1 + r.nextInt(3); m > 0 && b.length() > 0; m--) {
                int at = r.nextInt(b.length());
                switch (r.nextInt(4)) {
                    case 0 -> b.deleteCharAt(at);
                    case 1 -> b.insert(at, alphabet.charAt(r.nextInt(alphabet.length())));
                    case 2 -> b.setCharAt(at, alphabet.charAt(r.nextInt(alphabet.length())));
                    default -> b.setLength(at);
                }
            }
            try {
                BpeTokenizer t = BpeTokenizer.fromJson(b.toString(), "mutant");
                String s = TextGen.words(r, 5);
                assertEquals(s, t.decode(t.encode(s)));
                assertArrayEquals(t.merges(), BpeTokenizer.fromJson(t.toJson(), "again").merges());
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().startsWith("mutant: "), e.getMessage());
                refused++;
            }
        }
        assertTrue(refused > 2000, "refused " + refused);
    }

    private static void assertRefused(String json, String expectedPart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BpeTokenizer.fromJson(json, "t.json"));
        assertTrue(e.getMessage().startsWith("t.json: "), e.getMessage());
        assertTrue(e.getMessage().contains(expectedPart), e.getMessage());
    }

    /** The reference: cut into chunks, then apply every merge in order to each chunk. */
    private static int[] mergesInOrder(int[][] merges, byte[] b) {
        List<Integer> out = new ArrayList<>();
        Pretokenizer.forEach(b, (s, e) -> {
            List<Integer> sym = new ArrayList<>();
            for (int i = s; i < e; i++) sym.add(b[i] & 0xFF);
            for (int m = 0; m < merges.length; m++) {
                List<Integer> next = new ArrayList<>();
                for (int i = 0; i < sym.size(); ) {
                    if (i + 1 < sym.size() && sym.get(i) == merges[m][0] && sym.get(i + 1) == merges[m][1]) {
                        next.add(256 + m);
                        i += 2;
                    } else {
                        next.add(sym.get(i++));
                    }
                }
                sym = next;
            }
            out.addAll(sym);
        });
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
