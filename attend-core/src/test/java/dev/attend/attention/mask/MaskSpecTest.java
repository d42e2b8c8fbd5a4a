package dev.attend.attention.mask;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Every spec form parses to the mask its factory builds; bad specs fail with a one-line message. */
class MaskSpecTest {

    static void sameMask(Mask expected, Mask actual, int L) {
        assertEquals(MaskAssertions.render(MaskAssertions.oracle(expected, 0, 0, L, L)),
                MaskAssertions.render(MaskAssertions.oracle(actual, 0, 0, L, L)), actual.describe());
        assertEquals(expected.area(1, 1, L, L), actual.area(1, 1, L, L));
    }

    @Test
    void everyFormParses() {
        Object[][] cases = {
                {"full", Masks.full(), 9},
                {"causal", Masks.causal(), 9},
                {"causal-br", Masks.causalBottomRight(), 9},
                {"sliding:3", Masks.slidingWindow(3), 9},
                {"sliding-bi:3", Masks.slidingWindowBidirectional(3), 9},
                {"global-sliding:2,3", Masks.globalSliding(2, 3), 9},
                {"document:3,5,1", Masks.documents(3, 5, 1), 9},
                {"document-causal:3,5,1", Masks.documentsCausal(3, 5, 1), 9},
                {"share-question:3,5,1", Masks.shareQuestion(3, 5, 1), 9},
                {"causal-blockwise:3,5,1", Masks.causalBlockwise(3, 5, 1), 9},
                {"prefix-lm:4", Masks.prefixLm(4), 9},
                {"prefix-lm-document:1,2,0;3,5,1", Masks.prefixLmDocuments(new int[] {1, 2, 0}, new int[] {3, 5, 1}), 9},
                {"block-causal-document:2;3,5,1", Masks.blockCausalDocument(2, 3, 5, 1), 9},
                {"sinks:1,3", Masks.sinksWindow(1, 3), 9},
                {"block-sparse-random:4,4,0.5,7", Masks.blockSparseRandom(4, 4, 0.5, 7), 9},
                {"block-sparse:4,4;101,011,110", Masks.blockSparse(4, 4, new boolean[][] {{true, false, true}, {false, true, true}, {true, true, false}}), 9},
                {"padding:6", Masks.padding(6), 9},
        };
        for (Object[] c : cases) {
            String spec = (String) c[0];
            Mask parsed = Mask.parse(spec), factory = (Mask) c[1];
            assertEquals(spec, parsed.describe());
            assertEquals(spec, factory.describe(), "factory name is the spec");
            sameMask(factory, parsed, (int) c[2]);
            assertEquals(spec, Mask.parse(factory.describe()).describe(), "round trip");
        }
    }

