package dev.attend.tensor;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict, bounded JSON (RFC 8259) parser for file headers. Objects become {@link LinkedHashMap}s in file
 * order (duplicate keys refused), arrays {@link List}s, strings {@link String}s, integers {@link Long} (or
 * {@link BigInteger} when beyond a long), other numbers {@link Double}, {@code true}/{@code false}
 * {@link Boolean}, {@code null} {@link #NULL}. No trailing commas, comments, leading zeros, unescaped control
 * characters or lone surrogates; nesting depth and number length are capped, so any input parses in time linear
 * in its length without deep recursion. Every error is a {@link TensorFormatException} naming the source and field.
 * Public for the other modules' file formats (tokenizers, checkpoints), so that Attend has one JSON reader.
 */
public final class Json {
    public static final Object NULL = new Object() {
        @Override public String toString() { return "null"; }
    };
    static final int MAX_DEPTH = 64;
    private static final int MAX_NUMBER_CHARS = 400;

    private final String s;
    private final String source;
    private final String field;
    private int pos;

    private Json(String s, String source, String field) {
        this.s = s;
        this.source = source;
        this.field = field;
    }

    /** Parses one JSON value; only whitespace may follow it. {@code source} and {@code field} name it in errors. */
    public static Object parse(String text, String source, String field) {
        Json p = new Json(text, source, field);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.pos != text.length()) throw p.error("end of JSON", "'" + text.charAt(p.pos) + "'");
        return v;
    }

    /**
     * {@code m} as pretty-printed JSON in map order, with a final newline: values may be nested maps (string keys),
     * lists, strings, numbers and booleans. A float is written as the shortest decimal that reads back as the same
     * float, so {@link #parse} and a cast return the value written.
     */
    public static String write(Map<String, ?> m) {
        StringBuilder b = new StringBuilder();
        write(b, m, "");
        return b.append('\n').toString();
    }

    private static void write(StringBuilder b, Object v, String indent) {
        if (v instanceof Map<?, ?> m) {
            b.append("{\n");
            int i = 0;
            for (var e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) throw new IllegalArgumentException("json: keys must be strings, got " + e.getKey());
                b.append(indent).append("  ").append(quote(key)).append(": ");
                write(b, e.getValue(), indent + "  ");
                b.append(++i < m.size() ? ",\n" : "\n");
            }
            b.append(indent).append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) b.append(", ");
                write(b, l.get(i), indent);
            }
            b.append(']');
        } else if (v instanceof String str) {
            b.append(quote(str));
        } else if (v instanceof Float f && Float.isFinite(f)) {
            b.append(Double.parseDouble(Float.toString(f)));
        } else if (v instanceof Double d && Double.isFinite(d) || v instanceof Long || v instanceof Integer || v instanceof Short
                || v instanceof Byte || v instanceof BigInteger || v instanceof Boolean) {
            b.append(v);
        } else {
            throw new IllegalArgumentException("json: cannot write " + (v == null ? "null" : v.getClass().getSimpleName() + " " + v)
                    + " (expected a map, list, string, finite number or boolean)");
        }
    }

    /** A JSON rendering of a string (quotes and escapes), for writers. */
    public static String quote(String v) {
        StringBuilder b = new StringBuilder(v.length() + 2).append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    /** Describes a parsed value's JSON type for messages. */
    public static String typeName(Object v) {
        if (v instanceof Map) return "an object";
        if (v instanceof List) return "an array";
        if (v instanceof String) return "a string";
        if (v instanceof Boolean) return "a boolean";
        if (v == NULL) return "null";
        if (v instanceof Long || v instanceof BigInteger) return "the integer " + v;
        return "the number " + v;
    }

    private TensorFormatException error(String expected, String actual) {
        return new TensorFormatException(source, field, "valid JSON: " + expected + " at offset " + pos, actual);
    }

    private String here() {
        return pos >= s.length() ? "end of input" : TensorFormatException.show(s.substring(pos, Math.min(s.length(), pos + 16)));
    }

    private void ws() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
            else break;
        }
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) throw error("nesting depth at most " + MAX_DEPTH, "deeper");
        if (pos >= s.length()) throw error("a value", "end of input");
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
                throw error("a value", here());
            }
        };
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, pos)) throw error(word, here());
        pos += word.length();
        return v;
    }

    private Map<String, Object> object(int depth) {
        pos++; // '{'
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (pos < s.length() && s.charAt(pos) == '}') {
            pos++;
            return m;
        }
        while (true) {
            ws();
            if (pos >= s.length() || s.charAt(pos) != '"') throw error("a string key", here());
            int keyAt = pos;
            String key = string();
            ws();
            expect(':');
            ws();
            Object v = value(depth + 1);
            if (m.containsKey(key)) {
                pos = keyAt;
                throw new TensorFormatException(source, field, "unique keys", "duplicate key "
                        + TensorFormatException.show(key) + " at offset " + keyAt);
            }
            m.put(key, v);
            ws();
            if (pos >= s.length()) throw error("',' or '}'", "end of input");
            char c = s.charAt(pos++);
            if (c == '}') return m;
            if (c != ',') {
                pos--;
                throw error("',' or '}'", here());
            }
        }
    }

    private List<Object> array(int depth) {
        pos++; // '['
        List<Object> a = new ArrayList<>();
        ws();
        if (pos < s.length() && s.charAt(pos) == ']') {
            pos++;
            return a;
        }
        while (true) {
            ws();
            a.add(value(depth + 1));
            ws();
            if (pos >= s.length()) throw error("',' or ']'", "end of input");
            char c = s.charAt(pos++);
            if (c == ']') return a;
            if (c != ',') {
                pos--;
                throw error("',' or ']'", here());
            }
        }
    }

    private void expect(char c) {
        if (pos >= s.length() || s.charAt(pos) != c) throw error("'" + c + "'", here());
        pos++;
    }

    private String string() {
        pos++; // opening quote
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= s.length()) throw error("closing '\"'", "end of input");
            char c = s.charAt(pos++);
            if (c == '"') break;
            if (c < 0x20) {
                pos--;
                throw error("no control character in a string", String.format("\\x%02x", (int) c));
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (pos >= s.length()) throw error("an escape", "end of input");
            char e = s.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> b.append(hex4());
                default -> {
                    pos--;
                    throw error("a valid escape", here());
                }
            }
        }
        String out = b.toString();
        for (int i = 0; i < out.length(); i++) {
            char c = out.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < out.length() && Character.isLowSurrogate(out.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c)) throw error("no lone surrogate in a string", String.format("\\u%04x", (int) c));
        }
        return out;
    }

    private char hex4() {
        if (pos + 4 > s.length()) throw error("4 hex digits", here());
        int v = 0;
        for (int i = 0; i < 4; i++) {
            char c = s.charAt(pos);
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) throw error("a hex digit", here());
            v = v * 16 + d;
            pos++;
        }
        return (char) v;
    }

    private Object number() {
        int start = pos;
        if (s.charAt(pos) == '-') pos++;
        if (pos >= s.length()) throw error("a digit", "end of input");
        if (s.charAt(pos) == '0') {
            pos++;
        } else if (isDigit()) {
            while (isDigit()) pos++;
        } else {
            throw error("a digit", here());
        }
        boolean integral = true;
        if (pos < s.length() && s.charAt(pos) == '.') {
            integral = false;
            pos++;
            if (!isDigit()) throw error("a digit after '.'", here());
            while (isDigit()) pos++;
        }
        if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
            integral = false;
            pos++;
            if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) pos++;
            if (!isDigit()) throw error("a digit in the exponent", here());
            while (isDigit()) pos++;
        }
        if (pos - start > MAX_NUMBER_CHARS) {
            pos = start;
            throw error("a number of at most " + MAX_NUMBER_CHARS + " characters", here());
        }
        String lit = s.substring(start, pos);
        if (!integral) return Double.parseDouble(lit);
        BigInteger v = new BigInteger(lit);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private boolean isDigit() {
        return pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9';
    }
}
