package dev.attend.tensor;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonWriteTest {

    @Test
    void whatIsWrittenParsesBackToTheSameValues() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("lr", 3e-4f);
        inner.put("steps", 1200);
        inner.put("name", "a \"quoted\"\nline \\ é");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("train", inner);
        m.put("heads", List.of(8L, 2L));
        m.put("tied", true);
        m.put("big", Long.MAX_VALUE);
        m.put("ratio", 0.1);
        String text = Json.write(m);
        assertTrue(text.endsWith("}\n") && text.contains("\n  \"train\": {\n    \"lr\": 3.0E-4,"), text);
        @SuppressWarnings("unchecked") Map<String, Object> back = (Map<String, Object>) Json.parse(text, "t.json", "config");
        @SuppressWarnings("unchecked") Map<String, Object> t = (Map<String, Object>) back.get("train");
        assertEquals(3e-4f, ((Double) t.get("lr")).floatValue());  // the shortest decimal of the float reads back as that float
        assertEquals(1200L, t.get("steps"));
        assertEquals("a \"quoted\"\nline \\ é", t.get("name"));
        assertEquals(List.of(8L, 2L), back.get("heads"));
        assertEquals(true, back.get("tied"));
        assertEquals(Long.MAX_VALUE, back.get("big"));
        assertEquals(0.1, back.get("ratio"));
    }

    @Test
    void valuesJsonCannotHoldAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of("lr", Float.NaN)));
        assertEquals("json: cannot write Float NaN (expected a map, list, string, finite number or boolean)", e.getMessage());
        Map<String, Object> withNull = new LinkedHashMap<>();
        withNull.put("x", null);
        assertThrows(IllegalArgumentException.class, () -> Json.write(withNull));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of("x", new Object())));
    }
}
