package dev.attend.tensor;

/** Argument checks shared by the bulk conversion APIs; messages name the argument and the values. */
final class Checks {
    private Checks() {}

    static void range(String name, int length, int off, int n) {
        if (n < 0) throw new IllegalArgumentException("n: expected >= 0, got " + n);
        if (off < 0 || off > length - n) {
            throw new IllegalArgumentException(name + ": range [" + off + ", " + ((long) off + n)
                    + ") out of bounds for length " + length);
        }
    }

    static void notNull(String name, Object o) {
        if (o == null) throw new IllegalArgumentException(name + ": expected non-null, got null");
    }
}
