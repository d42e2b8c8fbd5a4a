package dev.attend.attention.mask;

import java.util.Arrays;
import java.util.Objects;

/**
 * A {@link Mask} compiled for one problem shape {@code [batch, heads, lq, lk]} and tile size
 * {@code blockQ x blockK}: the block-sparse structure the kernels iterate over.
 *
 * <p>For each (b, h, query block) it lists the key blocks that hold at least one visible pair, in
 * ascending order, each flagged FULL (every pair in the tile is visible: the kernel skips mask work)
 * or PARTIAL (the kernel calls {@link #maskTile}). Empty tiles are never listed. The same structure
 * is available by key block ({@link #countByKey}) for backward passes parallel over keys. Edge
 * tiles are clipped to lq / lk: FULL means every pair of the clipped tile.
 *
 * <p>Two ways to get one: {@link Mask#compile} derives it from a mask, and {@link #fromKvBlocks} takes
 * explicit per-(b, h, q-block) lists of FULL and PARTIAL key blocks chosen by a mechanism from the data
 * (FlexAttention's name); such a block mask has no mask of its own: kernels mask its PARTIAL tiles with
 * the problem's mask, and FULL is the caller's promise that every pair of the tile is visible.
 *
 * <p>Memory: O(qBlocks + visited tiles) ints per distinct (b, h) structure, plus O(lq) ints of row
 * intervals for slice masks; a mask that does not depend on (b, h) stores one structure that all
 * (b, h) share. Accessors are O(1); {@link #maskTile} is O(nq * intervals) interval fills for slice
 * masks and O(nq * nk) predicate calls for predicate masks. Immutable and thread-safe.
 */
public final class BlockMask {

    private final Mask mask;              // null for explicit block masks
    private final int batch, heads, lq, lk, blockQ, blockK, qBlocks, kBlocks;
    private final boolean byBatch, byHead;
    private final Layout[] layouts;       // one per distinct (b, h) slot
    private final RowIntervals[] intervals; // per slot, non-null for slice masks

    /**
     * One (b, h) block structure. Entries encode {@code block << 1 | full}, so the flag costs no
     * extra array; row and column views are two CSR arrays over the same tiles. {@code scores} is the
     * summed area of the visited tiles (clipped to lq x lk) and {@code keys} their summed key counts;
     * {@code area} is -1 when not known (explicit blocks).
     */
    private record Layout(int[] rowPtr, int[] rowEntries, int[] colPtr, int[] colEntries, long area, long fullTiles,
                          long scores, long keys) {
        long visited() {
            return rowEntries.length;
        }
    }

    private BlockMask(Mask mask, int batch, int heads, int lq, int lk, int blockQ, int blockK,
                      boolean byBatch, boolean byHead, Layout[] layouts, RowIntervals[] intervals) {
        this.mask = mask;
        this.batch = batch;
        this.heads = heads;
        this.lq = lq;
        this.lk = lk;
        this.blockQ = blockQ;
        this.blockK = blockK;
        this.qBlocks = ceilDiv(lq, blockQ);
        this.kBlocks = ceilDiv(lk, blockK);
        this.byBatch = byBatch;
        this.byHead = byHead;
        this.layouts = layouts;
        this.intervals = intervals;
    }

    /** Arguments are validated by {@link Mask#compile}. */
    static BlockMask build(Mask mask, int batch, int heads, int lq, int lk, int blockQ, int blockK) {
        checkBlockCounts(lq, lk, blockQ, blockK);
        if (mask.isSliceForm()) {
            boolean byBatch = mask.dependence().byBatch;
            int slots = byBatch ? batch : 1;
            RowIntervals[] rows = new RowIntervals[slots];
            Layout[] layouts = new Layout[slots];
            for (int b = 0; b < slots; b++) {
                rows[b] = mask.intervals(b, lq, lk);
                layouts[b] = fromIntervals(rows[b], blockQ, blockK);
            }
            return new BlockMask(mask, batch, heads, lq, lk, blockQ, blockK, byBatch, false, layouts, rows);
        }
        Mask.Dependence d = mask.dependence();
        int nb = d.byBatch ? batch : 1, nh = d.byHead ? heads : 1;
        Layout[] layouts = new Layout[nb * nh];
        for (int b = 0; b < nb; b++) {
            for (int h = 0; h < nh; h++) {
                layouts[b * nh + h] = fromPredicate(mask, b, h, lq, lk, blockQ, blockK);
            }
        }
        return new BlockMask(mask, batch, heads, lq, lk, blockQ, blockK, d.byBatch, d.byHead, layouts, null);
    }

    // ---------------------------------------------------------------- shape

