package dev.attend.attention;

import dev.attend.attention.mask.BlockMask;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static dev.attend.attention.MechanismApiTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Flash over data-chosen blocks ({@link BlockMask#fromKvBlocks}) and over gathered rows ({@link IndexMap}). */
class FlashBlocksTest {

    /** Explicit lists that describe a mask exactly: FULL where every pair is visible, PARTIAL where some are. */
    static BlockMask listsOf(Mask m, int batch, int heads, int lq, int lk, int bq, int bk) {
        int qBlocks = (lq + bq - 1) / bq, kBlocks = (lk + bk - 1) / bk;
        int[][] full = new int[batch * heads * qBlocks][], partial = new int[batch * heads * qBlocks][];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int qb = 0; qb < qBlocks; qb++) {
                    java.util.List<Integer> f = new java.util.ArrayList<>(), p = new java.util.ArrayList<>();
                    for (int kb = 0; kb < kBlocks; kb++) {
                        long seen = 0, all = 0;
                        for (int i = qb * bq; i < Math.min(lq, (qb + 1) * bq); i++) {
                            for (int j = kb * bk; j < Math.min(lk, (kb + 1) * bk); j++) {
                                all++;
                                if (m.visible(b, h, i, j, lq, lk)) seen++;
                            }
                        }
                        if (seen == all) f.add(kb);
                        else if (seen > 0) p.add(kb);
                    }
                    int r = (b * heads + h) * qBlocks + qb;
                    full[r] = f.stream().mapToInt(Integer::intValue).toArray();
                    partial[r] = p.stream().mapToInt(Integer::intValue).toArray();
                }
            }
        }
        return BlockMask.fromKvBlocks(batch, heads, lq, lk, bq, bk, full, partial);
    }

    @ParameterizedTest
    @CsvSource({"130, 130, 32, 32, causal", "200, 200, 256, 128, causal", "77, 150, 17, 200, causal-br", "300, 300, 64, 40, sliding:50",
            "100, 100, 100, 100, 'document-causal:30,70'"})
    void explicitBlocksGiveTheMasksAnswerAtAnyBlockSize(int lq, int lk, int bq, int bk, String spec) {
        Mask m = Mask.parse(spec);
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 2, 4, lq, 64), Tensor.randn(2, 2, 2, lk, 64), Tensor.randn(3, 2, 2, lk, 64), m);
        BlockMask blocks = listsOf(m, 2, 4, lq, lk, bq, bk);
        AttentionResult want = Attention.reference().forward(p), got = Attention.flash().forward(p, blocks);
        assertEquals(0, Cases.maxAbsDiff(want.out(), got.out()), 2e-5 * Cases.maxAbs(p.v()));
        assertEquals(0, Cases.maxAbsDiff(want.lse(), got.lse()), 1e-4);
        assertEquals(blocks.visitedTiles(), got.stats().blocks());
        assertEquals(blocks.visitedScores(), got.stats().scores());
        Tensor dOut = Tensor.randn(4, p.q().shape());
        Gradients gw = Attention.reference().backward(p, want, dOut), gg = Attention.flash().backward(p, got, dOut, blocks);
        assertEquals(0, Cases.maxAbsDiff(gw.dq(), gg.dq()), 1e-4 * Math.max(1, Cases.maxAbs(gw.dq())));
        assertEquals(0, Cases.maxAbsDiff(gw.dk(), gg.dk()), 1e-4 * Math.max(1, Cases.maxAbs(gw.dk())));
        assertEquals(0, Cases.maxAbsDiff(gw.dv(), gg.dv()), 1e-4 * Math.max(1, Cases.maxAbs(gw.dv())));
    }

    @Test
    void blocksLeftOutAreNeverSeen() {
        // Only key block 0 listed: every query attends to keys 0..31 alone, whatever the mask allows beyond.
        int l = 96, bq = 32, bk = 32;
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 1, 1, l, 16), Tensor.randn(2, 1, 1, l, 16), Tensor.randn(3, 1, 1, l, 16),
                Masks.full());
        int[][] full = {{0}, {0}, {0}};
        AttentionResult got = Attention.flash().forward(p, BlockMask.fromKvBlocks(1, 1, l, l, bq, bk, full, null));
        AttentionProblem first = AttentionProblem.of(p.q(), p.k().slice(2, 0, 32), p.v().slice(2, 0, 32), Masks.full());
        assertEquals(0, Cases.maxAbsDiff(Attention.reference().forward(first).out(), got.out()), 2e-5 * Cases.maxAbs(p.v()));
        // A query block with nothing listed is fully masked: output 0, LSE -inf.
        AttentionResult none = Attention.flash().forward(p, BlockMask.fromKvBlocks(1, 1, l, l, bq, bk, new int[][] {{0}, null, {0}}, null));
        for (int i = 32; i < 64; i++) assertEquals(Float.NEGATIVE_INFINITY, none.lse().get(0, 0, i));
    }

    @Test
    void gatheredRowsAreReadInPlaceAndMaskedAtTheirOriginalPositions() {
        int b = 2, hq = 4, hkv = 2, l = 150, d = 32;
        Random r = new Random(3);
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, b, hq, l, d), Tensor.randn(2, b, hkv, l, d), Tensor.randn(3, b, hkv, l, d),
                Masks.causal());
        int[][] qs = new int[b * hq][], ks = new int[b * hkv][];
        for (int i = 0; i < qs.length; i++) qs[i] = permutation(l, r);
        for (int i = 0; i < ks.length; i++) ks[i] = permutation(l, r);
        // Every gathered tile partial: the kernel must ask the causal mask at the original positions.
        int blocks = (l + 47) / 48;
        int[][] partial = new int[b * hq * blocks][];
        for (int i = 0; i < partial.length; i++) partial[i] = java.util.stream.IntStream.range(0, (l + 63) / 64).toArray();
        BlockMask all = BlockMask.fromKvBlocks(b, hq, l, l, 48, 64, null, partial);
        AttentionResult got = Attention.flash().forward(p, all, new IndexMap(qs, ks));
        AttentionResult want = Attention.reference().forward(p);
        // Output row i of (b, h) is the reference's row qs[b * hq + h][i].
        for (int bb = 0; bb < b; bb++) {
            for (int h = 0; h < hq; h++) {
                for (int i = 0; i < l; i++) {
                    int orig = qs[bb * hq + h][i];
                    assertEquals(want.lse().get(bb, h, orig), got.lse().get(bb, h, i), 1e-4, "lse of gathered row " + i);
                    for (int x = 0; x < d; x++) assertEquals(want.out().get(bb, h, orig, x), got.out().get(bb, h, i, x), 2e-5 * 5);
                }
            }
        }
    }

    @Test
    void aGatheredSubsetIsASmallerProblem() {
        // Keys 10..19 of each head gathered twice over (a token may sit in two clusters): softmax over 20 entries.
        int l = 40, d = 16;
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 1, 1, l, d), Tensor.randn(2, 1, 1, l, d), Tensor.randn(3, 1, 1, l, d),
                Masks.full());
        int[] keys = new int[20];
        for (int i = 0; i < 20; i++) keys[i] = 10 + i % 10;
        int[] queries = {5, 7};
        AttentionResult got = Attention.flash().forward(p, BlockMask.fromKvBlocks(1, 1, 2, 20, 16, 16, new int[][] {{0, 1}}, null),
                new IndexMap(new int[][] {queries}, new int[][] {keys}));
        assertArrayEquals(new long[] {1, 1, 2, d}, got.out().shape());
        AttentionProblem sub = AttentionProblem.of(p.q().slice(2, 5, 8), p.k().slice(2, 10, 20), p.v().slice(2, 10, 20), Masks.full());
        AttentionResult want = Attention.reference().forward(sub);
        for (int x = 0; x < d; x++) {
            assertEquals(want.out().get(0, 0, 0, x), got.out().get(0, 0, 0, x), 1e-5);
            assertEquals(want.out().get(0, 0, 2, x), got.out().get(0, 0, 1, x), 1e-5);
        }
        assertEquals(want.lse().get(0, 0, 0) + Math.log(2), got.lse().get(0, 0, 0), 1e-5, "each key counted twice");
    }

    @Test
    void malformedListsAndMapsAreRefused() {
        assertMessage(() -> BlockMask.fromKvBlocks(1, 1, 64, 64, 32, 32, new int[][] {{0, 2}, {0}}, null),
                "fromKvBlocks: full[0] (b=0, h=0, qBlock=0): key block must be in [0, 2), got 2");
        assertMessage(() -> BlockMask.fromKvBlocks(1, 1, 64, 64, 32, 32, new int[][] {{0}, {1}}, new int[][] {{0}, {}}),
                "fromKvBlocks: row 0 (b=0, h=0, qBlock=0) lists key block 0 twice");
        assertMessage(() -> BlockMask.fromKvBlocks(1, 1, 64, 64, 32, 32, new int[][] {{0}}, null),
                "fromKvBlocks: full must have batch * heads * qBlocks = 2 rows, got 1");
        BlockMask explicit = BlockMask.fromKvBlocks(1, 1, 64, 64, 32, 32, new int[][] {{1, 0}, {1}}, null);
        assertEquals(0, explicit.kBlock(0, 0, 0, 0), "lists are sorted");
        assertThrows(IllegalStateException.class, explicit::area);
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 1, 1, 64, 16), Tensor.randn(2, 1, 1, 64, 16), Tensor.randn(3, 1, 1, 64, 16),
                Masks.full());
        assertMessage(() -> Attention.flash().forward(p, BlockMask.fromKvBlocks(1, 1, 64, 32, 32, 32, null, null)),
                "blocks: expected a block mask over [B=1, Hq=1, Lq=64, Lk=64], got [B=1, H=1, Lq=64, Lk=32]");
        assertMessage(() -> Attention.flash().forward(p, Masks.causal().compile(1, 1, 64, 64, 32, 32)),
                "blocks: a compiled block mask must come from the problem's mask 'full', got one compiled from 'causal'");
        assertMessage(() -> Attention.flash().forward(p, explicit, new IndexMap(new int[][] {{0, 64}}, null)),
                "index map queries[0][1]: expected an index in [0, 64), got 64");
        assertMessage(() -> Attention.flash().forward(p, explicit, new IndexMap(null, new int[][] {{1}, {2}})),
                "index map keys: expected 1 rows (one per batch x head), got 2");
    }

    @Test
    void stridedInputsAreReadInPlace() {
        // [B, L, H, D] storage (as a linear layer writes it) seen as [B, H, L, D]: no copy, same answer.
        Tensor q = Tensor.randn(1, 2, 70, 4, 32).permute(0, 2, 1, 3), k = Tensor.randn(2, 2, 70, 2, 32).permute(0, 2, 1, 3);
        Tensor v = Tensor.randn(3, 2, 70, 2, 32).permute(0, 2, 1, 3);
        AttentionProblem view = AttentionProblem.of(q, k, v, Masks.causal());
        AttentionProblem copy = AttentionProblem.of(q.contiguous(), k.contiguous(), v.contiguous(), Masks.causal());
        assertArrayEquals(Attention.flash().forward(copy).out().toArray(), Attention.flash().forward(view).out().toArray());
        Tensor dOut = Tensor.randn(4, 2, 70, 4, 32).permute(0, 2, 1, 3);
        Gradients a = Attention.flash().backward(copy, Attention.flash().forward(copy), dOut.contiguous());
        Gradients g = Attention.flash().backward(view, Attention.flash().forward(view), dOut);
        assertArrayEquals(a.dq().toArray(), g.dq().toArray());
        assertArrayEquals(a.dk().toArray(), g.dk().toArray());
        assertArrayEquals(a.dv().toArray(), g.dv().toArray());
    }

    @Test
    void paddingIsASliceMaskPerBatchEntry() {
        int l = 90;
        Mask m = Masks.padding(90, 37, 5).and(Masks.causal());
        assertEquals(true, m.isSliceForm());
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 3, 2, l, 32), Tensor.randn(2, 3, 2, l, 32), Tensor.randn(3, 3, 2, l, 32), m);
        AttentionResult want = Attention.reference().forward(p), got = Attention.flash().forward(p);
        assertEquals(0, Cases.maxAbsDiff(want.out(), got.out()), 2e-5 * Cases.maxAbs(p.v()));
        // area: causal rows clipped to each entry's keys, times 2 heads
        long expected = 0;
        for (int n : new int[] {90, 37, 5}) for (int q = 0; q < l; q++) expected += Math.min(q + 1, n);
        assertEquals(2 * expected, m.area(3, 2, l, l));
        assertMessage(() -> AttentionProblem.of(Tensor.randn(1, 2, 2, l, 32), Tensor.randn(2, 2, 2, l, 32), Tensor.randn(3, 2, 2, l, 32), m),
                "has 3 batch entries, expected batch == 3, got 2");
        assertMessage(() -> Masks.padding(100).validate(1, 1, l, l), "key length of batch entry 0 must be <= lk=90, got 100");
    }

    private static int[] permutation(int n, Random r) {
        int[] p = java.util.stream.IntStream.range(0, n).toArray();
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
