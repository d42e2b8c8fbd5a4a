package dev.attend.attention.decode;

import java.util.Arrays;
import java.util.Objects;

/**
 * Which cached tokens a decode step reads, per (batch, kv head): every token, the last {@code w} (a sliding
 * window), the first {@code s} plus the last {@code w} (attention sinks and a window, as StreamingLLM keeps), or
 * explicit token lists (what a KV-cache policy such as H2O keeps). Queries still see only tokens at or before
 * their own position. Unselected tokens are never read into a result: their keys are not scored into it and
 * their values, whatever they hold (NaN included), weigh nothing.
 *
 * <p>Cost follows the tokens selected: the kernels read whole tiles of {@link KvCache#TILE} tokens, so a window
 * reads at most two tiles it does not need, and scattered lists read each tile that holds a selected token once.
 */
public final class CacheSelection {
    private enum Kind { ALL, WINDOW, SINKS_AND_WINDOW, TOKENS }

    private static final CacheSelection ALL = new CacheSelection(Kind.ALL, 0, 0, null);

    private final Kind kind;
    private final int sinks, window;
    private final int[][] tokens;  // per slot b * Hkv + h, strictly increasing

    private CacheSelection(Kind kind, int sinks, int window, int[][] tokens) {
        this.kind = kind;
        this.sinks = sinks;
        this.window = window;
        this.tokens = tokens;
    }

    /** Every cached token. */
    public static CacheSelection all() {
        return ALL;
    }

    /** The last {@code window} tokens of each sequence (all of them while it is shorter). */
    public static CacheSelection window(int window) {
        if (window < 1) throw new IllegalArgumentException("window: expected at least 1 token, got " + window);
        return new CacheSelection(Kind.WINDOW, 0, window, null);
    }

    /** The first {@code sinks} tokens and the last {@code window} of each sequence. */
    public static CacheSelection sinksAndWindow(int sinks, int window) {
        if (sinks < 0) throw new IllegalArgumentException("sinks: expected at least 0 tokens, got " + sinks);
        if (window < 1) throw new IllegalArgumentException("window: expected at least 1 token, got " + window);
        return new CacheSelection(Kind.SINKS_AND_WINDOW, sinks, window, null);
    }

    /**
     * Explicit token positions, one strictly increasing list per (batch, kv head) slot {@code b * Hkv + h}. The lists
     * are copied; their length and range are checked against the cache when a step uses them.
     */
    public static CacheSelection tokens(int[][] perSlot) {
        Objects.requireNonNull(perSlot, "perSlot");
        int[][] copy = new int[perSlot.length][];
        for (int slot = 0; slot < perSlot.length; slot++) {
            if (perSlot[slot] == null) throw new IllegalArgumentException("perSlot[" + slot + "]: expected a list of token positions, got null");
            copy[slot] = perSlot[slot].clone();
            for (int i = 0; i < copy[slot].length; i++) {
                if (copy[slot][i] < 0) {
                    throw new IllegalArgumentException("perSlot[" + slot + "][" + i + "]: expected a token position >= 0, got " + copy[slot][i]);
                }
                if (i > 0 && copy[slot][i] <= copy[slot][i - 1]) {
                    throw new IllegalArgumentException("perSlot[" + slot + "]: expected strictly increasing positions, got "
                            + copy[slot][i - 1] + " then " + copy[slot][i] + " at " + (i - 1) + ", " + i);
                }
            }
        }
        return new CacheSelection(Kind.TOKENS, 0, 0, copy);
    }

    boolean isAll() {
        return kind == Kind.ALL;
    }

    /** Checks the selection fits a cache of {@code slots} (batch x kv heads) slots; explicit lists against each length. */
    void validate(KvCache cache) {
        if (kind != Kind.TOKENS) return;
        int slots = cache.batch() * cache.kvHeads();
        if (tokens.length != slots) {
            throw new IllegalArgumentException("selection: expected one token list per (batch, kv head), " + slots + " = "
                    + cache.batch() + " x " + cache.kvHeads() + ", got " + tokens.length);
        }
        for (int slot = 0; slot < slots; slot++) {
            int[] t = tokens[slot];
            int n = cache.length(slot / cache.kvHeads());
            if (t.length == 0) {
                throw new IllegalArgumentException("selection: the token list of slot " + slot + " is empty; every step must read at least one token");
            }
            if (t[t.length - 1] >= n) {
                throw new IllegalArgumentException("selection: slot " + slot + " selects token " + t[t.length - 1]
                        + ", but its sequence holds " + n + " tokens (positions 0.." + (n - 1) + ")");
            }
        }
    }

    /**
     * The tiles of slot {@code slot} (a sequence of {@code length} tokens) that hold a selected token, ascending,
     * and for each a bit mask of its selected lanes (bit j: token {@code tile * TILE + j}). Returns the tile count.
     */
    int tiles(int slot, int length, int[] tilesOut, int[] masksOut) {
        int tile = KvCache.TILE, full = (1 << tile) - 1;
        int count = 0;
        switch (kind) {
            case ALL -> count = range(0, length, tilesOut, masksOut, 0);
            case WINDOW -> count = range(Math.max(0, length - window), length, tilesOut, masksOut, 0);
            case SINKS_AND_WINDOW -> {
                int w0 = Math.max(0, length - window), s1 = Math.min(sinks, w0);
                count = range(0, s1, tilesOut, masksOut, 0);
                count = range(w0, length, tilesOut, masksOut, count);
            }
            case TOKENS -> {
                for (int pos : tokens[slot]) {
                    int tl = pos / tile;
                    if (count == 0 || tilesOut[count - 1] != tl) {
                        tilesOut[count] = tl;
                        masksOut[count++] = 0;
                    }
                    masksOut[count - 1] |= 1 << (pos % tile);
                }
            }
        }
        for (int i = 0; i < count; i++) masksOut[i] &= full;
        return count;
    }

    /** Tokens {@code [from, to)} appended to the tile lists from index {@code count} (merging a shared tile). */
    private static int range(int from, int to, int[] tilesOut, int[] masksOut, int count) {
        int tile = KvCache.TILE;
        for (int pos = from; pos < to; ) {
            int tl = pos / tile, end = Math.min(to, (tl + 1) * tile);
            int bits = (int) (((1L << (end - tl * tile)) - 1) & ~((1L << (pos - tl * tile)) - 1));
            if (count > 0 && tilesOut[count - 1] == tl) {
                masksOut[count - 1] |= bits;
            } else {
                tilesOut[count] = tl;
                masksOut[count++] = bits;
            }
            pos = end;
        }
        return count;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case ALL -> "all";
            case WINDOW -> "window(" + window + ")";
            case SINKS_AND_WINDOW -> "sinksAndWindow(" + sinks + ", " + window + ")";
            case TOKENS -> "tokens(" + Arrays.stream(tokens).mapToInt(t -> t.length).sum() + " over " + tokens.length + " slots)";
        };
    }
}