    @Test
    void combinationsAndWhitespace() {
        Mask m = Mask.parse(" document:4,5 & causal | sliding-bi:2 ");
        assertTrue(m.isSliceForm());
        sameMask(Masks.documents(4, 5).and(Masks.causal()).or(Masks.slidingWindowBidirectional(2)), m, 9);
        Mask p = Mask.parse("document:4,5&(causal|sliding-bi:2)");
        sameMask(Masks.documents(4, 5).and(Masks.causal().or(Masks.slidingWindowBidirectional(2))), p, 9);
        assertEquals("(document:4,5 & (causal | sliding-bi:2))", p.describe());
        sameMask(p, Mask.parse(p.describe()), 9);
        assertFalse(m.describe().equals(p.describe()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '#', value = {
            "sliding:x#mask spec 'sliding:x': sliding: W (window: keys per query, itself included) must be a positive integer, got 'x'",
            "sliding:0#mask spec 'sliding:0': sliding: W (window: keys per query, itself included) must be positive, got 0",
            "sliding#mask spec 'sliding': 'sliding' needs arguments sliding:W, got none",
            "sliding:3,4#mask spec 'sliding:3,4': expected sliding:W (1 value), got '3,4'",
            "global-sliding:2#mask spec 'global-sliding:2': expected global-sliding:G,W (2 values), got '2'",
            "global-sliding:a,2#mask spec 'global-sliding:a,2': global-sliding: G (global tokens at the start) must be a non-negative integer, got 'a'",
            "sinks:4,-1#mask spec 'sinks:4,-1': sinks: W (window: keys per query, itself included) must be positive, got -1",
            "document:3,,5#mask spec 'document:3,,5': document: L (document lengths, summing to the sequence length) must be a positive integer (value 1 of the list, counting from 0), got ''",
            "document:3,0#mask spec 'document:3,0': document: L (document lengths, summing to the sequence length) must be positive (value 1 of the list, counting from 0), got 0",
            "block-causal-document:4#mask spec 'block-causal-document:4': expected block-causal-document:B;L1,L2,.. (2 groups separated by ';'), got '4'",
            "prefix-lm-document:1;3,4#mask spec 'prefix-lm-document:1;3,4': prefix-lm-document: need one prefix per document, expected 2 prefixes, got 1",
            "causal:3#mask spec 'causal:3': 'causal' takes no arguments, got '3'",
            "diagonal#mask spec 'diagonal': unknown mask 'diagonal', expected one of full, causal, causal-br, sliding, sliding-bi, global-sliding, document, document-causal, share-question, causal-blockwise, prefix-lm, prefix-lm-document, block-causal-document, sinks, padding, block-sparse, block-sparse-random",
            "causal&#mask spec 'causal&': expected a mask name (one of full, causal, causal-br, sliding, sliding-bi, global-sliding, document, document-causal, share-question, causal-blockwise, prefix-lm, prefix-lm-document, block-causal-document, sinks, padding, block-sparse, block-sparse-random) at position 7, got end of spec",
            "(causal|full#mask spec '(causal|full': expected ')' at position 12, got end of spec",
            "causal)#mask spec 'causal)': expected '&', '|' or end of spec at position 6, got ')'",
            "sliding:99999999999#mask spec 'sliding:99999999999': sliding: W (window: keys per query, itself included) must be at most 2147483647, got 99999999999",
            "document:8,0#mask spec 'document:8,0': document: L (document lengths, summing to the sequence length) must be positive (value 1 of the list, counting from 0), got 0",
            "block-sparse:4,4;10,1#mask spec 'block-sparse:4,4;10,1': block-sparse: ROW (one row of 0/1 digits per query tile, one digit per key tile) must be rows of 0/1 digits of equal length separated by ',', got '1' (row 1; expected rows of 0/1 digits of equal length separated by ',')",
            "document-causal:3,5,2147483647#mask spec 'document-causal:3,5,2147483647': document-causal: document lengths must sum to at most 2147483647 tokens, got more by document 2 (counting from 0)",
            "padding:3,-1#mask spec 'padding:3,-1': padding: L (valid keys of each batch entry) must be non-negative (value 1 of the list, counting from 0), got -1",
            "block-sparse-random:4,4,x,1#mask spec 'block-sparse-random:4,4,x,1': block-sparse-random: DENSITY (fraction of tiles visible) must be a number in [0, 1], got 'x'",
            "block-sparse-random:4,4,2,1#mask spec 'block-sparse-random:4,4,2,1': block-sparse-random: DENSITY (fraction of tiles visible) must be a number in [0, 1], got '2'",
    })
    void badSpecsExplainThemselves(String spec, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mask.parse(spec));
        assertEquals(message, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void emptySpec() {
        assertEquals("mask spec must be non-empty, got '  '",
                assertThrows(IllegalArgumentException.class, () -> Mask.parse("  ")).getMessage());
        assertEquals("mask spec must be non-empty, got null",
                assertThrows(IllegalArgumentException.class, () -> Mask.parse(null)).getMessage());
    }
}
