package dev.attend.attention.mask;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * The mask library (the LongCA-bench set plus the usual LM masks). Every mask here is in slice form:
 * exact area and block structure in O(lq) work, whatever the length. Each also carries an
 * independent closed-form oracle, so {@link Mask#visible} costs O(1) (O(log documents) for
 * document masks) and tests can check the slices against it.
 *
 * <p>Alignment: {@link #full}, {@link #causal}, {@link #causalBottomRight} and {@link #blockSparse}
 * accept any (lq, lk). Every other mask is a self-attention mask and throws
 * IllegalArgumentException at compile / visible time when {@code lq != lk}. Document masks take
 * lengths that must sum to the sequence length. The {@link #describe} name of each mask is its
 * spec string, so {@code Mask.parse(m.describe())} rebuilds it.
 */
public final class Masks {

    private Masks() {
    }

    /** Every pair visible. Any (lq, lk). */
    public static Mask full() {
        return Mask.library("full", (lq, lk) -> List.of(Slice.full(0, lq, 0, lk)), (b, q, k, lq, lk) -> true);
    }

    /** Top-left causal: key k visible to query q iff {@code k <= q}. Any (lq, lk); with lq > lk the last rows see every key. */
    public static Mask causal() {
        return Mask.library("causal", (lq, lk) -> band(0, lq, 0, lk, NO_DIAG, 0), (b, q, k, lq, lk) -> k <= q);
    }

    /**
     * Bottom-right causal (FlashAttention >= 2.1): {@code k <= q + lk - lq}, so the last query sees
     * every key. Any (lq, lk); with lq > lk the first {@code lq - lk} rows see nothing (output 0, LSE -inf).
     */
    public static Mask causalBottomRight() {
        return Mask.library("causal-br", (lq, lk) -> List.of(Slice.causal(0, lq, 0, lk)),
                (b, q, k, lq, lk) -> k <= q + lk - lq);
    }

    /** Causal sliding window, top-left: query q sees keys {@code q-w+1 .. q} (w keys including itself). lq == lk. */
    public static Mask slidingWindow(int w) {
        positive("sliding window w", w);
        String name = "sliding:" + w;
        return Mask.library(name, (lq, lk) -> {
            self(name, lq, lk);
            return band(0, lq, 0, lk, -(w - 1), 0);
        }, (b, q, k, lq, lk) -> self(name, lq, lk) && k <= q && k > q - w);
    }

    /** Bidirectional sliding window: query q sees keys with {@code |q - k| < w} (2w-1 keys away from the edges). lq == lk. */
    public static Mask slidingWindowBidirectional(int w) {
        positive("sliding window w", w);
        String name = "sliding-bi:" + w;
        return Mask.library(name, (lq, lk) -> {
            self(name, lq, lk);
            return band(0, lq, 0, lk, -(w - 1), w - 1);
        }, (b, q, k, lq, lk) -> self(name, lq, lk) && Math.abs(q - k) < w);
    }

    /**
     * Global + sliding window (Longformer / BigBird style, non-causal): the first g tokens are global,
     * they see every key and every query sees them; the others see {@code |q - k| < w}. So
     * visible iff {@code q < g || k < g || |q - k| < w}. g >= 0, w >= 1, lq == lk.
     */
    public static Mask globalSliding(int g, int w) {
        nonNegative("global tokens g", g);
        positive("sliding window w", w);
        String name = "global-sliding:" + g + "," + w;
        return Mask.library(name, (lq, lk) -> {
            self(name, lq, lk);
            int gg = Math.min(g, lq);
            List<Slice> s = new ArrayList<>(band(0, lq, 0, lk, -(w - 1), w - 1));
            s.add(Slice.full(0, gg, 0, lk));
            s.add(Slice.full(0, lq, 0, gg));
            return s;
        }, (b, q, k, lq, lk) -> self(name, lq, lk) && (q < g || k < g || Math.abs(q - k) < w));
    }

    /** Packed documents (varlen), full attention within each document. lens must sum to lq == lk. */
    public static Mask documents(int... lens) {
        Docs d = new Docs("document", lens);
        return Mask.library(d.name, (lq, lk) -> {
            d.check(lq, lk);
            List<Slice> s = new ArrayList<>();
            for (int i = 0; i < d.n(); i++) {
                s.add(Slice.full(d.start(i), d.end(i), d.start(i), d.end(i)));
            }
            return s;
        }, (b, q, k, lq, lk) -> d.check(lq, lk) && d.of(q) == d.of(k));
    }

    /** Packed documents, causal within each document: same document and {@code k <= q}. */
    public static Mask documentsCausal(int... lens) {
        Docs d = new Docs("document-causal", lens);
        return Mask.library(d.name, (lq, lk) -> {
            d.check(lq, lk);
            List<Slice> s = new ArrayList<>();
            for (int i = 0; i < d.n(); i++) {
                s.add(Slice.causal(d.start(i), d.end(i), d.start(i), d.end(i)));
            }
            return s;
        }, (b, q, k, lq, lk) -> d.check(lq, lk) && d.of(q) == d.of(k) && k <= q);
    }

    /**
     * Shared question: document 0 (the question) is causal within itself and entirely visible to
     * every later document (the answers); each later document is causal within itself and does not
     * see the others.
     */
    public static Mask shareQuestion(int... lens) {
        Docs d = new Docs("share-question", lens);
        return Mask.library(d.name, (lq, lk) -> {
            d.check(lq, lk);
            List<Slice> s = new ArrayList<>();
            int q0End = d.end(0);
            for (int i = 0; i < d.n(); i++) {
                s.add(Slice.causal(d.start(i), d.end(i), d.start(i), d.end(i)));
                if (i > 0) {
                    s.add(Slice.full(d.start(i), d.end(i), 0, q0End));
                }
            }
            return s;
        }, (b, q, k, lq, lk) -> {
            d.check(lq, lk);
            int dq = d.of(q), dk = d.of(k);
            return dq == dk ? k <= q : dk == 0;
        });
    }

    /**
     * Causal blockwise (in-context learning, FlashMask): every document but the last is causal within
     * itself; the last document sees every earlier document entirely and itself causally, i.e. its
     * queries see all keys {@code k <= q}.
     */
    public static Mask causalBlockwise(int... lens) {
        Docs d = new Docs("causal-blockwise", lens);
        return Mask.library(d.name, (lq, lk) -> {
            d.check(lq, lk);
            List<Slice> s = new ArrayList<>();
            int last = d.n() - 1;
            for (int i = 0; i < last; i++) {
                s.add(Slice.causal(d.start(i), d.end(i), d.start(i), d.end(i)));
            }
            s.add(Slice.causal(d.start(last), d.end(last), 0, d.end(last)));
            return s;
        }, (b, q, k, lq, lk) -> {
            d.check(lq, lk);
            int dq = d.of(q);
            return k <= q && (dq == d.n() - 1 || dq == d.of(k));
        });
    }

    /** Prefix LM: keys {@code k < p} are visible to every query, the rest causally: {@code k < p || k <= q}. 0 <= p <= lq == lk. */
    public static Mask prefixLm(int p) {
        nonNegative("prefix length p", p);
        String name = "prefix-lm:" + p;
        return Mask.library(name, (lq, lk) -> {
            prefixFits(name, p, lq, lk);
            List<Slice> s = new ArrayList<>();
            s.add(Slice.causal(0, lq, 0, lk));
            if (p > 0) {
                s.add(Slice.full(0, lq, 0, p));
            }
            return s;
        }, (b, q, k, lq, lk) -> prefixFits(name, p, lq, lk) && (k < p || k <= q));
    }

    /**
     * Prefix LM per document: within document d (start s), keys {@code s .. s+prefixes[d]-1} are
     * visible to all of d's queries, the rest of d causally; nothing across documents.
     * {@code 0 <= prefixes[d] <= lens[d]}.
     */
    public static Mask prefixLmDocuments(int[] prefixes, int[] lens) {
        if (prefixes == null) {
            throw new IllegalArgumentException("prefix-lm-document: prefixes must be an array, got null");
        }
        String pre = Arrays.stream(prefixes).mapToObj(Integer::toString).collect(Collectors.joining(","));
        Docs d = new Docs("prefix-lm-document:" + pre + ";", "prefix-lm-document", lens);
        if (prefixes.length != d.n()) {
            throw new IllegalArgumentException("prefix-lm-document: need one prefix per document, expected "
                    + d.n() + " prefixes, got " + prefixes.length);
        }
        int[] p = prefixes.clone();
        for (int i = 0; i < p.length; i++) {
            if (p[i] < 0 || p[i] > lens[i]) {
                throw new IllegalArgumentException("prefix-lm-document: prefixes[" + i + "] must be in [0, "
                        + lens[i] + "], got " + p[i]);
            }
        }
        return Mask.library(d.name, (lq, lk) -> {
            d.check(lq, lk);
            List<Slice> s = new ArrayList<>();
            for (int i = 0; i < d.n(); i++) {
                s.add(Slice.causal(d.start(i), d.end(i), d.start(i), d.end(i)));
                if (p[i] > 0) {
                    s.add(Slice.full(d.start(i), d.end(i), d.start(i), d.start(i) + p[i]));
                }
            }
            return s;
        }, (b, q, k, lq, lk) -> {
            d.check(lq, lk);
            int dq = d.of(q);
            return dq == d.of(k) && (k <= q || k < d.start(dq) + p[dq]);
        });
    }

    /**
     * Block-causal within documents: each document is cut into blocks of {@code block} tokens from its
     * start; a query sees every key of its document up to the end of its own block:
     * same document and {@code (k - s) / block <= (q - s) / block}.
     */
    public static Mask blockCausalDocument(int block, int... lens) {
        positive("block-causal-document block", block);
        Docs d = new Docs("block-causal-document:" + block + ";", "block-causal-document", lens);
        return Mask.library(d.name, (lq, lk) -> {
            d.check(lq, lk);
            List<Slice> s = new ArrayList<>();
            for (int i = 0; i < d.n(); i++) {
                for (int r = d.start(i); r < d.end(i); r += block) {
                    int e = (int) Math.min(d.end(i), (long) r + block);
                    s.add(Slice.full(r, e, d.start(i), e));
                }
            }
            return s;
        }, (b, q, k, lq, lk) -> {
            d.check(lq, lk);
            int dq = d.of(q), s = d.start(dq);
            return dq == d.of(k) && (k - s) / block <= (q - s) / block;
        });
    }

    /**
     * Attention sinks + causal window (StreamingLLM): the first s keys are always visible (causally,
     * so {@code k <= q} still holds), plus keys {@code q-w+1 .. q}. s >= 0, w >= 1, lq == lk.
     */
    public static Mask sinksWindow(int s, int w) {
        nonNegative("sink tokens s", s);
        positive("sliding window w", w);
        String name = "sinks:" + s + "," + w;
        return Mask.library(name, (lq, lk) -> {
            self(name, lq, lk);
            List<Slice> out = new ArrayList<>(band(0, lq, 0, lk, -(w - 1), 0));
            out.addAll(band(0, lq, 0, Math.min(s, lk), NO_DIAG, 0));
            return out;
        }, (b, q, k, lq, lk) -> self(name, lq, lk) && k <= q && (k < s || k > q - w));
    }

    /**
     * Key padding (a batch of sequences of different lengths packed to one length): in batch entry b, keys
     * {@code k < validKeys[b]} are visible to every query, the rest to none. A per-batch slice mask: one
     * FULL slice per entry, so compiling it costs O(B * lq), not a predicate's O(B * lq * lk). It has
     * exactly {@code validKeys.length} batch entries; {@code 0 <= validKeys[b] <= lk}. Combine it with
     * {@code causal()} and the rest: {@code Masks.padding(5, 8).and(Masks.causal())}.
     */
    public static Mask padding(int... validKeys) {
        if (validKeys == null || validKeys.length == 0) {
            throw new IllegalArgumentException("padding: expected one key length per batch entry, got "
                    + (validKeys == null ? "null" : "none"));
        }
        int[] v = validKeys.clone();
        for (int i = 0; i < v.length; i++) nonNegative("padding: key length of batch entry " + i, v[i]);
        String name = "padding:" + Arrays.stream(v).mapToObj(Integer::toString).collect(Collectors.joining(","));
        return Mask.libraryPerBatch(name, v.length, (b, lq, lk) -> {
            if (v[b] > lk) {
                throw new IllegalArgumentException("mask '" + name + "': key length of batch entry " + b + " must be <= lk="
                        + lk + ", got " + v[b]);
            }
            return List.of(Slice.full(0, lq, 0, v[b]));
        }, (b, q, k, lq, lk) -> k < v[b]);
    }

    /**
     * Explicit block-sparse mask: tile (i, j) of {@code blockQ x blockK} tokens is entirely visible
     * iff {@code layout[i][j]}. The layout must have {@code ceil(lq/blockQ)} rows of
     * {@code ceil(lk/blockK)} entries (checked at compile time); any (lq, lk). The layout is copied.
     */
    public static Mask blockSparse(int blockQ, int blockK, boolean[][] layout) {
        positive("blockQ", blockQ);
        positive("blockK", blockK);
        boolean[][] l = copyLayout(layout);
        StringBuilder rows = new StringBuilder();
        for (boolean[] row : l) {
            if (!rows.isEmpty()) rows.append(',');
            for (boolean x : row) rows.append(x ? '1' : '0');
        }
        String name = "block-sparse:" + blockQ + "," + blockK + ";" + rows;
        return Mask.library(name, (lq, lk) -> {
            layoutFits(name, l, blockQ, blockK, lq, lk);
            return layoutSlices(l, blockQ, blockK, lq, lk);
        }, (b, q, k, lq, lk) -> layoutFits(name, l, blockQ, blockK, lq, lk) && l[q / blockQ][k / blockK]);
    }

    /**
     * Random block-sparse mask: for each (lq, lk), exactly {@code round(density * tiles)} of the
     * {@code ceil(lq/blockQ) x ceil(lk/blockK)} tiles are visible, chosen uniformly with a
     * {@link SplittableRandom} seeded by {@code seed} (same lengths and seed, same layout).
     * 0 <= density <= 1; any (lq, lk).
     */
    public static Mask blockSparseRandom(int blockQ, int blockK, double density, long seed) {
        positive("blockQ", blockQ);
        positive("blockK", blockK);
        if (!(density >= 0 && density <= 1)) {
            throw new IllegalArgumentException("block-sparse density must be in [0, 1], got " + density);
        }
        String name = "block-sparse-random:" + blockQ + "," + blockK + "," + density + "," + seed;
        RandomLayouts layouts = new RandomLayouts(blockQ, blockK, density, seed);
        return Mask.library(name, (lq, lk) -> layoutSlices(layouts.get(lq, lk), blockQ, blockK, lq, lk),
                (b, q, k, lq, lk) -> layouts.get(lq, lk)[q / blockQ][k / blockK]);
    }

    /** The random layout for (lq, lk), cached for the last lengths because the oracle is called per element. */
    static final class RandomLayouts {
        private final int blockQ, blockK;
        private final double density;
        private final long seed;
        private volatile Object[] last;  // {lq, lk, layout}

        RandomLayouts(int blockQ, int blockK, double density, long seed) {
            this.blockQ = blockQ;
            this.blockK = blockK;
            this.density = density;
            this.seed = seed;
        }

        boolean[][] get(int lq, int lk) {
            Object[] c = last;
            if (c != null && (int) c[0] == lq && (int) c[1] == lk) {
                return (boolean[][]) c[2];
            }
            int nq = ceilDiv(lq, blockQ), nk = ceilDiv(lk, blockK);
            if ((long) nq * nk > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("block-sparse-random: ceil(lq/BQ) x ceil(lk/BK) = " + nq + " x " + nk
                        + " tiles, expected fewer than 2^31");
            }
            int tiles = nq * nk;
            int keep = (int) Math.round(density * tiles);
            int[] order = new int[tiles];
            for (int i = 0; i < tiles; i++) {
                order[i] = i;
            }
            SplittableRandom rnd = new SplittableRandom(seed);
            boolean[][] layout = new boolean[nq][nk];
            for (int i = 0; i < keep; i++) {  // partial Fisher-Yates: the first `keep` of a uniform permutation
                int j = i + rnd.nextInt(tiles - i);
                int t = order[j];
                order[j] = order[i];
                order[i] = t;
                layout[t / nk][t % nk] = true;
            }
            last = new Object[] {lq, lk, layout};
            return layout;
        }
    }

    // ---------------------------------------------------------------- helpers

    private static final int NO_DIAG = Integer.MIN_VALUE;

    /**
     * Rows [q0, q1), keys in [kLo, kHi) and {@code q + dLo <= k <= q + dHi} (dLo = NO_DIAG: no lower
     * diagonal), as canonical slices through the normal form.
     */
    private static List<Slice> band(int q0, int q1, int kLo, int kHi, int dLo, int dHi) {
        List<Slice> out = new ArrayList<>(3);
        new Piece(q0, q1, kLo, kHi, dLo == NO_DIAG ? -Piece.NONE : dLo, (long) dHi + 1).toSlices(out);
        return out;
    }

    private static List<Slice> layoutSlices(boolean[][] l, int blockQ, int blockK, int lq, int lk) {
        List<Slice> s = new ArrayList<>();
        for (int i = 0; i < l.length; i++) {
            int q0 = i * blockQ, q1 = (int) Math.min(lq, (long) q0 + blockQ);
            for (int j = 0; j < l[i].length; ) {
                if (!l[i][j]) {
                    j++;
                    continue;
                }
                int j0 = j;
                while (j < l[i].length && l[i][j]) {
                    j++;
                }
                // one FULL slice per horizontal run of visible tiles keeps the slice count low
                s.add(Slice.full(q0, q1, j0 * blockK, (int) Math.min(lk, (long) j * blockK)));
            }
        }
        return s;
    }

    private static boolean[][] copyLayout(boolean[][] layout) {
        if (layout == null || layout.length == 0 || layout[0] == null || layout[0].length == 0) {
            throw new IllegalArgumentException("block-sparse layout must be a non-empty rectangular boolean[][], got "
                    + (layout == null ? "null" : layout.length == 0 ? "0 rows" : "an empty first row"));
        }
        boolean[][] c = new boolean[layout.length][];
        for (int i = 0; i < layout.length; i++) {
            if (layout[i] == null || layout[i].length != layout[0].length) {
                throw new IllegalArgumentException("block-sparse layout must be rectangular: row 0 has " + layout[0].length
                        + " entries, row " + i + " has " + (layout[i] == null ? "null" : layout[i].length));
            }
            c[i] = layout[i].clone();
        }
        return c;
    }

    private static boolean layoutFits(String name, boolean[][] l, int blockQ, int blockK, int lq, int lk) {
        int nq = ceilDiv(lq, blockQ), nk = ceilDiv(lk, blockK);
        if (nq != l.length || nk != l[0].length) {
            throw new IllegalArgumentException("mask '" + name + "': layout must be ceil(lq/blockQ) x ceil(lk/blockK) = "
                    + nq + "x" + nk + " for lq=" + lq + ", lk=" + lk + ", got " + l.length + "x" + l[0].length);
        }
        return true;
    }

    private static boolean self(String name, int lq, int lk) {
        if (lq != lk) {
            throw new IllegalArgumentException("mask '" + name + "' is a self-attention mask: expected lq == lk, got lq="
                    + lq + ", lk=" + lk);
        }
        return true;
    }

    private static boolean prefixFits(String name, int p, int lq, int lk) {
        self(name, lq, lk);
        if (p > lq) {
            throw new IllegalArgumentException("mask '" + name + "': prefix length must be <= sequence length " + lq
                    + ", got " + p);
        }
        return true;
    }

    /** {@code ceil(a / b)} for positive ints, without the overflow of {@code (a + b - 1) / b}. */
    static int ceilDiv(int a, int b) {
        return (int) (((long) a + b - 1) / b);
    }

    static void positive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + v);
        }
    }

    static void nonNegative(String what, int v) {
        if (v < 0) {
            throw new IllegalArgumentException(what + " must be >= 0, got " + v);
        }
    }

    /** Document boundaries of a varlen mask; {@link #of} is a binary search. */
    private static final class Docs {
        final String name, kind;
        private final int[] starts;  // n + 1 prefix sums

        Docs(String kind, int[] lens) {
            this(kind + ":", kind, lens);
        }

        Docs(String namePrefix, String kind, int[] lens) {
            this.kind = kind;
            if (lens == null || lens.length == 0) {
                throw new IllegalArgumentException(kind + ": document lengths must be a non-empty list, got "
                        + (lens == null ? "null" : "none"));
            }
            starts = new int[lens.length + 1];
            for (int i = 0; i < lens.length; i++) {
                if (lens[i] <= 0) {
                    throw new IllegalArgumentException(kind + ": the length of document " + i + " (counting from 0) must be positive, got " + lens[i]);
                }
                if ((long) starts[i] + lens[i] > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException(kind + ": document lengths must sum to at most " + Integer.MAX_VALUE
                            + " tokens, got more by document " + i + " (counting from 0)");
                }
                starts[i + 1] = starts[i] + lens[i];
            }
            name = namePrefix + Arrays.stream(lens).mapToObj(Integer::toString).collect(Collectors.joining(","));
        }

        int n() {
            return starts.length - 1;
        }

        int start(int i) {
            return starts[i];
        }

        int end(int i) {
            return starts[i + 1];
        }

        boolean check(int lq, int lk) {
            int total = starts[n()];
            if (lq != total || lk != total) {
                throw new IllegalArgumentException("mask '" + name + "': document lengths sum to " + total
                        + ", expected lq == lk == " + total + ", got lq=" + lq + ", lk=" + lk);
            }
            return true;
        }

        int of(int x) {
            int i = Arrays.binarySearch(starts, x);
            return i >= 0 ? i : -i - 2;
        }
    }
}
