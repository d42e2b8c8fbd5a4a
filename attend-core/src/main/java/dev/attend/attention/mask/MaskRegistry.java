package dev.attend.attention.mask;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.attend.attention.mask.MaskParam.Kind.BIT_ROWS;
import static dev.attend.attention.mask.MaskParam.Kind.FRACTION;
import static dev.attend.attention.mask.MaskParam.Kind.NON_NEGATIVE_LIST;
import static dev.attend.attention.mask.MaskParam.Kind.POSITIVE_LIST;
import static dev.attend.attention.mask.MaskParam.Kind.SEED;
import static dev.attend.attention.mask.MaskParam.nonNegative;
import static dev.attend.attention.mask.MaskParam.positive;

/**
 * The registry of library masks: one {@link MaskType} per spec name, in the order listings show them.
 * {@link Mask#parse} reads atoms through it, and the CLI's help, {@code attend masks} and the README's
 * mask table are generated from it; adding a mask is one entry here plus its factory in {@link Masks}.
 */
public final class MaskRegistry {
    private static final Map<String, MaskType> TYPES = new LinkedHashMap<>();

    private static final MaskParam W = positive("W", "window: keys per query, itself included");
    private static final MaskParam DOCS = new MaskParam("L", POSITIVE_LIST, "document lengths, summing to the sequence length");

    static {
        add("full", List.of(), "Masks.full()", "always", true, a -> Masks.full());
        add("causal", List.of(), "Masks.causal()", "`k <= q` (top-left; also for `Lq != Lk`)", true, a -> Masks.causal());
        add("causal-br", List.of(), "Masks.causalBottomRight()",
                "`k <= q + Lk - Lq` (bottom-right, as FlashAttention >= 2.1 and decoding)", true, a -> Masks.causalBottomRight());
        add("sliding", List.of(W), "Masks.slidingWindow(W)", "`q - W < k <= q`", false, a -> Masks.slidingWindow(a.intAt(0)));
        add("sliding-bi", List.of(W), "Masks.slidingWindowBidirectional(W)", "`|q - k| < W`", false,
                a -> Masks.slidingWindowBidirectional(a.intAt(0)));
        add("global-sliding", List.of(nonNegative("G", "global tokens at the start"), W), "Masks.globalSliding(G, W)",
                "`q < G` or `k < G` or `|q - k| < W`", false, a -> Masks.globalSliding(a.intAt(0), a.intAt(1)));
        add("document", List.of(DOCS), "Masks.documents(..)", "same document (packed varlen sequences)", false,
                a -> Masks.documents(a.intsAt(0)));
        add("document-causal", List.of(DOCS), "Masks.documentsCausal(..)", "same document and `k <= q`", false,
                a -> Masks.documentsCausal(a.intsAt(0)));
        add("share-question", List.of(DOCS), "Masks.shareQuestion(..)",
                "document 0 causally, and by every later document; others causal within themselves", false,
                a -> Masks.shareQuestion(a.intsAt(0)));
        add("causal-blockwise", List.of(DOCS), "Masks.causalBlockwise(..)",
                "causal within each document; the last one also sees all earlier ones", false, a -> Masks.causalBlockwise(a.intsAt(0)));
        add("prefix-lm", List.of(nonNegative("P", "prefix length: keys every query sees")), "Masks.prefixLm(P)",
                "`k < P` or `k <= q`", false, a -> Masks.prefixLm(a.intAt(0)));
        add("prefix-lm-document", List.of(new MaskParam("P", NON_NEGATIVE_LIST, "prefix length of each document"), DOCS),
                "Masks.prefixLmDocuments(..)", "the prefix-LM rule inside each document", false,
                a -> Masks.prefixLmDocuments(a.intsAt(0), a.intsAt(1)));
        add("block-causal-document", List.of(positive("B", "block length, counted from each document's start"), DOCS),
                "Masks.blockCausalDocument(B, ..)", "same document and `k`'s block (of `B` from the document start) `<=` `q`'s block",
                false, a -> Masks.blockCausalDocument(a.intAt(0), a.intsAt(1)));
        add("sinks", List.of(nonNegative("S", "sink tokens at the start"), W), "Masks.sinksWindow(S, W)",
                "`k <= q` and (`k < S` or `k > q - W`)", false, a -> Masks.sinksWindow(a.intAt(0), a.intAt(1)));
        add("padding", List.of(new MaskParam("L", NON_NEGATIVE_LIST, "valid keys of each batch entry")), "Masks.padding(..)",
                "`k < L_b` in batch entry `b` (one length per batch entry)", true, a -> Masks.padding(a.intsAt(0)));
        add("block-sparse", List.of(positive("BQ", "query rows per tile"), positive("BK", "key columns per tile"),
                        new MaskParam("ROW", BIT_ROWS, "one row of 0/1 digits per query tile, one digit per key tile")),
                "Masks.blockSparse(BQ, BK, layout)", "tile `(q / BQ, k / BK)` is 1 in the layout", true,
                a -> Masks.blockSparse(a.intAt(0), a.intAt(1), a.rowsAt(2)));
        add("block-sparse-random", List.of(positive("BQ", "query rows per tile"), positive("BK", "key columns per tile"),
                        new MaskParam("DENSITY", FRACTION, "fraction of tiles visible"), new MaskParam("SEED", SEED, "random seed")),
                "Masks.blockSparseRandom(..)", "a reproducible random set of `round(DENSITY x tiles)` tiles of `BQ x BK`", true,
                a -> Masks.blockSparseRandom(a.intAt(0), a.intAt(1), a.doubleAt(2), a.longAt(3)));
    }

    private MaskRegistry() {}

    private static void add(String name, List<MaskParam> params, String java, String visible, boolean anyLengths, MaskType.Factory f) {
        register(new MaskType(name, params, java, visible, anyLengths, f));
    }

    /** Adds a mask type; a name is registered once. */
    public static synchronized void register(MaskType type) {
        if (type == null) throw new IllegalArgumentException("type: expected a MaskType, got null");
        if (TYPES.putIfAbsent(type.name(), type) != null) throw new IllegalArgumentException("mask '" + type.name() + "' is already registered");
    }

    /** Every registered type, in listing order (a copy). */
    public static synchronized List<MaskType> all() {
        return List.copyOf(TYPES.values());
    }

    /** The registered names, in listing order (a copy). */
    public static synchronized List<String> names() {
        return List.copyOf(TYPES.keySet());
    }

    /** The type registered under {@code name}, or null. */
    static synchronized MaskType find(String name) {
        return TYPES.get(name);
    }
}
