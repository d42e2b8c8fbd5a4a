package dev.attend.attention;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One typed hyperparameter of a mechanism: its name, type, default, allowed range (or choices) and a
 * one-line doc. {@link MechanismDescriptor} lists them; {@link Params} holds validated values. Values
 * arrive as spec text ({@code "block=256"}) or as Java objects ({@code Map.of("block", 256)}); both are
 * checked here, so a mechanism never sees a value out of range.
 */
public record Param(String name, Type type, Object defaultValue, Number min, Number max, List<String> choices, String doc) {

    /** The value types a parameter can have. */
    public enum Type { INT, LONG, DOUBLE, BOOLEAN, CHOICE }

    public Param {
        Objects.requireNonNull(type, "type");
        if (name == null || !name.matches("[a-zA-Z][a-zA-Z0-9]*")) {
            throw new IllegalArgumentException("param name: expected letters and digits starting with a letter, got '" + name + "'");
        }
        if (doc == null || doc.isBlank()) throw new IllegalArgumentException("param '" + name + "': doc must be non-blank");
        choices = choices == null ? List.of() : List.copyOf(choices);
        if (type == Type.CHOICE && choices.isEmpty()) {
            throw new IllegalArgumentException("param '" + name + "': a choice needs at least one allowed value");
        }
        // The default must itself be allowed: a descriptor cannot ship a value its own check would refuse.
        String problem = check(type, defaultValue, min, max, choices);
        if (problem != null) {
            throw new IllegalArgumentException("param '" + name + "': default " + defaultValue + " is not allowed: " + problem);
        }
    }

    public static Param ofInt(String name, int defaultValue, int min, int max, String doc) {
        return new Param(name, Type.INT, defaultValue, (long) min, (long) max, null, doc);
    }

    public static Param ofLong(String name, long defaultValue, long min, long max, String doc) {
        return new Param(name, Type.LONG, defaultValue, min, max, null, doc);
    }

    public static Param ofDouble(String name, double defaultValue, double min, double max, String doc) {
        return new Param(name, Type.DOUBLE, defaultValue, min, max, null, doc);
    }

    public static Param ofBoolean(String name, boolean defaultValue, String doc) {
        return new Param(name, Type.BOOLEAN, defaultValue, null, null, null, doc);
    }

    public static Param ofChoice(String name, String defaultValue, List<String> choices, String doc) {
        return new Param(name, Type.CHOICE, defaultValue, null, null, choices, doc);
    }

    /** What values are allowed, in words: {@code "an integer in [16, 65536]"}, {@code "one of f32, bf16"}. */
    public String allowed() {
        return switch (type) {
            case INT, LONG -> "an integer in [" + min + ", " + max + "]";
            case DOUBLE -> "a number in [" + format(min) + ", " + format(max) + "]";
            case BOOLEAN -> "true or false";
            case CHOICE -> "one of " + String.join(", ", choices);
        };
    }

    /** Parses spec text into a value of this parameter's type, or throws naming the mechanism and the parameter. */
    Object parse(String mechanism, String text) {
        String t = text.strip();
        Object v = switch (type) {
            case INT -> parseLong(t, Integer.MIN_VALUE, Integer.MAX_VALUE) instanceof Long l ? (Object) l.intValue() : null;
            case LONG -> parseLong(t, Long.MIN_VALUE, Long.MAX_VALUE);
            case DOUBLE -> parseDouble(t);
            case BOOLEAN -> t.equalsIgnoreCase("true") ? Boolean.TRUE : t.equalsIgnoreCase("false") ? Boolean.FALSE : null;
            case CHOICE -> choices.contains(t.toLowerCase(Locale.ROOT)) ? t.toLowerCase(Locale.ROOT) : null;
        };
        return validated(mechanism, v, "'" + text + "'");
    }

    /** Converts a Java value (Integer, Long, Double, Boolean, String, or text to parse) into this parameter's type. */
    Object convert(String mechanism, Object value) {
        if (value instanceof String s) return parse(mechanism, s);
        Object v = switch (type) {
            case INT -> value instanceof Integer || value instanceof Short || value instanceof Byte
                    || (value instanceof Long l && l == (int) (long) l) ? ((Number) value).intValue() : null;
            case LONG -> value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                    ? ((Number) value).longValue() : null;
            case DOUBLE -> value instanceof Number n ? n.doubleValue() : null;
            case BOOLEAN -> value instanceof Boolean b ? b : null;
            case CHOICE -> null;
        };
        return validated(mechanism, v, value == null ? "null" : value + " (" + value.getClass().getSimpleName() + ")");
    }

    private Object validated(String mechanism, Object v, String got) {
        String problem = v == null ? "not " + article() : check(type, v, min, max, choices);
        if (problem != null) {
            throw new IllegalArgumentException("mechanism '" + mechanism + "': parameter '" + name + "' expects "
                    + allowed() + ", got " + got);
        }
        return v;
    }

    private String article() {
        return switch (type) {
            case INT, LONG -> "an integer";
            case DOUBLE -> "a number";
            case BOOLEAN -> "a boolean";
            case CHOICE -> "an allowed value";
        };
    }

    /** The value as spec text, so that {@link #parse} gives it back. */
    public String format(Object value) {
        if (value instanceof Double d) {
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) (double) d) : Double.toString(d);
        }
        return String.valueOf(value);
    }

    private static String check(Type type, Object v, Number min, Number max, List<String> choices) {
        switch (type) {
            case INT, LONG -> {
                if (!(type == Type.INT ? v instanceof Integer : v instanceof Long)) return "expected a " + type;
                if (min == null || max == null) return "needs a range";
                long x = ((Number) v).longValue();
                if (x < min.longValue() || x > max.longValue()) return "outside [" + min + ", " + max + "]";
            }
            case DOUBLE -> {
                if (!(v instanceof Double d) || !Double.isFinite(d)) return "expected a finite DOUBLE";
                if (min == null || max == null) return "needs a range";
                if (d < min.doubleValue() || d > max.doubleValue()) return "outside [" + min + ", " + max + "]";
            }
            case BOOLEAN -> {
                if (!(v instanceof Boolean)) return "expected a BOOLEAN";
            }
            case CHOICE -> {
                if (!(v instanceof String s) || !choices.contains(s)) return "expected one of " + choices;
            }
        }
        return null;
    }

    private static Long parseLong(String t, long lo, long hi) {
        try {
            long x = Long.parseLong(t);
            return x < lo || x > hi ? null : x;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Double parseDouble(String t) {
        try {
            double d = Double.parseDouble(t);
            return Double.isFinite(d) && !t.endsWith("d") && !t.endsWith("f") && !t.endsWith("D") && !t.endsWith("F") ? d : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
