package dev.attend.attention.mask;

/**
 * One parameter of a library mask's spec, e.g. the window {@code W} of {@code sliding:W}. Spec arguments
 * are positional: consecutive scalars share one group separated by commas, and each list takes a group of
 * its own, groups separated by {@code ;} ({@code block-causal-document:B;L1,L2,..}).
 */
public record MaskParam(String name, Kind kind, String doc) {

    /** The value kinds a mask spec takes. */
    public enum Kind {
        /** An int >= 1. */
        POSITIVE,
        /** An int >= 0. */
        NON_NEGATIVE,
        /** A number in [0, 1]. */
        FRACTION,
        /** Any long. */
        SEED,
        /** One or more ints >= 1, comma-separated. */
        POSITIVE_LIST,
        /** One or more ints >= 0, comma-separated. */
        NON_NEGATIVE_LIST,
        /** Rows of 0/1 digits of equal length, comma-separated: a block layout. */
        BIT_ROWS;

        boolean isList() {
            return this == POSITIVE_LIST || this == NON_NEGATIVE_LIST || this == BIT_ROWS;
        }
    }

    public MaskParam {
        if (name == null || name.isBlank() || kind == null || doc == null || doc.isBlank()) {
            throw new IllegalArgumentException("mask param: name, kind and doc must be given, got " + name + ", " + kind + ", " + doc);
        }
    }

    public static MaskParam positive(String name, String doc) {
        return new MaskParam(name, Kind.POSITIVE, doc);
    }

    public static MaskParam nonNegative(String name, String doc) {
        return new MaskParam(name, Kind.NON_NEGATIVE, doc);
    }

    /** How the parameter appears in the syntax line: {@code W}, or {@code L1,L2,..} for a list. */
    public String token() {
        return kind.isList() ? name + "1," + name + "2,.." : name;
    }

    /** What values are allowed, in words. */
    public String allowed() {
        return switch (kind) {
            case POSITIVE -> "a positive integer";
            case NON_NEGATIVE -> "a non-negative integer";
            case FRACTION -> "a number in [0, 1]";
            case SEED -> "an integer (64-bit)";
            case POSITIVE_LIST -> "positive integers separated by ','";
            case NON_NEGATIVE_LIST -> "non-negative integers separated by ','";
            case BIT_ROWS -> "rows of 0/1 digits of equal length separated by ','";
        };
    }
}