    /** The mask this was compiled from; null for {@link #fromKvBlocks explicit blocks}. */
    public Mask mask() { return mask; }
    public int batch() { return batch; }
    public int heads() { return heads; }
    public int lq() { return lq; }
    public int lk() { return lk; }
    public int blockQ() { return blockQ; }
    public int blockK() { return blockK; }
    /** {@code ceil(lq / blockQ)}. */
    public int qBlocks() { return qBlocks; }
    /** {@code ceil(lk / blockK)}. */
    public int kBlocks() { return kBlocks; }

    /** True when every (b, h) shares one block structure. */
    public boolean isShared() {
        return layouts.length == 1;
    }

    /** True when partial tiles are masked by interval fills (slice form), false when by predicate calls or explicit. */
    public boolean isSliceForm() {
        return intervals != null;
    }

    /** True when built by {@link #fromKvBlocks}: no mask of its own, and no exact area. */
    public boolean isExplicit() {
        return mask == null;
    }

    // ---------------------------------------------------------------- row view

    /** Number of key blocks query block {@code qb} of (b, h) visits. */
    public int count(int b, int h, int qb) {
        int[] p = layout(b, h).rowPtr;
        index("qb", qb, qBlocks);
        return p[qb + 1] - p[qb];
    }

    /** The i-th visited key block of query block {@code qb}, ascending in i. */
    public int kBlock(int b, int h, int qb, int i) {
        return rowEntry(b, h, qb, i) >>> 1;
    }

    /** Whether the i-th visited tile of query block {@code qb} is entirely visible. */
    public boolean isFull(int b, int h, int qb, int i) {
        return (rowEntry(b, h, qb, i) & 1) != 0;
    }

    private int rowEntry(int b, int h, int qb, int i) {
        Layout l = layout(b, h);
        index("qb", qb, qBlocks);
        index("i", i, l.rowPtr[qb + 1] - l.rowPtr[qb]);
        return l.rowEntries[l.rowPtr[qb] + i];
    }

    // ---------------------------------------------------------------- column view

    /** Number of query blocks that visit key block {@code kb} of (b, h). */
    public int countByKey(int b, int h, int kb) {
        int[] p = layout(b, h).colPtr;
        index("kb", kb, kBlocks);
        return p[kb + 1] - p[kb];
    }

    /** The i-th query block visiting key block {@code kb}, ascending in i. */
    public int qBlock(int b, int h, int kb, int i) {
        return colEntry(b, h, kb, i) >>> 1;
    }

    /** Whether the i-th tile of key block {@code kb} is entirely visible. */
    public boolean isFullByKey(int b, int h, int kb, int i) {
        return (colEntry(b, h, kb, i) & 1) != 0;
    }

    private int colEntry(int b, int h, int kb, int i) {
        Layout l = layout(b, h);
        index("kb", kb, kBlocks);
        index("i", i, l.colPtr[kb + 1] - l.colPtr[kb]);
        return l.colEntries[l.colPtr[kb] + i];
    }

    // ---------------------------------------------------------------- masking

    /**
     * Sets the masked entries of a score tile to {@link Float#NEGATIVE_INFINITY} and leaves visible
     * ones untouched. Tile rows are queries {@code q0 .. q0+nq-1}, columns keys {@code k0 .. k0+nk-1};
     * element (r, c) is {@code scores[off + r*ld + c]}. The tile may be any rectangle inside
     * [0, lq) x [0, lk), not only a block of this mask.
     */
    public void maskTile(int b, int h, int q0, int nq, int k0, int nk, float[] scores, int off, int ld) {
        maskTile(b, h, q0, nq, k0, nk, scores, off, ld, 1);
    }

    /**
     * {@link #maskTile(int, int, int, int, int, int, float[], int, int)} for a tile stored with any two
     * strides: element (r, c) is {@code scores[off + r*rowStride + c*colStride]}. A kernel that keeps its
     * scores transposed (keys as rows) passes {@code rowStride = 1, colStride = ld}. The mask's own
     * {@link Mask#maskTile}, with the row intervals compiled here.
     */
    public void maskTile(int b, int h, int q0, int nq, int k0, int nk, float[] scores, int off, int rowStride, int colStride) {
        if (mask == null) {
            throw new IllegalStateException("maskTile: an explicit block mask (fromKvBlocks) has no mask of its own; "
                    + "mask its PARTIAL tiles with the problem's mask (Mask.maskTile)");
        }
        index("b", b, batch);
        index("h", h, heads);
        range("q0, nq", q0, nq, lq);
        range("k0, nk", k0, nk, lk);
        if (nq == 0 || nk == 0) {
            return;
        }
        Mask.checkTile(nq, nk, scores, off, rowStride, colStride);
        if (intervals != null) {
            RowIntervals rows = intervals[byBatch ? b : 0];
            for (int r = 0; r < nq; r++) {
                rows.maskRow(q0 + r, k0, nk, scores, off + r * rowStride, colStride);
            }
            return;
        }
        mask.maskTile(b, h, lq, lk, q0, nq, k0, nk, scores, off, rowStride, colStride);
    }

