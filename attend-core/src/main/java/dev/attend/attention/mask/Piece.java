package dev.attend.attention.mask;

import java.util.List;

/**
 * Internal normal form of a slice: rows {@code [q0, q1)}, row q sees keys
 * {@code [max(lo, q + a), min(hi, q + b))}. Every {@link SliceType} maps to it, and it is closed
 * under intersection without splitting (max / min of constants and of slope-1 diagonals), which is
 * why {@code and} of two slice masks stays exact and cheap. Long arithmetic: NONE offsets are
 * +-2^40 so sums never overflow.
 */
record Piece(long q0, long q1, long lo, long hi, long a, long b) {

    static final long NONE = 1L << 40;

    static Piece of(Slice s) {
        long a = -NONE, b = NONE;
        if (s.type() == SliceType.INVCAUSAL || s.type() == SliceType.BICAUSAL) {
            a = (long) s.kStart() - s.qStart();
        }
        if (s.type() == SliceType.CAUSAL || s.type() == SliceType.BICAUSAL) {
            // bottom-right: j <= i + kLen - qLen  <=>  k < q + (kEnd - qEnd) + 1
            b = (long) s.kEnd() - s.qEnd() + 1;
        }
        return new Piece(s.qStart(), s.qEnd(), s.kStart(), s.kEnd(), a, b);
    }

    long rowLo(long q) {
        return Math.max(lo, q + a);
    }

    long rowHi(long q) {
        return Math.min(hi, q + b);
    }

    Piece intersect(Piece o) {
        return new Piece(Math.max(q0, o.q0), Math.min(q1, o.q1), Math.max(lo, o.lo), Math.min(hi, o.hi),
                Math.max(a, o.a), Math.min(b, o.b));
    }

    /** Exact area in O(1) per sub-range: the row width is linear in q on each of at most 3 sub-ranges. */
    long area() {
        long total = 0;
        long[] cuts = cuts();
        for (int i = 0; i + 1 < cuts.length; i++) {
            long r0 = cuts[i], r1 = cuts[i + 1];
            if (r0 >= r1) {
                continue;
            }
            // width(q) = rowHi - rowLo is linear on [r0, r1); clamp at zero by finding where it is positive
            long w0 = rowHi(r0) - rowLo(r0);
            long slope = (rowHi(r0 + 1) - rowLo(r0 + 1)) - w0;
            if (r1 - r0 == 1) {
                total += Math.max(0, w0);
                continue;
            }
            for (long[] seg : positiveRun(r0, r1, w0, slope)) {
                long n = seg[1] - seg[0];
                long first = w0 + slope * (seg[0] - r0);
                total += n * first + slope * n * (n - 1) / 2;
            }
        }
        return total;
    }

    private static List<long[]> positiveRun(long r0, long r1, long w0, long slope) {
        if (slope == 0) {
            return w0 > 0 ? List.of(new long[] {r0, r1}) : List.of();
        }
        if (slope > 0) {
            // positive from the first q with w0 + slope*(q-r0) > 0
            long start = w0 > 0 ? r0 : r0 + (-w0) / slope + 1;
            return start < r1 ? List.of(new long[] {start, r1}) : List.of();
        }
        long s = -slope;
        long end = w0 > 0 ? r0 + (w0 - 1) / s + 1 : r0;
        return end > r0 ? List.of(new long[] {r0, Math.min(end, r1)}) : List.of();
    }

    /** Row boundaries where lo or hi switches between its constant and its diagonal. */
    private long[] cuts() {
        long tLo = clamp(lo - a + 1);  // rows >= tLo: the diagonal lower bound binds
        long tHi = clamp(hi - b);      // rows <  tHi: the diagonal upper bound binds
        long x = Math.min(tLo, tHi), y = Math.max(tLo, tHi);
        return new long[] {q0, x, y, q1};
    }

    private long clamp(long t) {
        return Math.max(q0, Math.min(q1, t));
    }

    /** Appends the canonical slices (at most 3) covering exactly this piece. */
    void toSlices(List<Slice> out) {
        long[] c = cuts();
        for (int i = 0; i + 1 < c.length; i++) {
            long r0 = c[i], r1 = c[i + 1];
            if (r0 >= r1) {
                continue;
            }
            boolean diagLo = r0 + a > lo;
            boolean diagHi = r0 + b < hi;
            if (!diagLo && !diagHi) {
                if (lo < hi) {
                    out.add(Slice.full(i(r0), i(r1), i(lo), i(hi)));
                }
            } else if (!diagLo) {
                long s = Math.max(r0, lo - b + 1);
                if (s < r1) {
                    out.add(Slice.causal(i(s), i(r1), i(lo), i(r1 - 1 + b)));
                }
            } else if (!diagHi) {
                long e = Math.min(r1, hi - a);
                if (r0 < e) {
                    out.add(Slice.invCausal(i(r0), i(e), i(r0 + a), i(hi)));
                }
            } else if (a < b) {
                out.add(Slice.biCausal(i(r0), i(r1), i(r0 + a), i(r1 - 1 + b)));
            }
        }
    }

    private static int i(long v) {
        return Math.toIntExact(v);
    }
}
