package dev.attend.attention.mask;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A length-generic attention mask: a recipe that says, for any query length {@code lq} and key
 * length {@code lk}, which (query, key) pairs are visible. The library of standard masks is in
 * {@link Masks}; {@link #parse(String)} reads the CLI spec strings.
 *
 * <p>Two forms, chosen by how the mask was made:
 * <ul>
 *   <li><b>slice form</b>: a list of canonical {@link Slice}s produced from (lq, lk). Its exact area
 *   and block structure are computed analytically from per-row key intervals in O(lq) work and
 *   memory, and partial tiles are masked by interval fills. {@code and} / {@code or} of two slice
 *   masks stay in slice form (intersection of two slices is one normal-form piece, at most three
 *   canonical slices).</li>
 *   <li><b>predicate form</b>: a {@link MaskMod} evaluated per element, like FlexAttention's
 *   {@code create_block_mask}. Compiling or measuring it costs O(B * H * lq * lk) evaluations
 *   (O(lq * lk) when it is declared {@link Dependence#SHARED}); tiles are masked element by
 *   element. Any combination involving a predicate is in predicate form, still exact.</li>
 * </ul>
 *
 * <p>Masks are immutable and thread-safe. {@link #compile} gives the {@link BlockMask} that the
 * kernels consume; {@link #visible} is the per-element oracle used by the fp64 reference.
 */
public abstract class Mask {

    /** Which of (batch, head) a mask may depend on; the compiled block structure is stored once per distinct value. */
    public enum Dependence {
        /** Same for every (b, h): one block structure shared by all. */
        SHARED(false, false),
        /** Varies with the head only: H structures. */
        PER_HEAD(false, true),
        /** Varies with the batch index only: B structures. */
        PER_BATCH(true, false),
        /** Varies with both: B * H structures. */
        PER_BATCH_HEAD(true, true);

        final boolean byBatch, byHead;

        Dependence(boolean byBatch, boolean byHead) {
            this.byBatch = byBatch;
            this.byHead = byHead;
        }

        Dependence union(Dependence o) {
            boolean b = byBatch || o.byBatch, h = byHead || o.byHead;
            return b ? (h ? PER_BATCH_HEAD : PER_BATCH) : (h ? PER_HEAD : SHARED);
        }
    }

    /** Produces the canonical slices of a slice-form mask for given lengths (throws IllegalArgumentException if they do not fit). */
    @FunctionalInterface
    public interface SliceSource {
        List<Slice> slices(int lq, int lk);
    }

    /** Slices of a slice-form mask that may differ per batch entry (e.g. padding: each sequence's own length). */
    @FunctionalInterface
    interface BatchSliceSource {
        List<Slice> slices(int b, int lq, int lk);
    }

    /** Closed-form visibility of a library slice mask; kept independent of its slices so tests can check one against the other. */
    @FunctionalInterface
    interface Oracle {
        boolean visible(int b, int q, int k, int lq, int lk);
    }

    private final String name;
    private final String kind;  // registry name of a library mask, null for predicates and combinations

    Mask(String name, String kind) {
        this.name = name;
        this.kind = kind;
    }

    // ---------------------------------------------------------------- factories

    /** A slice-form mask whose slices {@code source} produces for each (lq, lk). */
    public static Mask slices(String name, SliceSource source) {
        requireName(name);
        if (source == null) {
            throw new IllegalArgumentException("mask '" + name + "': slice source must be non-null, got null");
        }
        return new SliceMask(name, null, (b, lq, lk) -> source.slices(lq, lk), null, -1);
    }

    /** A slice-form mask made of a fixed list of slices; they must lie inside [0, lq) x [0, lk) at compile time. */
    public static Mask slices(List<Slice> slices) {
        if (slices == null) {
            throw new IllegalArgumentException("slices: expected a list, got null");
        }
        List<Slice> copy = List.copyOf(slices);
        return new SliceMask("slices(" + copy.size() + ")", null, (b, lq, lk) -> copy, null, -1);
    }

    /** A predicate mask that may depend on (b, h): evaluated separately for every (b, h) at compile time. */
    public static Mask predicate(String name, MaskMod mod) {
        return predicate(name, mod, Dependence.PER_BATCH_HEAD);
    }

    /**
     * A predicate mask. {@code dependence} declares what it may depend on: with {@link Dependence#SHARED}
     * it is evaluated once, at b = h = 0, and the block structure is shared by all (b, h). A wrong
     * declaration gives a wrong mask: declare conservatively.
     */
    public static Mask predicate(String name, MaskMod mod, Dependence dependence) {
        requireName(name);
        if (mod == null) {
            throw new IllegalArgumentException("mask '" + name + "': mask_mod must be non-null, got null");
        }
        if (dependence == null) {
            throw new IllegalArgumentException("mask '" + name + "': dependence must be non-null, got null");
        }
        return new PredicateMask(name, mod, dependence);
    }

    /**
     * Parses a CLI mask spec: a library name from {@link MaskRegistry} with its arguments ({@code causal},
     * {@code sliding:128}, {@code document:512,1024}, {@code block-causal-document:64;256,256}), combined with
     * {@code &}, {@code |} (weaker) and parentheses, e.g. {@code "document:512,1024&causal"}.
     * {@link #describe()} of any library mask or combination parses back to the same mask.
     *
     * @throws IllegalArgumentException with one line naming the spec, what was expected and what was found
     */
    public static Mask parse(String spec) {
        return MaskSpec.parse(spec);
    }

    /** Library slice mask with an independent closed-form oracle; its kind is its name up to the ':'. */
    static Mask library(String name, SliceSource source, Oracle oracle) {
        return new SliceMask(name, kindOf(name), (b, lq, lk) -> source.slices(lq, lk), oracle, -1);
    }

    /** Library slice mask whose slices differ per batch entry; {@code batch} is the number of entries it has. */
    static Mask libraryPerBatch(String name, int batch, BatchSliceSource source, Oracle oracle) {
        return new SliceMask(name, kindOf(name), source, oracle, batch);
    }

    private static String kindOf(String name) {
        int colon = name.indexOf(':');
        return colon < 0 ? name : name.substring(0, colon);
    }

    // ---------------------------------------------------------------- queries

    /**
     * Whether query {@code qi} sees key {@code ki} in (b, h) at lengths (lq, lk): the oracle for the
     * reference kernel. O(1) for library masks, O(log intervals) for other slice masks after the
     * first call at these lengths, one predicate call for predicate masks.
     */
    public final boolean visible(int b, int h, int qi, int ki, int lq, int lk) {
        requireLengths(lq, lk);
        if (qi < 0 || qi >= lq || ki < 0 || ki >= lk) {
            throw new IllegalArgumentException("mask '" + name + "': (qi, ki) must lie in [0," + lq + ")x[0," + lk
                    + "), got (" + qi + ", " + ki + ")");
        }
        return test(b, h, qi, ki, lq, lk);
    }

    /** Unchecked visibility: callers have validated lengths and indices. */
    abstract boolean test(int b, int h, int qi, int ki, int lq, int lk);

    /** The registry name of a library mask ({@code "sliding"} for {@code sliding:128}); empty for predicates and combinations. */
    public final Optional<String> kind() {
        return Optional.ofNullable(kind);
    }

    /** Checks that this mask can serve {@code batch} batch entries (a per-batch mask has a fixed number). */
    void requireBatch(int batch) {
    }

    /**
     * True when no visible query sees a key after its own position: {@code k <= q} (top-left) for every
     * visible pair, or {@code k <= q + lk - lq} (bottom-right) for every visible pair. O(lq) per distinct
     * batch entry for slice masks; predicate masks are asked about every pair above the diagonal.
     */
    public boolean isCausal(int batch, int heads, int lq, int lk) {
        requirePositive("batch", batch);
        requirePositive("heads", heads);
        requireLengths(lq, lk);
        requireBatch(batch);
        Dependence d = dependence();
        boolean topLeft = true, bottomRight = true;
        for (int b = 0; b < (d.byBatch ? batch : 1); b++) {
            if (isSliceForm()) {
                RowIntervals r = intervals(b, lq, lk);
                for (int q = 0; q < lq && (topLeft || bottomRight); q++) {
                    int n = r.count(q);
                    if (n == 0) continue;
                    long last = r.hi(r.first(q) + n - 1) - 1L;
                    topLeft &= last <= q;
                    bottomRight &= last <= q + (long) lk - lq;
                }
                continue;
            }
            for (int h = 0; h < (d.byHead ? heads : 1); h++) {
                for (int q = 0; q < lq && (topLeft || bottomRight); q++) {
                    // Only keys past one of the two diagonals can break causality.
                    int start = (int) Math.max(0, Math.min(q + 1L, q + (long) lk - lq + 1));
                    for (int k = start; k < lk && (topLeft || bottomRight); k++) {
                        if (!test(b, h, q, k, lq, lk)) continue;
                        if (k > q) topLeft = false;
                        if (k > q + (long) lk - lq) bottomRight = false;
                    }
                }
            }
        }
        return topLeft || bottomRight;
    }

    /** Whether query {@code qi} of (b, h) sees at least one key: O(1) for slice masks, up to lk tests for predicates. */
    public boolean rowHasVisible(int b, int h, int qi, int lq, int lk) {
        requireLengths(lq, lk);
        Objects.checkIndex(qi, lq);
        if (isSliceForm()) return intervals(b, lq, lk).count(qi) > 0;
        for (int k = 0; k < lk; k++) if (test(b, h, qi, k, lq, lk)) return true;
        return false;
    }

    /**
     * Sets the masked entries of a score tile to {@link Float#NEGATIVE_INFINITY} and leaves visible ones
     * untouched. Tile rows are queries {@code q0 .. q0+nq-1} and columns keys {@code k0 .. k0+nk-1} of (b, h)
     * at lengths (lq, lk); element (r, c) is {@code scores[off + r*rowStride + c*colStride]} (a kernel that
     * keeps scores transposed passes {@code rowStride = 1}). Slice masks fill whole runs from their row
     * intervals; predicates are asked per element.
     */
    public final void maskTile(int b, int h, int lq, int lk, int q0, int nq, int k0, int nk,
                               float[] scores, int off, int rowStride, int colStride) {
        requireLengths(lq, lk);
        Objects.checkFromIndexSize(q0, nq, lq);
        Objects.checkFromIndexSize(k0, nk, lk);
        if (nq == 0 || nk == 0) return;
        checkTile(nq, nk, scores, off, rowStride, colStride);
        if (b < 0 || h < 0) throw new IllegalArgumentException("maskTile: (b, h) must be >= 0, got (" + b + ", " + h + ")");
        if (isSliceForm()) {
            RowIntervals r = intervals(b, lq, lk);
            for (int i = 0; i < nq; i++) r.maskRow(q0 + i, k0, nk, scores, off + i * rowStride, colStride);
            return;
        }
        for (int i = 0; i < nq; i++) {
            int base = off + i * rowStride;
            for (int c = 0; c < nk; c++) {
                if (!test(b, h, q0 + i, k0 + c, lq, lk)) scores[base + c * colStride] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * {@link #maskTile} for a tile of gathered rows: row r is query {@code qRows[qOff + r]} and column c key
     * {@code kRows[kOff + c]} in the original positions (what a mechanism that runs flash over a permuted or
     * selected set of queries and keys needs). One visibility test per element.
     */
    public final void maskTileGathered(int b, int h, int lq, int lk, int[] qRows, int qOff, int nq, int[] kRows, int kOff, int nk,
                                       float[] scores, int off, int rowStride, int colStride) {
        requireLengths(lq, lk);
        Objects.checkFromIndexSize(qOff, nq, qRows.length);
        Objects.checkFromIndexSize(kOff, nk, kRows.length);
        if (nq == 0 || nk == 0) return;
        checkTile(nq, nk, scores, off, rowStride, colStride);
        for (int i = 0; i < nq; i++) {
            int q = Objects.checkIndex(qRows[qOff + i], lq), base = off + i * rowStride;
            for (int c = 0; c < nk; c++) {
                if (!test(b, h, q, Objects.checkIndex(kRows[kOff + c], lk), lq, lk)) scores[base + c * colStride] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    static void checkTile(int nq, int nk, float[] scores, int off, int rowStride, int colStride) {
        long need = (long) (nq - 1) * rowStride + (long) (nk - 1) * colStride + 1;
        boolean overlapping = rowStride < 1 || colStride < 1
                || (colStride == 1 ? nq > 1 && rowStride < nk : rowStride == 1 ? nk > 1 && colStride < nq : false);
        if (scores == null || overlapping || off < 0 || off + need > scores.length) {
            throw new IllegalArgumentException("maskTile: tile " + nq + "x" + nk + " with strides (" + rowStride + ", "
                    + colStride + ") at offset " + off + " must fit in scores of length " + (scores == null ? "null" : scores.length)
                    + " without overlapping rows");
        }
    }

    /**
     * Checks that this mask can serve a problem of these dimensions (self-attention masks need
     * {@code lq == lk}, document lengths must sum to the length, a per-batch mask needs its batch size),
     * throwing IllegalArgumentException with the reason. O(lq) per distinct batch entry for slice masks;
     * nothing to check for predicates.
     */
    public void validate(int batch, int heads, int lq, int lk) {
        requirePositive("batch", batch);
        requirePositive("heads", heads);
        requireLengths(lq, lk);
        requireBatch(batch);
        if (isSliceForm()) {
            for (int b = 0; b < (dependence().byBatch ? batch : 1); b++) intervals(b, lq, lk);
        }
    }

    /** What this mask may depend on: slice masks are {@link Dependence#SHARED}, or {@link Dependence#PER_BATCH} when made per batch entry. */
    public abstract Dependence dependence();

    /** True when this mask has the exact slice form (analytic area and block structure). */
    public boolean isSliceForm() {
        return false;
    }

    /** The canonical slices at (lq, lk) of batch entry 0 of a slice-form mask (they may overlap), empty for predicate masks. */
    public Optional<List<Slice>> slices(int lq, int lk) {
        return slices(0, lq, lk);
    }

    /** The canonical slices of batch entry {@code b} at (lq, lk) of a slice-form mask, empty for predicate masks. */
    public Optional<List<Slice>> slices(int b, int lq, int lk) {
        return Optional.empty();
    }

    /** Row intervals of batch entry b at (lq, lk); only for slice form. */
    RowIntervals intervals(int b, int lq, int lk) {
        throw new IllegalStateException("mask '" + name + "' is not in slice form");
    }

    /** Exact number of visible (b, h, q, k) over the whole problem. O(lq) for slice masks, O(B*H*lq*lk) evaluations for predicates. */
    public long area(int batch, int heads, int lq, int lk) {
        requirePositive("batch", batch);
        requirePositive("heads", heads);
        requireLengths(lq, lk);
        requireBatch(batch);
        Dependence d = dependence();
        if (isSliceForm()) {
            long total = 0;
            for (int b = 0; b < (d.byBatch ? batch : 1); b++) total = Math.addExact(total, intervals(b, lq, lk).area);
            return Math.multiplyExact(total, (long) (d.byBatch ? 1 : batch) * heads);
        }
        int nb = d.byBatch ? batch : 1, nh = d.byHead ? heads : 1;
        long total = 0;
        for (int b = 0; b < nb; b++) {
            for (int h = 0; h < nh; h++) {
                long area = 0;
                for (int q = 0; q < lq; q++) {
                    for (int k = 0; k < lk; k++) {
                        if (test(b, h, q, k, lq, lk)) {
                            area++;
                        }
                    }
                }
                total += area;
            }
        }
        return total * (d.byBatch ? 1 : batch) * (d.byHead ? 1 : heads);
    }

    /**
     * Compiles the block structure kernels use: for each (b, h, query block) the key blocks to visit,
     * FULL or PARTIAL. Slice masks: O(lq * intervalsPerRow + qBlocks * kBlocks) time, one structure
     * shared by all (b, h). Predicate masks: O(lq * lk) evaluations per distinct (b, h).
     */
    public BlockMask compile(int batch, int heads, int lq, int lk, int blockQ, int blockK) {
        requirePositive("batch", batch);
        requirePositive("heads", heads);
        requireLengths(lq, lk);
        requirePositive("blockQ", blockQ);
        requirePositive("blockK", blockK);
        requireBatch(batch);
        return BlockMask.build(this, batch, heads, lq, lk, blockQ, blockK);
    }

    /**
     * The rectangle {@code [q0, q0+nq) x [k0, k0+nk)} of this mask at lengths (lq, lk), as a mask of its own over
     * (nq, nk): query i of the window is query {@code q0 + i} of the whole, key j is key {@code k0 + j}. This is how
     * a shard of a problem cut by sequence (context parallelism, split-K) keeps the mask of the whole: a slice mask
     * stays in slice form (each slice clipped to the rectangle and shifted, still exact, O(slices) work), a
     * predicate is asked at the shifted positions. The window serves the lengths (nq, nk) only.
     */
    public final Mask window(int lq, int lk, int q0, int nq, int k0, int nk) {
        requireLengths(lq, lk);
        requirePositive("nq", nq);
        requirePositive("nk", nk);
        Objects.checkFromIndexSize(q0, nq, lq);
        Objects.checkFromIndexSize(k0, nk, lk);
        return new Window(this, lq, lk, q0, nq, k0, nk);
    }

    // ---------------------------------------------------------------- combinators

    /** Visible where both are visible. Slice form when both are slice form, else predicate form. */
    public Mask and(Mask other) {
        requireOther(other, "and");
        String n = "(" + name + " & " + other.name + ")";
        if (isSliceForm() && other.isSliceForm()) {
            SliceMask a = (SliceMask) this, b = (SliceMask) other;
            return new SliceMask(n, null, (bi, lq, lk) -> intersect(a.source.slices(bi, lq, lk), b.source.slices(bi, lq, lk)),
                    (bi, q, k, lq, lk) -> a.test(bi, 0, q, k, lq, lk) && b.test(bi, 0, q, k, lq, lk), SliceMask.batchOf(a, b));
        }
        return new Combined(n, this, other, true);
    }

    /** Visible where either is visible. Slice form (the union of both slice lists) when both are slice form. */
    public Mask or(Mask other) {
        requireOther(other, "or");
        String n = "(" + name + " | " + other.name + ")";
        if (isSliceForm() && other.isSliceForm()) {
            SliceMask a = (SliceMask) this, b = (SliceMask) other;
            return new SliceMask(n, null, (bi, lq, lk) -> {
                List<Slice> all = new ArrayList<>(a.source.slices(bi, lq, lk));
                all.addAll(b.source.slices(bi, lq, lk));
                return all;
            }, (bi, q, k, lq, lk) -> a.test(bi, 0, q, k, lq, lk) || b.test(bi, 0, q, k, lq, lk), SliceMask.batchOf(a, b));
        }
        return new Combined(n, this, other, false);
    }

    /** Pairwise intersection in normal form; pairs whose q ranges miss are skipped. O(n * m). */
    static List<Slice> intersect(List<Slice> xs, List<Slice> ys) {
        List<Slice> out = new ArrayList<>();
        for (Slice x : xs) {
            Piece px = Piece.of(x);
            for (Slice y : ys) {
                if (y.qEnd() <= x.qStart() || x.qEnd() <= y.qStart()) {
                    continue;
                }
                Piece p = px.intersect(Piece.of(y));
                if (p.q0() < p.q1() && p.lo() < p.hi()) {
                    p.toSlices(out);
                }
            }
        }
        return out;
    }

    /** The spec-like name of this mask, e.g. {@code "sliding:128"} or {@code "(document:3,5 & causal)"}. */
    public String describe() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }

    // ---------------------------------------------------------------- validation

    static void requireLengths(int lq, int lk) {
        requirePositive("lq", lq);
        requirePositive("lk", lk);
    }

    static void requirePositive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + v);
        }
    }

    private static void requireName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("mask name must be non-blank, got " + (name == null ? "null" : "'" + name + "'"));
        }
    }

    private void requireOther(Mask other, String op) {
        if (other == null) {
            throw new IllegalArgumentException("mask '" + name + "'." + op + "(other): other must be a mask, got null");
        }
    }

    // ---------------------------------------------------------------- forms

    static final class SliceMask extends Mask {
        final BatchSliceSource source;
        private final Oracle oracle;
        private final int batch;  // number of batch entries of a per-batch mask, -1 when shared by all
        private volatile Object[] cached;  // {lq, lk, RowIntervals[]} for the last lengths; entries fill in lazily

        SliceMask(String name, String kind, BatchSliceSource source, Oracle oracle, int batch) {
            super(name, kind);
            this.source = source;
            this.oracle = oracle;
            this.batch = batch;
        }

        /** The batch entries of a combination: shared unless either side is per-batch, and then both must agree. */
        static int batchOf(SliceMask a, SliceMask b) {
            if (a.batch >= 0 && b.batch >= 0 && a.batch != b.batch) {
                throw new IllegalArgumentException("mask '" + a.describe() + "' has " + a.batch + " batch entries and '"
                        + b.describe() + "' has " + b.batch + ": expected the same number");
            }
            return Math.max(a.batch, b.batch);
        }

        @Override
        boolean test(int b, int h, int qi, int ki, int lq, int lk) {
            if (batch >= 0) checkEntry(b);
            return oracle != null ? oracle.visible(b, qi, ki, lq, lk) : intervals(b, lq, lk).visible(qi, ki);
        }

        @Override
        void requireBatch(int n) {
            if (batch >= 0 && n != batch) {
                throw new IllegalArgumentException("mask '" + describe() + "' has " + batch + " batch entries, expected batch == "
                        + batch + ", got " + n);
            }
        }

        @Override
        public Dependence dependence() {
            return batch >= 0 ? Dependence.PER_BATCH : Dependence.SHARED;
        }

        @Override
        public boolean isSliceForm() {
            return true;
        }

        @Override
        public Optional<List<Slice>> slices(int b, int lq, int lk) {
            requireLengths(lq, lk);
            checkEntry(b);
            return Optional.of(List.copyOf(source.slices(b, lq, lk)));
        }

        private void checkEntry(int b) {
            if (b < 0 || (batch >= 0 ? b >= batch : false)) {
                throw new IllegalArgumentException("mask '" + describe() + "': batch index must be in [0, "
                        + (batch >= 0 ? batch : "B") + "), got " + b);
            }
        }

        @Override
        RowIntervals intervals(int b, int lq, int lk) {
            int slot = batch >= 0 ? b : 0;
            Object[] c = cached;
            if (c == null || (int) c[0] != lq || (int) c[1] != lk) {
                c = new Object[] {lq, lk, new RowIntervals[Math.max(1, batch)]};
                cached = c;
            }
            RowIntervals[] rows = (RowIntervals[]) c[2];
            RowIntervals r = rows[slot];
            if (r == null) {
                checkEntry(b);
                r = RowIntervals.build(describe(), source.slices(slot, lq, lk), lq, lk);
                rows[slot] = r;  // immutable: a racy double build is harmless
            }
            return r;
        }
    }

    static final class PredicateMask extends Mask {
        private final MaskMod mod;
        private final Dependence dependence;

        PredicateMask(String name, MaskMod mod, Dependence dependence) {
            super(name, null);
            this.mod = mod;
            this.dependence = dependence;
        }

        @Override
        boolean test(int b, int h, int qi, int ki, int lq, int lk) {
            return mod.visible(b, h, qi, ki);
        }

        @Override
        public Dependence dependence() {
            return dependence;
        }
    }

    static final class Combined extends Mask {
        private final Mask a, b;
        private final boolean and;

        Combined(String name, Mask a, Mask b, boolean and) {
            super(name, null);
            this.a = a;
            this.b = b;
            this.and = and;
        }

        @Override
        boolean test(int bi, int h, int qi, int ki, int lq, int lk) {
            return and ? a.test(bi, h, qi, ki, lq, lk) && b.test(bi, h, qi, ki, lq, lk)
                    : a.test(bi, h, qi, ki, lq, lk) || b.test(bi, h, qi, ki, lq, lk);
        }

        @Override
        public Dependence dependence() {
            return a.dependence().union(b.dependence());
        }

        @Override
        void requireBatch(int batch) {
            a.requireBatch(batch);
            b.requireBatch(batch);
        }
    }

    static final class Window extends Mask {
        private final Mask whole;
        private final int lq, lk, q0, nq, k0, nk;
        private final java.util.concurrent.ConcurrentHashMap<Integer, RowIntervals> rows = new java.util.concurrent.ConcurrentHashMap<>();

        Window(Mask whole, int lq, int lk, int q0, int nq, int k0, int nk) {
            super(whole.describe() + "[" + q0 + ":" + (q0 + nq) + ", " + k0 + ":" + (k0 + nk) + " of " + lq + "x" + lk + "]", null);
            this.whole = whole;
            this.lq = lq;
            this.lk = lk;
            this.q0 = q0;
            this.nq = nq;
            this.k0 = k0;
            this.nk = nk;
        }

        private void requireWindow(int wq, int wk) {
            if (wq != nq || wk != nk) {
                throw new IllegalArgumentException("mask '" + describe() + "': a window serves lengths " + nq + "x" + nk
                        + " only, got " + wq + "x" + wk);
            }
        }

        @Override
        boolean test(int b, int h, int qi, int ki, int wq, int wk) {
            return whole.test(b, h, q0 + qi, k0 + ki, lq, lk);
        }

        @Override
        public Dependence dependence() {
            return whole.dependence();
        }

        @Override
        void requireBatch(int batch) {
            whole.requireBatch(batch);
        }

        @Override
        public void validate(int batch, int heads, int wq, int wk) {
            requireLengths(wq, wk);
            requireWindow(wq, wk);
            super.validate(batch, heads, wq, wk);
        }

        @Override
        public boolean isSliceForm() {
            return whole.isSliceForm();
        }

        @Override
        public Optional<List<Slice>> slices(int b, int wq, int wk) {
            requireLengths(wq, wk);
            requireWindow(wq, wk);
            Optional<List<Slice>> all = whole.slices(b, lq, lk);
            if (all.isEmpty()) return all;
            Piece rect = new Piece(q0, q0 + nq, k0, k0 + nk, -Piece.NONE, Piece.NONE);
            List<Slice> out = new ArrayList<>();
            for (Slice s : all.get()) {
                Piece p = Piece.of(s).intersect(rect);
                if (p.q0() >= p.q1() || p.lo() >= p.hi()) continue;
                new Piece(p.q0() - q0, p.q1() - q0, p.lo() - k0, p.hi() - k0, p.a() + q0 - k0, p.b() + q0 - k0).toSlices(out);
            }
            return Optional.of(List.copyOf(out));
        }

        @Override
        RowIntervals intervals(int b, int wq, int wk) {
            requireWindow(wq, wk);
            int slot = dependence().byBatch ? b : 0;
            return rows.computeIfAbsent(slot, x -> RowIntervals.build(describe(), slices(slot, nq, nk).orElseThrow(), nq, nk));
        }
    }
}
