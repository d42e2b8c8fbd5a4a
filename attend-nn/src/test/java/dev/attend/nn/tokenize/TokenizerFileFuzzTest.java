package dev.attend.nn.tokenize;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Coverage-guided fuzz target (Jazzer) for the byte-pair tokenizer's file format: only an
 * {@link IllegalArgumentException} naming the source may escape {@link BpeTokenizer#fromJson}, and a file it
 * accepts gives a tokenizer that writes itself back to the same merges and round-trips any bytes (the input's own,
 * so the encoder is fuzzed with the merges the file made). {@code ./attend test} replays the seed corpus in
 * {@code src/test/resources/dev/attend/nn/tokenize/TokenizerFileFuzzTestInputs/fromJson/} (regression mode).
 */
class TokenizerFileFuzzTest {
    @FuzzTest(maxDuration = "5m")
    @DictionaryEntries({"{\"format\": \"attend-bpe\"", "\"version\": 1", "\"pretokenizer\": \"whitespace-64\"",
        "\"vocab_size\": ", "\"merges\": [", "[256, 257]", "[32, 116]", "\\u0000", "\\ud800", "1e400", "-0", "9223372036854775808"})
    void fromJson(byte[] data) {
        BpeTokenizer t;
        try {
            t = BpeTokenizer.fromJson(new String(data, StandardCharsets.UTF_8), "fuzz");
        } catch (IllegalArgumentException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("fuzz: ")) {
                throw new AssertionError("a refusal must name the source, got: " + e.getMessage(), e);
            }
            return;
        }
        BpeTokenizer again = BpeTokenizer.fromJson(t.toJson(), "again");
        if (!Arrays.deepEquals(t.merges(), again.merges())) throw new AssertionError("toJson/fromJson changed the merges");
        if (!Arrays.equals(data, t.decodeBytes(t.encodeBytes(data)))) throw new AssertionError("bytes did not round-trip");
    }
}
