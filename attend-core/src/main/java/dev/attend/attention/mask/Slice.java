package dev.attend.attention.mask;

/**
 * One rectangle {@code [qStart, qEnd) x [kStart, kEnd)} of the query-key plane, filled as its
 * {@link SliceType} says. A slice mask is the union of its slices; slices may overlap (area stays
 * exact because it is computed from the per-row union). Empty rectangles are allowed and ignored.
 */
public record Slice(int qStart, int qEnd, int kStart, int kEnd, SliceType type) {

    /** Validates the rectangle: {@code 0 <= qStart <= qEnd}, {@code 0 <= kStart <= kEnd}, type non-null. */
    public Slice {
        if (qStart < 0 || qEnd < qStart) {
            throw new IllegalArgumentException("slice q range: expected 0 <= qStart <= qEnd, got [" + qStart + ", " + qEnd + ")");
        }
        if (kStart < 0 || kEnd < kStart) {
            throw new IllegalArgumentException("slice k range: expected 0 <= kStart <= kEnd, got [" + kStart + ", " + kEnd + ")");
        }
        if (type == null) {
            throw new IllegalArgumentException("slice type: expected one of FULL, CAUSAL, INVCAUSAL, BICAUSAL, got null");
        }
    }

    public static Slice full(int qStart, int qEnd, int kStart, int kEnd) {
        return new Slice(qStart, qEnd, kStart, kEnd, SliceType.FULL);
    }

    public static Slice causal(int qStart, int qEnd, int kStart, int kEnd) {
        return new Slice(qStart, qEnd, kStart, kEnd, SliceType.CAUSAL);
    }

    public static Slice invCausal(int qStart, int qEnd, int kStart, int kEnd) {
        return new Slice(qStart, qEnd, kStart, kEnd, SliceType.INVCAUSAL);
    }

    public static Slice biCausal(int qStart, int qEnd, int kStart, int kEnd) {
        return new Slice(qStart, qEnd, kStart, kEnd, SliceType.BICAUSAL);
    }

    /** Exact number of visible (q, k) pairs inside this slice alone. O(1). */
    public long area() {
        return Piece.of(this).area();
    }

    @Override
    public String toString() {
        return type + "[" + qStart + "," + qEnd + ")x[" + kStart + "," + kEnd + ")";
    }
}
