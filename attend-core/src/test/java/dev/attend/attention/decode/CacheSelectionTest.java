package dev.attend.attention.decode;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.DType;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Decoding over a subset of the cache, and over sequences of different lengths. */
class CacheSelectionTest {
    private static final int D = 64;

    private static KvCache cache(DType f, Tensor k, Tensor v) {
        KvCache c = new KvCache(f, (int) k.dim(0), (int) k.dim(1), (int) k.dim(3), 4);
        c.append(k, v);
        return c;
    }

    /** Rows {@code idx} of slot (b, h) of a {@code [B, H, n, D]} tensor, as {@code [1, 1, idx.length, D]}. */
    private static Tensor gather(Tensor t, int b, int h, List<Integer> idx) {
        Tensor out = Tensor.zeros(1, 1, idx.size(), t.dim(3));
        float[] row = new float[(int) t.dim(3)];
        for (int i = 0; i < idx.size(); i++) {
            t.readRow(((long) b * t.dim(1) + h) * t.dim(2) + idx.get(i), row, 0);
            out.writeRow(i, row, 0);
        }
        return out;
    }

    /**
     * The fp64 reference, one query row at a time: row (b, h, i) of q attends to the selected tokens at or before
     * its position {@code n - Lq + i}, over what the cache stores.
     */
    private static void assertMatchesGathered(KvCache cache, Tensor q, List<List<Integer>> selectedPerSlot, AttentionResult got, double tol) {
        int hq = (int) q.dim(1), lq = (int) q.dim(2), hkv = cache.kvHeads(), group = hq / hkv;
        for (int b = 0; b < cache.batch(); b++) {
            Tensor ks = cache.dequantized(true, b), vs = cache.dequantized(false, b);
            int n = cache.length(b);
            for (int h = 0; h < hq; h++) {
                List<Integer> sel = selectedPerSlot.get(b * hkv + h / group);
                for (int i = 0; i < lq; i++) {
                    int pos = n - lq + i;
                    List<Integer> seen = sel.stream().filter(t -> t <= pos).toList();
                    float[] out = new float[D];
                    for (int x = 0; x < D; x++) out[x] = got.out().get(b, h, i, x);
                    if (seen.isEmpty()) {
                        assertEquals(Float.NEGATIVE_INFINITY, got.lse().get(b, h, i), "a row before every selected token");
                        for (float o : out) assertEquals(0f, o);
                        continue;
                    }
                    Tensor qi = q.slice(0, b, b + 1).slice(1, h, h + 1).slice(2, i, i + 1).contiguous();
                    AttentionResult want = Attention.reference().forward(AttentionProblem.of(qi, gather(ks, 0, h / group, seen),
                            gather(vs, 0, h / group, seen), Masks.full()));
                    for (int x = 0; x < D; x++) assertEquals(want.out().get(0, 0, 0, x), out[x], tol, "b=" + b + " h=" + h + " i=" + i + " x=" + x);
                    assertEquals(want.lse().get(0, 0, 0), got.lse().get(b, h, i), tol * 10, "lse b=" + b + " h=" + h + " i=" + i);
                }
            }
        }
    }