    // ---------------------------------------------------------------- stats

    /** Exact number of visible (q, k) pairs of (b, h). */
    public long area(int b, int h) {
        requireArea();
        return layout(b, h).area;
    }

    /** Exact number of visible (b, h, q, k) over the whole problem: FLOPs are {@code 4 * area() * D}. */
    public long area() {
        requireArea();
        return sum(Layout::area);
    }

    private void requireArea() {
        if (mask == null) {
            throw new IllegalStateException("area: an explicit block mask (fromKvBlocks) knows its tiles, not which pairs "
                    + "inside PARTIAL tiles are visible; ask the problem's mask (Mask.area)");
        }
    }

    /** (query, key) pairs inside the visited tiles (clipped to lq x lk), masked ones included: the scores a kernel computes. */
    public long visitedScores() {
        return sum(Layout::scores);
    }

    /** Key rows loaded by a kernel that loads each visited tile's keys once: the summed key counts of the visited tiles. */
    public long visitedKeys() {
        return sum(Layout::keys);
    }

    /** Tiles visited over all (b, h): the sum of {@link #count} over every (b, h, qb). */
    public long visitedTiles() {
        return sum(Layout::visited);
    }

    /** FULL tiles over all (b, h). */
    public long fullTiles() {
        return sum(Layout::fullTiles);
    }

    /** Ints held by the block structure and row intervals, for memory checks. */
    public long sizeInInts() {
        long s = 0;
        if (intervals != null) {
            for (RowIntervals r : intervals) s += r.sizeInInts();
        }
        for (Layout l : layouts) {
            s += l.rowPtr.length + l.rowEntries.length + l.colPtr.length + l.colEntries.length;
        }
        return s;
    }

    private long sum(java.util.function.ToLongFunction<Layout> f) {
        long perLayoutCopies = (long) (byBatch ? 1 : batch) * (byHead ? 1 : heads);
        long s = 0;
        for (Layout l : layouts) {
            s += f.applyAsLong(l);
        }
        return s * perLayoutCopies;
    }

    private Layout layout(int b, int h) {
        index("b", b, batch);
        index("h", h, heads);
        int nh = byHead ? heads : 1;
        return layouts[(byBatch ? b : 0) * nh + (byHead ? h : 0)];
    }

    @Override
    public String toString() {
        return "BlockMask[" + (mask == null ? "explicit" : mask.describe()) + ", B=" + batch + ", H=" + heads + ", lq=" + lq + ", lk=" + lk
                + ", block=" + blockQ + "x" + blockK + ", visited=" + visitedTiles() + ", full=" + fullTiles() + "]";
    }

    // ---------------------------------------------------------------- construction

