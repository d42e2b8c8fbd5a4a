package dev.attend.attention.mask;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzz target (Jazzer) for mask specs: {@link Mask#parse} throws nothing but
 * {@link IllegalArgumentException} (with a message), and the {@link Mask#describe()} of a parsed mask parses
 * back to a mask with the same description. Seeds and findings: {@code src/test/resources/dev/attend/attention/
 * mask/MaskSpecFuzzTestInputs/parse/}; {@code ./attend fuzz mask} fuzzes.
 */
class MaskSpecFuzzTest {
    @FuzzTest(maxDuration = "5m")
    @DictionaryEntries({"full", "causal", "causal-br", "sliding:", "sliding-bi:", "global-sliding:", "document:",
        "document-causal:", "share-question:", "causal-blockwise:", "prefix-lm:", "prefix-lm-document:",
        "block-causal-document:", "sinks:", "block-sparse-random:", "&", "|", "(", ")", ",", ";", ":", " ", "0", "-1",
        "2147483647", "2147483648", "0.5", "NaN", "1e-300"})
    void parse(byte[] data) {
        String spec = new String(data, StandardCharsets.UTF_8);
        Mask m;
        try {
            m = Mask.parse(spec);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) throw new AssertionError("an error without a message for '" + spec + "'", e);
            return;
        }
        String d = m.describe();
        Mask back;
        try {
            back = Mask.parse(d);
        } catch (RuntimeException e) {
            throw new AssertionError("'" + spec + "' parses, but its describe() '" + d + "' does not parse back", e);
        }
        if (!d.equals(back.describe())) {
            throw new AssertionError("'" + spec + "' describes as '" + d + "', which parses to a mask that describes as '"
                    + back.describe() + "'");
        }
    }
}
