package dev.attend.attention.mask;

import java.util.List;

/**
 * Parser for CLI mask specs. Grammar ({@code &} binds tighter than {@code |}, whitespace ignored):
 * <pre>
 *   expr  := term ('|' term)*
 *   term  := atom ('&amp;' atom)*
 *   atom  := '(' expr ')' | name [':' args]
 *   args  := group (';' group)*      group := value (',' value)*
 * </pre>
 * Names and their arguments come from {@link MaskRegistry}: consecutive scalar parameters share a group,
 * each list parameter has a group of its own. Every error is an IllegalArgumentException with one line
 * naming the spec, what was expected and what was found.
 */
final class MaskSpec {
    private final String spec;
    private final String s;
    private int pos;

    private MaskSpec(String spec) {
        this.spec = spec;
        this.s = spec.replaceAll("\\s+", "");
    }

    static Mask parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("mask spec must be non-empty, got " + (spec == null ? "null" : "'" + spec + "'"));
        }
        MaskSpec p = new MaskSpec(spec);
        Mask m = p.expr();
        if (p.pos != p.s.length()) {
            throw p.error("expected '&', '|' or end of spec at position " + p.pos + ", got '" + p.s.substring(p.pos) + "'");
        }
        return m;
    }

    private Mask expr() {
        Mask m = term();
        while (peek('|')) {
            pos++;
            m = m.or(term());
        }
        return m;
    }

    private Mask term() {
        Mask m = atom();
        while (peek('&')) {
            pos++;
            m = m.and(atom());
        }
        return m;
    }

    private Mask atom() {
        if (peek('(')) {
            pos++;
            Mask m = expr();
            if (!peek(')')) {
                throw error("expected ')' at position " + pos + ", got " + (pos < s.length() ? "'" + s.charAt(pos) + "'" : "end of spec"));
            }
            pos++;
            return m;
        }
        int start = pos;
        while (pos < s.length() && "&|()".indexOf(s.charAt(pos)) < 0) {
            pos++;
        }
        String part = s.substring(start, pos);
        if (part.isEmpty()) {
            throw error("expected a mask name (one of " + String.join(", ", MaskRegistry.names()) + ") at position " + start + ", got "
                    + (pos < s.length() ? "'" + s.charAt(pos) + "'" : "end of spec"));
        }
        int colon = part.indexOf(':');
        String name = colon < 0 ? part : part.substring(0, colon);
        String args = colon < 0 ? null : part.substring(colon + 1);
        MaskType type = MaskRegistry.find(name);
        if (type == null) throw error("unknown mask '" + name + "', expected one of " + String.join(", ", MaskRegistry.names()));
        MaskType.Args parsed = arguments(type, args);
        try {
            return type.factory().create(parsed);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw error(e.getMessage());
        }
    }

    /** Splits and converts the arguments as the type's parameters say; every problem names the parameter. */
    private MaskType.Args arguments(MaskType type, String args) {
        List<List<MaskParam>> groups = type.groups();
        if (groups.isEmpty()) {
            if (args != null) throw error("'" + type.name() + "' takes no arguments, got '" + args + "'");
            return new MaskType.Args(new Object[0]);
        }
        if (args == null || args.isEmpty()) throw error("'" + type.name() + "' needs arguments " + type.syntax() + ", got none");
        String[] parts = args.split(";", -1);
        if (parts.length != groups.size()) {
            throw error("expected " + type.syntax() + " (" + groups.size() + " group" + (groups.size() > 1 ? "s" : "")
                    + " separated by ';'), got '" + args + "'");
        }
        Object[] values = new Object[type.params().size()];
        int at = 0;
        for (int g = 0; g < parts.length; g++) {
            List<MaskParam> group = groups.get(g);
            String[] fields = parts[g].split(",", -1);
            if (group.size() == 1 && group.get(0).kind().isList()) {
                values[at++] = list(type, group.get(0), fields);
                continue;
            }
            if (fields.length != group.size()) {
                throw error("expected " + type.syntax() + " (" + group.size() + " value" + (group.size() > 1 ? "s" : "")
                        + (parts.length > 1 ? " in group " + (g + 1) : "") + "), got '" + parts[g] + "'");
            }
            for (int i = 0; i < fields.length; i++) values[at++] = scalar(type, group.get(i), fields[i]);
        }
        return new MaskType.Args(values);
    }

    private Object scalar(MaskType type, MaskParam p, String field) {
        return switch (p.kind()) {
            case POSITIVE -> integer(type, p, field, 1);
            case NON_NEGATIVE -> integer(type, p, field, 0);
            case FRACTION -> {
                double d;
                try {
                    d = Double.parseDouble(field);
                } catch (NumberFormatException e) {
                    throw bad(type, p, field, "");
                }
                if (!(d >= 0 && d <= 1)) throw bad(type, p, field, "");
                yield d;
            }
            case SEED -> {
                try {
                    yield Long.parseLong(field);
                } catch (NumberFormatException e) {
                    throw bad(type, p, field, field.matches("[+-]?\\d+") ? " (outside the 64-bit range)" : "");
                }
            }
            default -> throw new IllegalStateException("list kind " + p.kind() + " in a scalar group");
        };
    }

    private Object list(MaskType type, MaskParam p, String[] fields) {
        if (p.kind() == MaskParam.Kind.BIT_ROWS) {
            boolean[][] rows = new boolean[fields.length][];
            for (int i = 0; i < fields.length; i++) {
                String f = fields[i];
                if (f.isEmpty() || !f.matches("[01]+") || f.length() != fields[0].length()) {
                    throw bad(type, p, f, " (row " + i + "; expected " + p.allowed() + ")");
                }
                rows[i] = new boolean[f.length()];
                for (int j = 0; j < f.length(); j++) rows[i][j] = f.charAt(j) == '1';
            }
            return rows;
        }
        int min = p.kind() == MaskParam.Kind.POSITIVE_LIST ? 1 : 0;
        int[] v = new int[fields.length];
        for (int i = 0; i < fields.length; i++) v[i] = integer(type, p, fields[i], min, i);
        return v;
    }

    private int integer(MaskType type, MaskParam p, String field, int min) {
        return integer(type, p, field, min, -1);
    }

    /** An int >= min; {@code index} >= 0 names the list element. */
    private int integer(MaskType type, MaskParam p, String field, int min, int index) {
        String where = index >= 0 ? " (value " + index + " of the list, counting from 0)" : "";
        long v;
        try {
            v = Long.parseLong(field);
        } catch (NumberFormatException e) {
            throw error(type.name() + ": " + p.name() + " (" + p.doc() + ") must be " + (min > 0 ? "a positive" : "a non-negative")
                    + " integer" + where + ", got '" + field + "'" + (field.matches("[+-]?\\d+") ? " (too large)" : ""));
        }
        if (v > Integer.MAX_VALUE) {
            throw error(type.name() + ": " + p.name() + " (" + p.doc() + ") must be at most " + Integer.MAX_VALUE + where
                    + ", got " + field);
        }
        if (v < min) {
            throw error(type.name() + ": " + p.name() + " (" + p.doc() + ") must be " + (min > 0 ? "positive" : "non-negative")
                    + where + ", got " + field);
        }
        return (int) v;
    }

    private IllegalArgumentException bad(MaskType type, MaskParam p, String field, String note) {
        return error(type.name() + ": " + p.name() + " (" + p.doc() + ") must be " + p.allowed() + ", got '" + field + "'" + note);
    }

    private boolean peek(char c) {
        return pos < s.length() && s.charAt(pos) == c;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("mask spec '" + spec + "': " + what);
    }
}
