package dev.attend.attention.mask;

import java.util.Arrays;
import java.util.List;

/**
 * The exact geometry of a slice mask at one (lq, lk): for each query row, the sorted, disjoint,
 * non-adjacent key intervals that the union of its slices covers. Consecutive rows with identical
 * intervals share one group, so block-sparse and document masks cost O(groups), and a diagonal
 * mask costs O(lq) ints; never O(lq * lk).
 *
 * <p>Built by a sweep over rows in O(lq * activeSlices * log activeSlices); rows whose active set
 * did not change and has no diagonal bound reuse the previous row's group without work.
 */
final class RowIntervals {

    final int lq, lk;
    private final int[] groupOfRow;   // [lq]
    private final int[] groupPtr;     // [groups + 1] into lo / hi
    private final int[] lo, hi;
    final long area;

    private RowIntervals(int lq, int lk, int[] groupOfRow, int[] groupPtr, int[] lo, int[] hi, long area) {
        this.lq = lq;
        this.lk = lk;
        this.groupOfRow = groupOfRow;
        this.groupPtr = groupPtr;
        this.lo = lo;
        this.hi = hi;
        this.area = area;
    }

    static RowIntervals build(String name, List<Slice> slices, int lq, int lk) {
        Piece[] pieces = new Piece[slices.size()];
        int n = 0;
        for (Slice s : slices) {
            if (s.qEnd() > lq || s.kEnd() > lk) {
                throw new IllegalArgumentException("mask '" + name + "': slice " + s
                        + " must lie inside [0," + lq + ")x[0," + lk + ") for lq=" + lq + ", lk=" + lk);
            }
            if (s.qStart() < s.qEnd() && s.kStart() < s.kEnd()) {
                pieces[n++] = Piece.of(s);
            }
        }
        pieces = Arrays.copyOf(pieces, n);
        Arrays.sort(pieces, (x, y) -> Long.compare(x.q0(), y.q0()));

        int[] groupOfRow = new int[lq];
        IntList ptr = new IntList(16);
        IntList los = new IntList(16), his = new IntList(16);
        ptr.add(0);
        Piece[] active = new Piece[Math.max(1, n)];
        int nActive = 0, next = 0, groups = 0;
        long[] rowLo = new long[Math.max(1, n)], rowHi = new long[Math.max(1, n)];
        boolean reusable = false;  // previous row's group still valid for this row
        long area = 0;
        int lastCount = 0;
        long lastArea = 0;
        for (int q = 0; q < lq; q++) {
            boolean changed = false;
            for (int i = 0; i < nActive; ) {
                if (active[i].q1() <= q) {
                    active[i] = active[--nActive];
                    changed = true;
                } else {
                    i++;
                }
            }
            while (next < n && pieces[next].q0() <= q) {
                active[nActive++] = pieces[next++];
                changed = true;
            }
            if (reusable && !changed) {
                groupOfRow[q] = groups - 1;
                area += lastArea;
                continue;
            }
            boolean diagonal = false;
            int m = 0;
            for (int i = 0; i < nActive; i++) {
                Piece p = active[i];
                long l = p.rowLo(q), h = p.rowHi(q);
                diagonal |= p.a() != -Piece.NONE || p.b() != Piece.NONE;
                if (l < h) {
                    // insertion sort by lo: few intervals per row
                    int j = m++;
                    while (j > 0 && rowLo[j - 1] > l) {
                        rowLo[j] = rowLo[j - 1];
                        rowHi[j] = rowHi[j - 1];
                        j--;
                    }
                    rowLo[j] = l;
                    rowHi[j] = h;
                }
            }
            int start = los.size();
            long rowArea = 0;
            for (int i = 0; i < m; i++) {
                long l = rowLo[i], h = rowHi[i];
                int last = los.size() - 1;
                if (last >= start && l <= his.get(last)) {
                    if (h > his.get(last)) {
                        rowArea += h - his.get(last);
                        his.set(last, (int) h);
                    }
                } else {
                    los.add((int) l);
                    his.add((int) h);
                    rowArea += h - l;
                }
            }
            int count = los.size() - start;
            if (groups > 0 && count == lastCount && sameAsPrevious(los, his, start, count)) {
                los.truncate(start);
                his.truncate(start);
                groupOfRow[q] = groups - 1;
            } else {
                ptr.add(los.size());
                groupOfRow[q] = groups++;
                lastCount = count;
            }
            lastArea = rowArea;
            area += rowArea;
            reusable = !diagonal;
        }
        return new RowIntervals(lq, lk, groupOfRow, ptr.toArray(), los.toArray(), his.toArray(), area);
    }

    private static boolean sameAsPrevious(IntList los, IntList his, int start, int count) {
        for (int i = 0; i < count; i++) {
            if (los.get(start - count + i) != los.get(start + i) || his.get(start - count + i) != his.get(start + i)) {
                return false;
            }
        }
        return true;
    }

    int count(int q) {
        int g = groupOfRow[q];
        return groupPtr[g + 1] - groupPtr[g];
    }

    int first(int q) {
        return groupPtr[groupOfRow[q]];
    }

    int lo(int index) {
        return lo[index];
    }

    int hi(int index) {
        return hi[index];
    }

    boolean visible(int q, int k) {
        int g = groupOfRow[q];
        // the last interval whose lo <= k is the only candidate: intervals are sorted and disjoint
        int from = groupPtr[g], to = groupPtr[g + 1] - 1;
        while (from <= to) {
            int mid = (from + to) >>> 1;
            if (lo[mid] <= k) {
                if (k < hi[mid]) {
                    return true;
                }
                from = mid + 1;
            } else {
                to = mid - 1;
            }
        }
        return false;
    }

    /** Sets the masked entries of row q, columns [k0, k0 + nk), to -inf: interval fills, no per-element test. */
    void maskRow(int q, int k0, int nk, float[] scores, int off, int colStride) {
        int g = groupOfRow[q];
        int end = k0 + nk;
        int c = k0;
        for (int i = groupPtr[g], to = groupPtr[g + 1]; i < to && c < end; i++) {
            int l = lo[i], h = hi[i];
            if (h <= c) {
                continue;
            }
            if (l > c) {
                fill(scores, off, c - k0, Math.min(l, end) - k0, colStride);
            }
            c = Math.max(c, h);
        }
        if (c < end) {
            fill(scores, off, c - k0, nk, colStride);
        }
    }

    /** Sets columns {@code from .. to-1} of a row starting at {@code off} to -inf. */
    private static void fill(float[] scores, int off, int from, int to, int colStride) {
        if (colStride == 1) {
            Arrays.fill(scores, off + from, off + to, Float.NEGATIVE_INFINITY);
        } else {
            for (int c = from; c < to; c++) scores[off + c * colStride] = Float.NEGATIVE_INFINITY;
        }
    }

    /** Heap footprint in ints, for tests that check the structure stays O(lq), not O(lq * lk). */
    long sizeInInts() {
        return (long) groupOfRow.length + groupPtr.length + lo.length + hi.length;
    }

    /** Growable int array: the sweep must not box. */
    static final class IntList {
        private int[] a;
        private int n;

        IntList(int capacity) {
            a = new int[Math.max(4, capacity)];
        }

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            a[n++] = v;
        }

        int get(int i) {
            return a[i];
        }

        void set(int i, int v) {
            a[i] = v;
        }

        int size() {
            return n;
        }

        void sort(int from, int to) {
            Arrays.sort(a, from, to);
        }

        void truncate(int size) {
            n = size;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
