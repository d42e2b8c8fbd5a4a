package dev.attend.attention.mask;

import java.util.ArrayList;
import java.util.List;
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

    /** Closed-form visibility of a library slice mask; kept independent of its slices so tests can check one against the other. */
    @FunctionalInterface
    interface Oracle {
        boolean visible(int q, int k, int lq, int lk);
    }

    private final String name;

    Mask(String name) {
        this.name = name;
    }

    // ---------------------------------------------------------------- factories

    /** A slice-form mask whose slices {@code source} produces for each (lq, lk). */
    public static Mask slices(String name, SliceSource source) {
        requireName(name);
        if (source == null) {
            throw new IllegalArgumentException("mask '" + name + "': slice source must be non-null, got null");
        }
        return new SliceMask(name, source, null);
    }

    /** A slice-form mask made of a fixed list of slices; they must lie inside [0, lq) x [0, lk) at compile time. */
    public static Mask slices(List<Slice> slices) {
        if (slices == null) {
            throw new IllegalArgumentException("slices: expected a list, got null");
        }
        List<Slice> copy = List.copyOf(slices);
        return new SliceMask("slices(" + copy.size() + ")", (lq, lk) -> copy, null);
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
     * Parses a CLI mask spec: a library name with its arguments ({@code full}, {@code causal},
     * {@code causal-br}, {@code sliding:W}, {@code sliding-bi:W}, {@code global-sliding:G,W},
     * {@code document:L1,L2,..}, {@code document-causal:L1,..}, {@code share-question:L1,..},
     * {@code causal-blockwise:L1,..}, {@code prefix-lm:P}, {@code prefix-lm-document:P1,..;L1,..},
     * {@code block-causal-document:B;L1,..}, {@code sinks:S,W}, {@code block-sparse-random:BQ,BK,D,SEED}),
     * combined with {@code &}, {@code |} (weaker) and parentheses, e.g. {@code "document:512,1024&causal"}.
     * {@link #describe()} of any library mask or combination parses back to the same mask.
     *
     * @throws IllegalArgumentException with one line naming the spec, what was expected and what was found
     */
    public static Mask parse(String spec) {
        return MaskSpec.parse(spec);
    }

    /** Library slice mask with an independent closed-form oracle. */
    static Mask library(String name, SliceSource source, Oracle oracle) {
        return new SliceMask(name, source, oracle);
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

    /** What this mask may depend on; slice masks are always {@link Dependence#SHARED}. */
    public abstract Dependence dependence();

    /** True when this mask has the exact slice form (analytic area and block structure). */
    public boolean isSliceForm() {
        return false;
    }

    /** The canonical slices at (lq, lk) for a slice-form mask (they may overlap), empty for predicate masks. */
    public Optional<List<Slice>> slices(int lq, int lk) {
        return Optional.empty();
    }

    /** Row intervals at (lq, lk); only for slice form. */
    RowIntervals intervals(int lq, int lk) {
        throw new IllegalStateException("mask '" + name + "' is not in slice form");
    }

    /** Exact number of visible (b, h, q, k) over the whole problem. O(lq) for slice masks, O(B*H*lq*lk) evaluations for predicates. */
    public long area(int batch, int heads, int lq, int lk) {
        requirePositive("batch", batch);
        requirePositive("heads", heads);
        requireLengths(lq, lk);
        if (isSliceForm()) {
            return Math.multiplyExact(intervals(lq, lk).area, (long) batch * heads);
        }
        Dependence d = dependence();
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
        return BlockMask.build(this, batch, heads, lq, lk, blockQ, blockK);
    }

    // ---------------------------------------------------------------- combinators

    /** Visible where both are visible. Slice form when both are slice form, else predicate form. */
    public Mask and(Mask other) {
        requireOther(other, "and");
        String n = "(" + name + " & " + other.name + ")";
        if (isSliceForm() && other.isSliceForm()) {
            SliceMask a = (SliceMask) this, b = (SliceMask) other;
            return new SliceMask(n, (lq, lk) -> intersect(a.source.slices(lq, lk), b.source.slices(lq, lk)),
                    (q, k, lq, lk) -> a.test(0, 0, q, k, lq, lk) && b.test(0, 0, q, k, lq, lk));
        }
        return new Combined(n, this, other, true);
    }

    /** Visible where either is visible. Slice form (the union of both slice lists) when both are slice form. */
    public Mask or(Mask other) {
        requireOther(other, "or");
        String n = "(" + name + " | " + other.name + ")";
        if (isSliceForm() && other.isSliceForm()) {
            SliceMask a = (SliceMask) this, b = (SliceMask) other;
            return new SliceMask(n, (lq, lk) -> {
                List<Slice> all = new ArrayList<>(a.source.slices(lq, lk));
                all.addAll(b.source.slices(lq, lk));
                return all;
            }, (q, k, lq, lk) -> a.test(0, 0, q, k, lq, lk) || b.test(0, 0, q, k, lq, lk));
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
        final SliceSource source;
        private final Oracle oracle;
        private volatile RowIntervals cached;  // last (lq, lk): immutable, so a racy replace is harmless

        SliceMask(String name, SliceSource source, Oracle oracle) {
            super(name);
            this.source = source;
            this.oracle = oracle;
        }

        @Override
        boolean test(int b, int h, int qi, int ki, int lq, int lk) {
            return oracle != null ? oracle.visible(qi, ki, lq, lk) : intervals(lq, lk).visible(qi, ki);
        }

        @Override
        public Dependence dependence() {
            return Dependence.SHARED;
        }

        @Override
        public boolean isSliceForm() {
            return true;
        }

        @Override
        public Optional<List<Slice>> slices(int lq, int lk) {
            requireLengths(lq, lk);
            return Optional.of(List.copyOf(source.slices(lq, lk)));
        }

        @Override
        RowIntervals intervals(int lq, int lk) {
            RowIntervals r = cached;
            if (r == null || r.lq != lq || r.lk != lk) {
                r = RowIntervals.build(describe(), source.slices(lq, lk), lq, lk);
                cached = r;
            }
            return r;
        }
    }

    static final class PredicateMask extends Mask {
        private final MaskMod mod;
        private final Dependence dependence;

        PredicateMask(String name, MaskMod mod, Dependence dependence) {
            super(name);
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
            super(name);
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
    }
}
