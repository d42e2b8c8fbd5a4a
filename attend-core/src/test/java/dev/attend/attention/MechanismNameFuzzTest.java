package dev.attend.attention;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzz target (Jazzer) for mechanism names: {@link Attention#of} returns a mechanism for every
 * registered name and throws nothing but {@link IllegalArgumentException} (with a message) for any other string.
 * Seeds and findings: {@code src/test/resources/dev/attend/attention/MechanismNameFuzzTestInputs/of/};
 * {@code ./attend fuzz mechanism} fuzzes.
 */
class MechanismNameFuzzTest {
    @FuzzTest(maxDuration = "5m")
    @DictionaryEntries({"flash", "reference", "decode", "FLASH", " ", "-", "\u0000"})
    void of(byte[] data) {
        String name = new String(data, StandardCharsets.UTF_8);
        AttentionMechanism m;
        try {
            m = Attention.of(name);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) throw new AssertionError("an error without a message for '" + name + "'", e);
            if (Attention.names().contains(name)) throw new AssertionError("registered name '" + name + "' refused", e);
            return;
        }
        if (m == null) throw new AssertionError("Attention.of('" + name + "') returned null");
        if (!Attention.names().contains(name)) throw new AssertionError("unregistered name '" + name + "' gave " + m.name());
    }
}
