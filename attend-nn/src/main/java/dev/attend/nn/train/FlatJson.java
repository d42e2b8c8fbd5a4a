package dev.attend.nn.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The small JSON of checkpoint configs: objects of strings, integers (Long), other numbers (Double), booleans and
 * nested objects; no arrays or nulls. {@link #write} pretty-prints in map order; {@link #parse} reads what it
 * writes (and any JSON within that subset) and names the offset of the first error.
 */
final class FlatJson {
    private final String s;
    private int pos;

    private FlatJson(String s) {
        this.s = s;
    }

    static String write(Map<String, ?> m) {
        StringBuilder b = new StringBuilder();
        write(b, m, "");
        return b.append('\n').toString();
    }

    private static void write(StringBuilder b, Map<String, ?> m, String indent) {
        b.append("{\n");
        int i = 0;
        for (var e : m.entrySet()) {
            b.append(indent).append("  ").append(quote(e.getKey())).append(": ");
            Object v = e.getValue();
            if (v instanceof Map<?, ?> sub) {
                @SuppressWarnings("unchecked") Map<String, ?> mm = (Map<String, ?>) sub;
                write(b, mm, indent + "  ");
            } else if (v instanceof String str) {
                b.append(quote(str));
            } else if (v instanceof Float f) {
                b.append(Double.parseDouble(Float.toString(f)));  // shortest decimal that reads back as the same float
            } else if (v instanceof Number || v instanceof Boolean) {
                b.append(v);
            } else {
                throw new IllegalArgumentException("json: unsupported value for '" + e.getKey() + "': " + v);
            }
            b.append(++i < m.size() ? ",\n" : "\n");
        }
        b.append(indent).append('}');
    }

    private static String quote(String v) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static Map<String, Object> parse(String text) {
        FlatJson p = new FlatJson(text);
        p.ws();
        Map<String, Object> m = p.object();
        p.ws();
        if (p.pos != text.length()) throw p.error("end of input");
        return m;
    }

    private Map<String, Object> object() {
        expect('{');
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (peek() == '}') {
            pos++;
            return m;
        }
        while (true) {
            ws();
            String k = string();
            ws();
            expect(':');
            ws();
            if (m.put(k, value()) != null) throw error("a key not seen before ('" + k + "' repeats)");
            ws();
            char c = next();
            if (c == '}') return m;
            if (c != ',') throw error("',' or '}'");
        }
    }

    private Object value() {
        char c = peek();
        if (c == '{') return object();
        if (c == '"') return string();
        if (s.startsWith("true", pos)) { pos += 4; return true; }
        if (s.startsWith("false", pos)) { pos += 5; return false; }
        int start = pos;
        while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) pos++;
        String num = s.substring(start, pos);
        if (num.isEmpty()) throw error("a value");
        try {
            return num.matches("-?\\d+") ? (Object) Long.parseLong(num) : (Object) Double.parseDouble(num);
        } catch (NumberFormatException e) {
            pos = start;
            throw error("a number");
        }
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') return b.toString();
            if (c == '\\') {
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'u' -> {
                        if (pos + 4 > s.length()) throw error("4 hex digits");
                        b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        pos += 4;
                    }
                    default -> throw error("an escape");
                }
            } else {
                b.append(c);
            }
        }
    }

    private void ws() {
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
    }

    private char peek() {
        if (pos >= s.length()) throw error("more input");
        return s.charAt(pos);
    }

    private char next() {
        char c = peek();
        pos++;
        return c;
    }

    private void expect(char c) {
        if (peek() != c) throw error("'" + c + "'");
        pos++;
    }

    private IllegalArgumentException error(String expected) {
        return new IllegalArgumentException("json: expected " + expected + " at offset " + pos + ", got "
                + (pos < s.length() ? "'" + s.charAt(pos) + "'" : "the end"));
    }
}