    /**
     * A block mask from explicit lists (FlexAttention's {@code from_kv_blocks}): for row
     * {@code r = (b * heads + h) * ceil(lq / blockQ) + qb}, {@code full[r]} lists the key blocks the query
     * block visits with no mask work and {@code partial[r]} those whose pairs the kernel masks with the
     * problem's mask; a null row (or a null array) lists nothing. Block sizes are the caller's; kernels
     * split them into their own tiles. Indices must lie in {@code [0, ceil(lk / blockK))} and appear at most
     * once per row across both lists; they are sorted here. Memory O(batch * heads * qBlocks + listed tiles).
     *
     * @throws IllegalArgumentException naming the row and the index when a list is malformed
     */
    public static BlockMask fromKvBlocks(int batch, int heads, int lq, int lk, int blockQ, int blockK,
                                         int[][] full, int[][] partial) {
        Mask.requirePositive("batch", batch);
        Mask.requirePositive("heads", heads);
        Mask.requireLengths(lq, lk);
        Mask.requirePositive("blockQ", blockQ);
        Mask.requirePositive("blockK", blockK);
        checkBlockCounts(lq, lk, blockQ, blockK);
        int qBlocks = ceilDiv(lq, blockQ), kBlocks = ceilDiv(lk, blockK);
        long rows = (long) batch * heads * qBlocks;
        if (rows > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("fromKvBlocks: batch * heads * qBlocks must stay below 2^31, got " + rows);
        }
        for (int[][] lists : new int[][][] {full, partial}) {
            if (lists != null && lists.length != rows) {
                throw new IllegalArgumentException("fromKvBlocks: " + (lists == full ? "full" : "partial") + " must have batch * heads * qBlocks = "
                        + rows + " rows, got " + lists.length);
            }
        }
        Layout[] layouts = new Layout[batch * heads];
        boolean[] seen = new boolean[kBlocks];
        for (int bh = 0; bh < batch * heads; bh++) {
            int[] rowPtr = new int[qBlocks + 1];
            RowIntervals.IntList entries = new RowIntervals.IntList(qBlocks * 4);
            long fullTiles = 0;
            for (int qb = 0; qb < qBlocks; qb++) {
                int r = bh * qBlocks + qb, start = entries.size();
                int[] f = full == null ? null : full[r], p = partial == null ? null : partial[r];
                for (int pass = 0; pass < 2; pass++) {
                    int[] list = pass == 0 ? f : p;
                    if (list == null) continue;
                    for (int kb : list) {
                        if (kb < 0 || kb >= kBlocks) {
                            throw new IllegalArgumentException("fromKvBlocks: " + (pass == 0 ? "full" : "partial") + "[" + r + "] (b="
                                    + bh / heads + ", h=" + bh % heads + ", qBlock=" + qb + "): key block must be in [0, " + kBlocks
                                    + "), got " + kb);
                        }
                        if (seen[kb]) {
                            throw new IllegalArgumentException("fromKvBlocks: row " + r + " (b=" + bh / heads + ", h=" + bh % heads
                                    + ", qBlock=" + qb + ") lists key block " + kb + " twice");
                        }
                        seen[kb] = true;
                        entries.add(kb << 1 | (pass == 0 ? 1 : 0));
                        if (pass == 0) fullTiles++;
                    }
                }
                entries.sort(start, entries.size());  // block << 1 | flag: sorting by entry sorts by block
                for (int i = start; i < entries.size(); i++) seen[entries.get(i) >>> 1] = false;
                rowPtr[qb + 1] = entries.size();
            }
            layouts[bh] = withColumns(rowPtr, entries.toArray(), kBlocks, -1, fullTiles, lq, lk, blockQ, blockK);
        }
        return new BlockMask(null, batch, heads, lq, lk, blockQ, blockK, true, true, layouts, null);
    }

    /**
     * Block structure from row intervals with difference arrays: per row, each interval adds +1 to
     * the key blocks it touches and +1 to those it covers entirely; a tile is listed when touched and
     * FULL when covered by every row of the block (merged intervals are disjoint and non-adjacent,
     * so a row covers a block with at most one interval). Only the touched span of key blocks is
     * scanned per query block.
     */
    private static Layout fromIntervals(RowIntervals rows, int blockQ, int blockK) {
        int lq = rows.lq, lk = rows.lk;
        int qBlocks = ceilDiv(lq, blockQ), kBlocks = ceilDiv(lk, blockK);
        int[] touch = new int[kBlocks + 1], cover = new int[kBlocks + 1];
        int[] rowPtr = new int[qBlocks + 1];
        RowIntervals.IntList entries = new RowIntervals.IntList(qBlocks * 4);
        long fullTiles = 0;
        for (int qb = 0; qb < qBlocks; qb++) {
            int r0 = qb * blockQ, r1 = Math.min(lq, r0 + blockQ);
            int minK = kBlocks, maxK = -1;
            for (int q = r0; q < r1; q++) {
                for (int i = rows.first(q), to = i + rows.count(q); i < to; i++) {
                    int lo = rows.lo(i), hi = rows.hi(i);
                    int t0 = lo / blockK, t1 = (hi - 1) / blockK;
                    touch[t0]++;
                    touch[t1 + 1]--;
                    minK = Math.min(minK, t0);
                    maxK = Math.max(maxK, t1);
                    int c0 = ceilDiv(lo, blockK);
                    int c1 = hi == lk ? kBlocks - 1 : hi / blockK - 1;
                    if (c0 <= c1) {
                        cover[c0]++;
                        cover[c1 + 1]--;
                    }
                }
            }
            int t = 0, c = 0, nRows = r1 - r0;
            for (int kb = minK; kb <= maxK; kb++) {
                t += touch[kb];
                c += cover[kb];
                touch[kb] = 0;
                cover[kb] = 0;
                if (t > 0) {
                    boolean full = c == nRows;
                    entries.add(kb << 1 | (full ? 1 : 0));
                    if (full) {
                        fullTiles++;
                    }
                }
            }
            if (maxK >= 0) {
                touch[maxK + 1] = 0;
                cover[maxK + 1] = 0;
            }
            rowPtr[qb + 1] = entries.size();
        }
        return withColumns(rowPtr, entries.toArray(), kBlocks, rows.area, fullTiles, lq, lk, blockQ, blockK);
    }

