package dev.attend.attention.mask;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every library mask, many lengths and block sizes: the compiled BlockMask equals the closed-form oracle. */
class MaskLibraryTest {

    static final int[] LENGTHS = {1, 2, 3, 5, 8, 13, 31, 64, 65, 100, 129, 300};
    static final int[][] BLOCKS = {{1, 1}, {7, 7}, {16, 16}, {64, 64}, {7, 16}, {16, 7}, {64, 1}};

    /** Random positive lengths summing to total, at most 6 documents; deterministic per (total, salt). */
    static int[] split(int total, int salt) {
        SplittableRandom r = new SplittableRandom(total * 31L + salt);
        int n = Math.min(total, 1 + r.nextInt(6));
        List<Integer> cuts = new ArrayList<>();
        int left = total;
        for (int i = 0; i < n - 1; i++) {
            int len = 1 + r.nextInt(Math.max(1, left - (n - 1 - i)));
            len = Math.min(len, left - (n - 1 - i));
            cuts.add(len);
            left -= len;
        }
        cuts.add(left);
        return cuts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Self-attention masks as functions of the length (document masks need lengths that sum to it). */
    static Stream<Arguments> selfMasks() {
        List<Arguments> out = new ArrayList<>();
        addSelf(out, "full", L -> Masks.full());
        addSelf(out, "causal", L -> Masks.causal());
        addSelf(out, "causal-br", L -> Masks.causalBottomRight());
        addSelf(out, "sliding:1", L -> Masks.slidingWindow(1));
        addSelf(out, "sliding:5", L -> Masks.slidingWindow(5));
        addSelf(out, "sliding:40", L -> Masks.slidingWindow(40));
        addSelf(out, "sliding-bi:1", L -> Masks.slidingWindowBidirectional(1));
        addSelf(out, "sliding-bi:9", L -> Masks.slidingWindowBidirectional(9));
        addSelf(out, "global-sliding:0,3", L -> Masks.globalSliding(0, 3));
        addSelf(out, "global-sliding:3,4", L -> Masks.globalSliding(3, 4));
        addSelf(out, "global-sliding:20,17", L -> Masks.globalSliding(20, 17));
        addSelf(out, "document", L -> Masks.documents(split(L, 1)));
        addSelf(out, "document-causal", L -> Masks.documentsCausal(split(L, 2)));
        addSelf(out, "share-question", L -> Masks.shareQuestion(split(L, 3)));
        addSelf(out, "causal-blockwise", L -> Masks.causalBlockwise(split(L, 4)));
        addSelf(out, "prefix-lm:0", L -> Masks.prefixLm(0));
        addSelf(out, "prefix-lm:L/3", L -> Masks.prefixLm(L / 3));
        addSelf(out, "prefix-lm:L", L -> Masks.prefixLm(L));
        addSelf(out, "prefix-lm-document", L -> {
            int[] lens = split(L, 5);
            int[] p = new int[lens.length];
            for (int i = 0; i < lens.length; i++) {
                p[i] = (lens[i] * (i + 1)) % (lens[i] + 1);
            }
            return Masks.prefixLmDocuments(p, lens);
        });
        addSelf(out, "block-causal-document:4", L -> Masks.blockCausalDocument(4, split(L, 6)));
        addSelf(out, "block-causal-document:16", L -> Masks.blockCausalDocument(16, split(L, 7)));
        addSelf(out, "sinks:0,4", L -> Masks.sinksWindow(0, 4));
        addSelf(out, "sinks:4,8", L -> Masks.sinksWindow(4, 8));
        addSelf(out, "sinks:1,1", L -> Masks.sinksWindow(1, 1));
        addSelf(out, "block-sparse-random:8,8,0.3", L -> Masks.blockSparseRandom(8, 8, 0.3, 42));
        addSelf(out, "block-sparse-random:5,11,0.7", L -> Masks.blockSparseRandom(5, 11, 0.7, 7));
        addSelf(out, "sliding:5&document", L -> Masks.slidingWindow(5).and(Masks.documents(split(L, 8))));
        addSelf(out, "sinks|document-causal", L -> Masks.sinksWindow(2, 3).or(Masks.documentsCausal(split(L, 9))));
        return out.stream();
    }

    private static void addSelf(List<Arguments> out, String name, IntFunction<Mask> f) {
        out.add(Arguments.of(name, f));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("selfMasks")
    void selfMaskAgreesWithOracle(String name, IntFunction<Mask> factory) {
        for (int L : LENGTHS) {
            Mask m = factory.apply(L);
            assertTrue(m.isSliceForm(), name + " should be in slice form");
            for (int[] b : BLOCKS) {
                if ((long) L * L / ((long) b[0] * b[1]) > 20_000 && L > 100) {
                    continue;  // block 1x1 at the largest lengths only adds time, not coverage
                }
                MaskAssertions.checkCompiled(m, 1, 1, L, L, b[0], b[1]);
            }
        }
    }

    static Stream<Arguments> crossMasks() {
        return Stream.of(
                Arguments.of("full", Masks.full()),
                Arguments.of("causal", Masks.causal()),
                Arguments.of("causal-br", Masks.causalBottomRight()),
                Arguments.of("causal & causal-br", Masks.causal().and(Masks.causalBottomRight())),
                Arguments.of("causal | causal-br", Masks.causal().or(Masks.causalBottomRight())),
                Arguments.of("random block sparse", Masks.blockSparseRandom(6, 9, 0.4, 3)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("crossMasks")
    void crossAttentionAgreesWithOracle(String name, Mask m) {
        int[][] shapes = {{1, 7}, {7, 1}, {3, 10}, {10, 3}, {17, 64}, {64, 17}, {100, 37}, {37, 100}, {1, 300}, {300, 45}};
        for (int[] s : shapes) {
            for (int[] b : BLOCKS) {
                MaskAssertions.checkCompiled(m, 1, 1, s[0], s[1], b[0], b[1]);
            }
        }
    }

    @Test
    void explicitBlockSparse() {
        boolean[][] layout = {{true, false, true}, {false, false, false}, {true, true, false}};
        Mask m = Masks.blockSparse(4, 5, layout);
        layout[0][0] = false;  // the mask copied it
        for (int[] b : BLOCKS) {
            MaskAssertions.checkCompiled(m, 1, 1, 10, 12, b[0], b[1]);
        }
        assertTrue(m.visible(0, 0, 0, 0, 10, 12));
        assertEquals(4 * 5 + 4 * 2 + 2 * 10, m.area(1, 1, 10, 12));
        BlockMask aligned = m.compile(1, 1, 10, 12, 4, 5);
        assertEquals(aligned.visitedTiles(), aligned.fullTiles() + 0, "aligned tiles are all FULL except clipped ones");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.compile(1, 1, 20, 12, 4, 5));
        assertTrue(e.getMessage().contains("5x3") && e.getMessage().contains("3x3"), e.getMessage());
    }

    @Test
    void randomBlockSparseHasExactDensityAndIsDeterministic() {
        Mask m = Masks.blockSparseRandom(16, 16, 0.25, 99);
        BlockMask a = m.compile(1, 1, 256, 256, 16, 16);
        assertEquals(64, a.visitedTiles());
        assertEquals(64, a.fullTiles());
        Mask again = Masks.blockSparseRandom(16, 16, 0.25, 99);
        assertEquals(MaskAssertions.render(MaskAssertions.oracle(m, 0, 0, 256, 256)),
                MaskAssertions.render(MaskAssertions.oracle(again, 0, 0, 256, 256)));
        Mask other = Masks.blockSparseRandom(16, 16, 0.25, 100);
        assertTrue(!MaskAssertions.render(MaskAssertions.oracle(m, 0, 0, 256, 256))
                .equals(MaskAssertions.render(MaskAssertions.oracle(other, 0, 0, 256, 256))));
    }

    @Test
    void selfAttentionMasksRejectCrossLengths() {
        for (Mask m : List.of(Masks.slidingWindow(3), Masks.slidingWindowBidirectional(3), Masks.globalSliding(1, 2),
                Masks.prefixLm(2), Masks.sinksWindow(1, 2))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.compile(1, 1, 8, 9, 4, 4));
            assertTrue(e.getMessage().contains("lq=8") && e.getMessage().contains("lk=9"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.visible(0, 0, 0, 0, 8, 9));
        }
    }

    @Test
    void documentLengthsMustMatch() {
        for (Mask m : List.of(Masks.documents(3, 5), Masks.documentsCausal(3, 5), Masks.shareQuestion(3, 5),
                Masks.causalBlockwise(3, 5), Masks.blockCausalDocument(2, 3, 5),
                Masks.prefixLmDocuments(new int[] {1, 1}, new int[] {3, 5}))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.compile(1, 1, 9, 9, 4, 4));
            assertTrue(e.getMessage().contains("sum to 8") && e.getMessage().contains("lq=9"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.area(1, 1, 7, 7));
            assertThrows(IllegalArgumentException.class, () -> m.visible(0, 0, 0, 0, 9, 9));
        }
    }

    @Test
    void invalidArgumentsNameTheArgument() {
        assertMessage(() -> Masks.slidingWindow(0), "sliding window w", "0");
        assertMessage(() -> Masks.slidingWindowBidirectional(-2), "sliding window w", "-2");
        assertMessage(() -> Masks.globalSliding(-1, 2), "global tokens g", "-1");
        assertMessage(() -> Masks.sinksWindow(2, 0), "sliding window w", "0");
        assertMessage(() -> Masks.prefixLm(-3), "prefix length p", "-3");
        assertMessage(() -> Masks.documents(), "document lengths", "none");
        assertMessage(() -> Masks.documents((int[]) null), "document lengths", "null");
        assertMessage(() -> Masks.documents(3, 0), "the length of document 1 (counting from 0) must be positive", "0");
        assertMessage(() -> Masks.blockCausalDocument(0, 4), "block", "0");
        assertMessage(() -> Masks.prefixLmDocuments(new int[] {1}, new int[] {2, 2}), "expected 2 prefixes", "got 1");
        assertMessage(() -> Masks.prefixLmDocuments(new int[] {3, 1}, new int[] {2, 2}), "prefixes[0]", "got 3");
        assertMessage(() -> Masks.blockSparse(0, 4, new boolean[][] {{true}}), "blockQ", "0");
        assertMessage(() -> Masks.blockSparse(4, 4, new boolean[][] {{true}, {true, false}}), "rectangular", "row 1 has 2");
        assertMessage(() -> Masks.blockSparseRandom(4, 4, 1.5, 1), "density", "1.5");
        assertMessage(() -> Masks.causal().compile(1, 1, 8, 8, 0, 4), "blockQ", "0");
        assertMessage(() -> Masks.causal().compile(1, 1, 8, 8, 4, -1), "blockK", "-1");
        assertMessage(() -> Masks.causal().compile(0, 1, 8, 8, 4, 4), "batch", "0");
        assertMessage(() -> Masks.causal().compile(1, 0, 8, 8, 4, 4), "heads", "0");
        assertMessage(() -> Masks.causal().compile(1, 1, 0, 8, 4, 4), "lq", "0");
        assertMessage(() -> Masks.causal().visible(0, 0, 8, 0, 8, 8), "(qi, ki)", "(8, 0)");
        assertMessage(() -> Masks.prefixLm(9).compile(1, 1, 8, 8, 4, 4), "prefix length", "got 9");
    }

    static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' should contain '" + p + "'");
        }
    }
}
