package dev.attend.attention;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzz target (Jazzer) for mechanism specs: {@link Attention#of} throws nothing but
 * {@link IllegalArgumentException} (with a message) for any string, never refuses a registered name and never
 * returns null. Whether other strings are accepted is the spec grammar's business (a registered name, possibly
 * with parameters), not this target's. Seeds and findings:
 * {@code src/test/resources/dev/attend/attention/MechanismNameFuzzTestInputs/of/}; {@code ./attend fuzz mechanism}
 * fuzzes.
 */
class MechanismNameFuzzTest {
    @FuzzTest(maxDuration = "5m")
    @DictionaryEntries({"flash", "reference", "decode", "FLASH", " ", ":", "=", ",", "block=", "seed=", "-1", "0",
        "2147483648", "NaN", "\u0000"})
    void of(byte[] data) {
        String spec = new String(data, StandardCharsets.UTF_8);
        AttentionMechanism m;
        try {
            m = Attention.of(spec);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) throw new AssertionError("an error without a message for '" + spec + "'", e);
            if (Attention.names().contains(spec)) throw new AssertionError("registered name '" + spec + "' refused", e);
            return;
        }
        if (m == null) throw new AssertionError("Attention.of('" + spec + "') returned null");
    }
}
