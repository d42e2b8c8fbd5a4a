package dev.attend.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attend.attention.mask.Mask;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Plans without Spark: which pairs are scheduled, their exact areas, the balance of zig-zag, the automatic choice. */
class ShardPlanTest {
    static final String[] MASKS = {"full", "causal", "sliding:9", "document:20,30,46", "prefix-lm:17", "sinks:4,8",
        "block-sparse-random:8,8,0.3,5", "document-causal:40,56"};

    /** Brute force: (query shard, key shard) pairs with at least one visible element, by the mask's own oracle. */
    private static Set<List<Integer>> visiblePairs(ShardPlan p, Mask m) {
        Set<List<Integer>> out = new HashSet<>();
        List<List<ShardPlan.Range>> ks = ShardPlan.cut(p.kind(), p.shards(), p.lk());
        for (ShardPlan.Part part : p.parts()) {
            for (int j = 0; j < ks.size(); j++) {
                boolean any = false;
                for (ShardPlan.Range q : part.rows()) for (ShardPlan.Range k : ks.get(j))
                    for (int a = q.start(); a < q.end() && !any; a++) for (int b = k.start(); b < k.end() && !any; b++)
                        any = m.visible(0, 0, a, b, p.lq(), p.lk());
                if (any) out.add(List.of(part.index(), j));
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7})
    void scheduledPairsAreExactlyTheVisibleOnes(int shards) {
        for (String spec : MASKS) {
            Mask m = Mask.parse(spec);
            for (ShardPlan.Kind kind : new ShardPlan.Kind[] {ShardPlan.Kind.RING, ShardPlan.Kind.ZIGZAG}) {
                ShardPlan p = ShardPlan.choose(kind, shards, 1, 2, 2, 96, 96, 8, m);
                Set<List<Integer>> scheduled = new HashSet<>();
                for (ShardPlan.Task t : p.tasks()) {
                    assertTrue(t.area() > 0, spec + ": a task with no visible pair was scheduled");
                    scheduled.add(List.of(t.part(), t.keyShard()));
                }
                assertEquals(visiblePairs(p, m), scheduled, spec + " " + kind + " x" + shards);
                assertEquals(shards * shards, p.tasks().size() + p.hiddenPairs(), spec + ": every pair scheduled or hidden");
                assertEquals(m.area(1, 2, 96, 96), p.area(), spec + ": the tasks' areas add up to the mask's");
            }
        }
    }

    @Test
    void causalMaskHidesTheUpperPairsOfRing() {
        ShardPlan p = ShardPlan.choose(ShardPlan.Kind.RING, 4, 1, 8, 8, 4096, 4096, 128, Mask.parse("causal"));
        assertEquals(10, p.tasks().size(), "4 diagonal + 6 below");
        assertEquals(6, p.hiddenPairs());
        assertEquals(1.25, p.imbalance(), 1e-3, "tasks: a diagonal pair has half the area of one below it");
        assertEquals(1.75, p.partImbalance(), 1e-3, "parts: the last query shard sees 3.5 shards of keys, the mean 2");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 7, 8, 16})
    void zigzagBalancesCausalWork(int shards) {
        ShardPlan p = ShardPlan.choose(ShardPlan.Kind.ZIGZAG, shards, 1, 8, 8, 65536, 65536, 128, Mask.parse("causal"));
        assertEquals(shards * shards, p.tasks().size(), "zig-zag leaves no causal pair hidden");
        assertTrue(p.imbalance() <= 1.05, "max/mean task area " + p.imbalance());
        assertTrue(p.partImbalance() <= 1.05, "max/mean part area " + p.partImbalance());
        ShardPlan ring = ShardPlan.choose(ShardPlan.Kind.RING, shards, 1, 8, 8, 65536, 65536, 128, Mask.parse("causal"));
        assertTrue(ring.imbalance() > p.imbalance(), "ring " + ring.imbalance() + " vs zig-zag " + p.imbalance());
    }

    @Test
    void automaticChoice() {
        Mask causal = Mask.parse("causal");
        assertEquals(ShardPlan.Kind.HEADS, ShardPlan.choose(null, 4, 1, 32, 8, 4096, 4096, 128, causal).kind());
        assertEquals(ShardPlan.Kind.ZIGZAG, ShardPlan.choose(null, 3, 1, 32, 8, 4096, 4096, 128, causal).kind(), "8 heads do not divide by 3");
        assertEquals(ShardPlan.Kind.ZIGZAG, ShardPlan.choose(null, 4, 1, 8, 8, 1 << 20, 1 << 20, 128, causal).kind(), "a head group is too big");
        assertEquals(ShardPlan.Kind.RING, ShardPlan.choose(null, 3, 1, 8, 8, 4096, 4096, 128, Mask.parse("full")).kind());
        assertEquals(ShardPlan.Kind.RING, ShardPlan.choose(null, 3, 1, 8, 8, 1000, 3000, 128, causal).kind(), "cross attention");
        String why = ShardPlan.choose(null, 3, 1, 8, 8, 4096, 4096, 128, causal).explain();
        assertTrue(why.contains("zigzag") && why.contains("do not divide"), why);
    }

    @Test
    void headPlanCutsTheKeyValueHeads() {
        ShardPlan p = ShardPlan.choose(ShardPlan.Kind.HEADS, 3, 1, 16, 8, 500, 700, 64, Mask.parse("causal"));
        assertEquals(3, p.tasks().size());
        assertEquals(List.of(0, 2, 5), p.parts().stream().map(ShardPlan.Part::kvHead0).toList());
        assertEquals(Mask.parse("causal").area(1, 16, 500, 700), p.area());
        // each task reads the whole sequence of its heads once: together, every input byte once
        long read = p.tasks().stream().mapToLong(p::inputBytes).sum();
        assertEquals(4L * 64 * (16 * 500 + 2 * 8 * 700), read);
    }

    @Test
    void badRequestsAreRefusedByName() {
        Mask causal = Mask.parse("causal");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShardPlan.choose(ShardPlan.Kind.HEADS, 9, 1, 8, 8, 64, 64, 8, causal));
        assertTrue(e.getMessage().contains("at most 8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ShardPlan.choose(ShardPlan.Kind.ZIGZAG, 2, 1, 8, 8, 64, 32, 8, causal));
        assertTrue(e.getMessage().contains("lq == lk"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ShardPlan.choose(null, 0, 1, 8, 8, 64, 64, 8, causal));
        assertTrue(e.getMessage().startsWith("shards"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ShardPlan.choose(null, 2, 1, 8, 3, 64, 64, 8, causal));
        assertTrue(e.getMessage().startsWith("hq"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShardPlan.choose(null, 2, 1, 8, 8, 64, 64, 8, Mask.parse("document:10,10")));
    }
}