    private static List<List<Integer>> expand(CacheSelection sel, KvCache cache) {
        List<List<Integer>> out = new ArrayList<>();
        int[] tiles = new int[1 << 12], lanes = new int[1 << 12];
        for (int slot = 0; slot < cache.batch() * cache.kvHeads(); slot++) {
            int count = sel.tiles(slot, cache.length(slot / cache.kvHeads()), tiles, lanes);
            List<Integer> l = new ArrayList<>();
            for (int t = 0; t < count; t++) for (int j = 0; j < KvCache.TILE; j++) if ((lanes[t] >>> j & 1) != 0) l.add(tiles[t] * KvCache.TILE + j);
            out.add(l);
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0"})
    void windowsAndSinksEqualAttentionOverTheKeysTheyKeep(DType f) {
        int n = 3000;
        Tensor q = Tensor.randn(1, 2, 8, 3, D), k = Tensor.randn(2, 2, 2, n, D), v = Tensor.randn(3, 2, 2, n, D);
        KvCache c = cache(f, k, v);
        for (CacheSelection sel : List.of(CacheSelection.window(1), CacheSelection.window(77), CacheSelection.window(2500),
                CacheSelection.window(5000), CacheSelection.sinksAndWindow(4, 1000), CacheSelection.sinksAndWindow(0, 9),
                CacheSelection.sinksAndWindow(2990, 20))) {
            List<List<Integer>> kept = expand(sel, c);
            // The expansion itself: sinks first, then the window, nothing twice.
            List<Integer> slot0 = kept.get(0);
            for (int i = 1; i < slot0.size(); i++) assertTrue(slot0.get(i) > slot0.get(i - 1), sel + " is ascending");
            assertEquals(n - 1, slot0.get(slot0.size() - 1), sel + " keeps the newest token");
            assertMatchesGathered(c, q, kept, Attention.decode(f).attend(q, c, sel), 2e-5);
        }
        assertEquals(List.of(0, 1, 2, 3, 2000), expand(CacheSelection.sinksAndWindow(4, 1000), c).get(0).subList(0, 5),
                "sinks 0..3, then the window from n - 1000");
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0"})
    void explicitTokenListsEqualAttentionOverTheGatheredKeys(DType f) {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int trial = 0; trial < 6; trial++) {
            int n = 1 + rnd.nextInt(5000), lq = 1 + rnd.nextInt(Math.min(n, 4)), hkv = 1 + rnd.nextInt(2);
            Tensor q = Tensor.randn(trial, 2, 2 * hkv, lq, D), k = Tensor.randn(trial + 10, 2, hkv, n, D), v = Tensor.randn(trial + 20, 2, hkv, n, D);
            KvCache c = cache(f, k, v);
            int[][] lists = new int[2 * hkv][];
            for (int slot = 0; slot < lists.length; slot++) {
                double keep = rnd.nextDouble();
                lists[slot] = java.util.stream.IntStream.range(0, n).filter(t -> rnd.nextDouble() < keep).toArray();
                if (lists[slot].length == 0) lists[slot] = new int[] {rnd.nextInt(n)};
            }
            CacheSelection sel = CacheSelection.tokens(lists);
            List<List<Integer>> kept = expand(sel, c);
            for (int slot = 0; slot < lists.length; slot++) {
                assertEquals(java.util.Arrays.stream(lists[slot]).boxed().toList(), kept.get(slot), "slot " + slot + " keeps its list");
            }
            assertMatchesGathered(c, q, kept, Attention.decode(f).attend(q, c, sel), 2e-5);
        }
    }

    @Test
    void theWorkFollowsTheTokensRead() {
        int n = 1 << 16;
        Tensor q = Tensor.randn(1, 1, 4, 1, D), k = Tensor.randn(2, 1, 1, n, D);
        KvCache c = cache(DType.F32, k, k);
        AttentionResult all = Attention.decode(DType.F32).attend(q, c), window = Attention.decode(DType.F32).attend(q, c, CacheSelection.window(1000));
        assertEquals(c.bytesRead(), all.stats().kvBytes());
        long tileBytes = 2L * KvCache.TILE * D * Float.BYTES;
        // 1000 tokens, read in whole tiles: at most one tile more than they fill.
        assertTrue(window.stats().kvBytes() <= 2L * 1000 * D * Float.BYTES + tileBytes, "window reads " + window.stats().kvBytes());
        int[][] scattered = {java.util.stream.IntStream.range(0, 100).map(i -> i * 600).toArray()};
        AttentionResult sparse = Attention.decode(DType.F32).attend(q, c, CacheSelection.tokens(scattered));
        assertEquals(100 * tileBytes, sparse.stats().kvBytes(), "one tile per scattered token");
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void anUnselectedTokenNeverInfluencesTheResultWhateverItsValue(DType f) {
        int n = 200;
        Tensor q = Tensor.randn(1, 1, 2, 2, D), k = Tensor.randn(2, 1, 1, n, D), v = Tensor.randn(3, 1, 1, n, D);
        KvCache clean = cache(f, k, v);
        for (int bad : new int[] {5, 100, 197, 199}) {
            Tensor vb = v.copy();
            vb.set(Float.NaN, 0, 0, bad, 3);
            Tensor kb = k.copy();
            kb.set(Float.POSITIVE_INFINITY, 0, 0, bad, 0);
            KvCache dirty = cache(f, kb, vb);
            int[] keep = java.util.stream.IntStream.range(0, n).filter(t -> t != bad).toArray();
            CacheSelection sel = CacheSelection.tokens(new int[][] {keep});
            AttentionResult want = Attention.decode(f).attend(q, clean, sel), got = Attention.decode(f).attend(q, dirty, sel);
            // Equal up to rounding: with a non-finite value among the tiles read, the values are summed by the scalar path.
            assertArrayEquals(want.out().toArray(), got.out().toArray(), 1e-6f, "token " + bad + " is not selected");
            assertArrayEquals(want.lse().toArray(), got.lse().toArray(), 1e-6f);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0"})
    void sequencesOfDifferentLengthsEqualSeparateCalls(DType f) {
        int[] lengths = {1, 700, 2049, 64};
        int hkv = 2, hq = 4, lq = 1;
        KvCache together = new KvCache(f, lengths.length, hkv, D, 1);
        List<KvCache> apart = new ArrayList<>();
        for (int b = 0; b < lengths.length; b++) {
            KvCache one = new KvCache(f, 1, hkv, D, 1);
            // Appended in pieces, in an order that interleaves the sequences, as continuous batching does.
            for (int at = 0; at < lengths[b]; ) {
                int t = Math.min(lengths[b] - at, 1 + at % 300);
                Tensor k = Tensor.randn(100 * b + at, 1, hkv, t, D), v = Tensor.randn(100 * b + at + 1, 1, hkv, t, D);
                together.append(b, k, v);
                one.append(k, v);
                at += t;
            }
            apart.add(one);
        }
        for (int b = 0; b < lengths.length; b++) assertEquals(lengths[b], together.length(b));
        assertEquals(2049, together.length());
        Tensor q = Tensor.randn(9, lengths.length, hq, lq, D);
        for (CacheSelection sel : List.of(CacheSelection.all(), CacheSelection.window(100), CacheSelection.sinksAndWindow(2, 30))) {
            AttentionResult got = Attention.decode(f).attend(q, together, sel);
            for (int b = 0; b < lengths.length; b++) {
                AttentionResult want = Attention.decode(f).attend(q.slice(0, b, b + 1).contiguous(), apart.get(b), sel);
                assertArrayEquals(want.out().toArray(), got.out().slice(0, b, b + 1).contiguous().toArray(), sel + ": sequence " + b);
                assertArrayEquals(want.lse().toArray(), got.lse().slice(0, b, b + 1).contiguous().toArray(), sel + ": sequence " + b);
            }
            long bytes = 0;
            for (KvCache one : apart) bytes += one.bytesRead();
            assertEquals(bytes, together.bytesRead(), "no padding is counted");
        }
        var e = assertThrows(IllegalStateException.class, () -> together.dequantized(true));
        assertTrue(e.getMessage().contains("dequantized(ofKeys, b)"), e.getMessage());
        var tooMany = assertThrows(IllegalArgumentException.class, () -> Attention.decode(f).attend(Tensor.randn(1, 4, hq, 2, D), together));
        assertTrue(tooMany.getMessage().contains("expected 1 to 1 queries (the length of sequence 0)"), tooMany.getMessage());
    }

    @Test
    void badSelectionsAreRefusedNamingWhatIsWrong() {
        KvCache c = cache(DType.F32, Tensor.randn(1, 1, 2, 50, D), Tensor.randn(2, 1, 2, 50, D));
        Tensor q = Tensor.randn(3, 1, 2, 1, D);
        assertMessage("window: expected at least 1 token, got 0", () -> CacheSelection.window(0));
        assertMessage("sinks: expected at least 0 tokens, got -1", () -> CacheSelection.sinksAndWindow(-1, 5));
        assertMessage("window: expected at least 1 token, got 0", () -> CacheSelection.sinksAndWindow(3, 0));
        assertMessage("perSlot[0]: expected strictly increasing positions, got 4 then 4", () -> CacheSelection.tokens(new int[][] {{1, 4, 4}, {0}}));
        assertMessage("perSlot[1][0]: expected a token position >= 0, got -2", () -> CacheSelection.tokens(new int[][] {{1}, {-2}}));
        assertMessage("perSlot[1]: expected a list of token positions, got null", () -> CacheSelection.tokens(new int[][] {{1}, null}));
        assertMessage("selection: expected one token list per (batch, kv head), 2 = 1 x 2, got 1",
                () -> Attention.decode(DType.F32).attend(q, c, CacheSelection.tokens(new int[][] {{1}})));
        assertMessage("selection: slot 1 selects token 50, but its sequence holds 50 tokens",
                () -> Attention.decode(DType.F32).attend(q, c, CacheSelection.tokens(new int[][] {{1}, {3, 50}})));
        assertMessage("selection: the token list of slot 0 is empty",
                () -> Attention.decode(DType.F32).attend(q, c, CacheSelection.tokens(new int[][] {{}, {3}})));
        assertMessage("keys: expected a CacheSelection", () -> Attention.decode(DType.F32).attend(q, c, (CacheSelection) null));
        assertMessage("b: expected 0 <= b < 1, got 1", () -> c.append(1, Tensor.zeros(1, 2, 1, D), Tensor.zeros(1, 2, 1, D)));
        assertMessage("k: expected shape [1, 2, T, 64]", () -> c.append(0, Tensor.zeros(2, 2, 1, D), Tensor.zeros(2, 2, 1, D)));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        var e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