    /** Block structure by evaluating the predicate on every pair of every tile: O(lq * lk) calls. */
    private static Layout fromPredicate(Mask mask, int b, int h, int lq, int lk, int blockQ, int blockK) {
        int qBlocks = ceilDiv(lq, blockQ), kBlocks = ceilDiv(lk, blockK);
        int[] rowPtr = new int[qBlocks + 1];
        RowIntervals.IntList entries = new RowIntervals.IntList(qBlocks * 4);
        long area = 0, fullTiles = 0;
        for (int qb = 0; qb < qBlocks; qb++) {
            int r0 = qb * blockQ, r1 = Math.min(lq, r0 + blockQ);
            for (int kb = 0; kb < kBlocks; kb++) {
                int c0 = kb * blockK, c1 = Math.min(lk, c0 + blockK);
                long n = 0;
                for (int q = r0; q < r1; q++) {
                    for (int k = c0; k < c1; k++) {
                        if (mask.test(b, h, q, k, lq, lk)) {
                            n++;
                        }
                    }
                }
                if (n > 0) {
                    boolean full = n == (long) (r1 - r0) * (c1 - c0);
                    entries.add(kb << 1 | (full ? 1 : 0));
                    if (full) {
                        fullTiles++;
                    }
                    area += n;
                }
            }
            rowPtr[qb + 1] = entries.size();
        }
        return withColumns(rowPtr, entries.toArray(), kBlocks, area, fullTiles, lq, lk, blockQ, blockK);
    }

    /** CSR transpose (scanning query blocks in order keeps each column ascending), and the visited tiles' sizes. */
    private static Layout withColumns(int[] rowPtr, int[] rowEntries, int kBlocks, long area, long fullTiles,
                                      int lq, int lk, int blockQ, int blockK) {
        int qBlocks = rowPtr.length - 1;
        long scores = 0, keys = 0;
        for (int qb = 0; qb < qBlocks; qb++) {
            long rows = Math.min(lq, (long) (qb + 1) * blockQ) - (long) qb * blockQ;
            for (int i = rowPtr[qb]; i < rowPtr[qb + 1]; i++) {
                int kb = rowEntries[i] >>> 1;
                long cols = Math.min(lk, (long) (kb + 1) * blockK) - (long) kb * blockK;
                scores += rows * cols;
                keys += cols;
            }
        }
        int[] colPtr = new int[kBlocks + 1];
        for (int e : rowEntries) {
            colPtr[(e >>> 1) + 1]++;
        }
        for (int kb = 0; kb < kBlocks; kb++) {
            colPtr[kb + 1] += colPtr[kb];
        }
        int[] fill = Arrays.copyOf(colPtr, kBlocks);
        int[] colEntries = new int[rowEntries.length];
        for (int qb = 0; qb < qBlocks; qb++) {
            for (int i = rowPtr[qb]; i < rowPtr[qb + 1]; i++) {
                int e = rowEntries[i];
                colEntries[fill[e >>> 1]++] = qb << 1 | (e & 1);
            }
        }
        return new Layout(rowPtr, rowEntries, colPtr, colEntries, area, fullTiles, scores, keys);
    }

    /** Entries pack {@code block << 1 | full} into an int: block counts must stay below 2^30. */
    private static void checkBlockCounts(int lq, int lk, int blockQ, int blockK) {
        if (ceilDiv(lq, blockQ) >= 1 << 30 || ceilDiv(lk, blockK) >= 1 << 30) {
            throw new IllegalArgumentException("blocks: at most 2^30 blocks per side, got " + ceilDiv(lq, blockQ) + " x " + ceilDiv(lk, blockK)
                    + " for lq=" + lq + ", lk=" + lk + " in blocks of " + blockQ + " x " + blockK);
        }
    }

    /** Index checks at the public boundary name the argument (the kernels' loops stay in range by construction). */
    private static void index(String name, int v, int size) {
        if (v < 0 || v >= size) throw new IllegalArgumentException(name + ": expected 0 <= " + name + " < " + size + ", got " + v);
    }

    private static void range(String name, int from, int n, int size) {
        if (from < 0 || n < 0 || (long) from + n > size) {
            throw new IllegalArgumentException(name + ": expected a range inside [0, " + size + "), got " + n + " from " + from);
        }
    }

    private static int ceilDiv(int a, int b) {
        return (int) (((long) a + b - 1) / b);
    }
}
