package dev.attend.nn.tasks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The text task: the split, the windows, next-token targets, the bigram baseline and refusals. */
class TextTaskTest {
    private static final String[] WORDS = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "its", "bowl",
        "while", "rain", "fell", "over", "quiet", "town", "naïve", "café", "—", "日本"};

    /** Lines of words where each word is followed by one of three successors: text a bigram predicts well. */
    static String corpus(long seed, int bytes) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder b = new StringBuilder();
        int w = 0;
        while (b.length() < bytes) {
            int words = 4 + r.nextInt(8);
            for (int i = 0; i < words; i++) {
                w = (w * 7 + 1 + r.nextInt(3)) % WORDS.length;
                b.append(WORDS[w]).append(i + 1 < words ? " " : ".\n");
            }
        }
        return b.toString();
    }

    private static TextTask task(String text, int vocab, int seq) {
        return new TextTask("corpus.txt", text.getBytes(StandardCharsets.UTF_8), vocab, seq, 0.1, 3);
    }

    @Test
    void theValidationPartStartsALineAndItsWindowsCoverItOnce() {
        String text = corpus(1, 40_000);
        TextTask t = task(text, 256, 32);
        assertEquals(t.trainTokens() + t.validTokens(), text.getBytes(StandardCharsets.UTF_8).length, "byte level: one token a byte");
        String valid = t.tokenizer().decode(Arrays.copyOfRange(t.example(Split.TEST, 0).inputs(), 0, 32));
        int at = text.indexOf(valid);
        assertTrue(at > 0 && text.charAt(at - 1) == '\n', "the held-out part begins a line");
        assertEquals((t.validTokens() - 1) / 32, t.testSize());
        for (long i = 0; i + 1 < t.testSize(); i++) {
            Example e = t.example(Split.TEST, i), next = t.example(Split.TEST, i + 1);
            assertEquals(e.targets()[31], next.inputs()[0], "windows are consecutive");
        }
        assertArrayEquals(t.example(Split.TEST, 2).inputs(), t.example(Split.TEST, 2 + t.testSize()).inputs(), "indices wrap");
    }

    @Test
    void everyTargetIsTheNextTokenOfTheText() {
        String text = corpus(2, 60_000);
        TextTask t = task(text, 400, 24);
        assertTrue(t.vocabSize() > 256 && t.vocabSize() <= 400, "merges up to the vocabulary, fewer when pairs run out: " + t.vocabSize());
        for (Split split : Split.values()) {
            for (int i = 0; i < 20; i++) {
                Example e = t.example(split, i);
                assertEquals(24, e.answers(), "every position is an answer");
                for (int k = 0; k + 1 < 24; k++) assertEquals(e.targets()[k], e.inputs()[k + 1]);
                int[] window = Arrays.copyOf(e.inputs(), 25);
                window[24] = e.targets()[23];
                String bytes = new String(t.tokenizer().decodeBytes(window), StandardCharsets.ISO_8859_1);
                assertTrue(new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1).contains(bytes), "a window of the text");
            }
        }
    }

    @Test
    void theBigramIsADistributionAndBeatsChanceOnPredictableText() {
        TextTask t = task(corpus(3, 60_000), 256, 32);
        TextTask.Bigram b = t.bigram();
        for (int u : new int[] {'t', ' ', '.', 0, 255}) {  // 0 and 255 never occur: the continuation share alone
            double sum = 0;
            for (int w = 0; w < 256; w++) {
                double p = b.probability(u, w);
                assertTrue(p > 0, "no id has probability 0");
                sum += p;
            }
            assertEquals(1.0, sum, 1e-9, "context " + u);
        }
        double ppl = t.bigramPerplexity(t.testSize());
        assertTrue(ppl > 1 && ppl < 6, "bigram perplexity " + ppl + " on text of a few letters a word");

        StringBuilder cycle = new StringBuilder();
        while (cycle.length() < 20_000) cycle.append("abcdefghij\n");
        double exact = task(cycle.toString(), 256, 16).bigramPerplexity(1000);
        assertTrue(exact < 1.01, "a deterministic successor: perplexity " + exact);
    }

    @Test
    void specsReadTheFileAndBadOnesAreNamed(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("c.txt");
        Files.writeString(f, corpus(4, 20_000));
        TextTask t = (TextTask) Tasks.parse("text:file=" + f + ",vocab=256,seq=16,valid=0.2,seed=9");
        assertEquals(16, t.seqLength());
        assertEquals(9, t.seed());
        assertEquals("c.txt", t.source());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tasks.parse("text")).getMessage().contains("file: expected the path"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tasks.parse("text:file=" + dir.resolve("none.txt")))
                .getMessage().startsWith("task text: file: cannot read"));
        assertEquals("vocab: expected in [256, 65536], got 100",
                assertThrows(IllegalArgumentException.class, () -> Tasks.parse("text:file=" + f + ",vocab=100")).getMessage());
        assertEquals("valid: expected in (0, 0.5], got 0.9",
                assertThrows(IllegalArgumentException.class, () -> Tasks.parse("text:file=" + f + ",valid=0.9")).getMessage());
        Files.writeString(f, "too short\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tasks.parse("text:file=" + f + ",vocab=256,seq=16"))
                .getMessage().contains("fewer than seq + 1 = 17"));
    }
}
