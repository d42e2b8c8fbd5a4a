package dev.attend.nn.tokenize;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON (RFC 8259) reader for the tokenizer file: objects become {@link LinkedHashMap}s (duplicate keys
 * refused), arrays {@link List}s, strings {@link String}s, integers {@link Long}, other numbers {@link Double},
 * booleans {@link Boolean}, {@code null} {@link #NULL}. Nesting depth is capped at {@value #MAX_DEPTH} and
 * numbers at {@value #MAX_NUMBER_CHARS} characters, so any input is read in linear time without deep recursion.
 * Every error is an {@link IllegalArgumentException} naming the source, the offset, what was expected and what
 * was found.
 */
final class JsonReader {
    static final Object NULL = new Object() {
        @Override public String toString() { return "null"; }
    };
    static final int MAX_DEPTH = 32;
    private static final int MAX_NUMBER_CHARS = 32;

    private final String s;
    private final String source;
    private int pos;

    private JsonReader(String s, String source) {
        this.s = s;
        this.source = source;
    }

    static Object parse(String text, String source) {
        JsonReader r = new JsonReader(text, source);
        r.ws();
        Object v = r.value(0);
        r.ws();
        if (r.pos != text.length()) throw r.error("the end of the JSON text");
        return v;
    }

    static String typeName(Object v) {
        if (v instanceof Map) return "an object";
        if (v instanceof List) return "an array";
        if (v instanceof String) return "a string";
        if (v instanceof Boolean) return "a boolean";
        if (v instanceof Long) return "the integer " + v;
        if (v instanceof Double) return "the number " + v;
        return "null";
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) throw error("nesting at most " + MAX_DEPTH + " deep");
        if (pos >= s.length()) throw error("a value");
        char c = s.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", NULL);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield number();
                throw error("a value");
            }
        };
    }

    private Map<String, Object> object(int depth) {
        Map<String, Object> m = new LinkedHashMap<>();
        pos++;
        ws();
        if (peek('}')) return m;
        while (true) {
            ws();
            if (pos >= s.length() || s.charAt(pos) != '"') throw error("a string key");
            int at = pos;
            String key = string();
            ws();
            expect(':');
            ws();
            Object v = value(depth + 1);
            if (m.put(key, v) != null) {
                pos = at;
                throw error("distinct keys (\"" + key + "\" repeats)");
            }
            ws();
            if (peek('}')) return m;
            expect(',');
        }
    }

    private List<Object> array(int depth) {
        List<Object> a = new ArrayList<>();
        pos++;
        ws();
        if (peek(']')) return a;
        while (true) {
            ws();
            a.add(value(depth + 1));
            ws();
            if (peek(']')) return a;
            expect(',');
        }
    }

    private String string() {
        pos++;
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= s.length()) throw error("a closing '\"'");
            char c = s.charAt(pos++);
            if (c == '"') return b.toString();
            if (c < 0x20) {
                pos--;
                throw error("no unescaped control character in a string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (pos >= s.length()) throw error("an escape");
            char e = s.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (pos + 4 > s.length()) throw error("four hex digits");
                    int v = 0;
                    for (int k = 0; k < 4; k++) {
                        int d = Character.digit(s.charAt(pos + k), 16);
                        if (d < 0) throw error("four hex digits");
                        v = v * 16 + d;
                    }
                    pos += 4;
                    b.append((char) v);
                }
                default -> {
                    pos--;
                    throw error("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
                }
            }
        }
    }

    private Object number() {
        int start = pos;
        if (peek('-')) { /* sign taken */ }
        if (pos < s.length() && s.charAt(pos) == '0') {
            pos++;
        } else {
            if (!digits()) throw error("a digit");
        }
        boolean integral = true;
        if (peek('.')) {
            integral = false;
            if (!digits()) throw error("a digit after '.'");
        }
        if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
            integral = false;
            pos++;
            if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) pos++;
            if (!digits()) throw error("a digit in the exponent");
        }
        if (pos - start > MAX_NUMBER_CHARS) {
            pos = start;
            throw error("a number of at most " + MAX_NUMBER_CHARS + " characters");
        }
        String t = s.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                pos = start;
                throw error("an integer within a long");
            }
        }
        return Double.parseDouble(t);
    }

    private boolean digits() {
        int start = pos;
        while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') pos++;
        return pos > start;
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, pos)) throw error("a value");
        pos += word.length();
        return v;
    }

    private boolean peek(char c) {
        if (pos < s.length() && s.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!peek(c)) throw error("'" + c + "'");
    }

    private void ws() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    private IllegalArgumentException error(String expected) {
        String found = pos >= s.length() ? "the end of the text"
                : "'" + s.substring(pos, Math.min(s.length(), pos + 12)).replaceAll("\\p{Cntrl}", "?") + "'";
        return new IllegalArgumentException(source + ": invalid JSON at offset " + pos + ": expected " + expected
                + ", got " + found);
    }
}
