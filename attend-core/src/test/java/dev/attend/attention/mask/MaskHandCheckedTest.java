package dev.attend.attention.mask;

import static dev.attend.attention.mask.MaskAssertions.matrix;
import static dev.attend.attention.mask.MaskAssertions.oracle;
import static dev.attend.attention.mask.MaskAssertions.render;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Small masks against matrices written by hand: row q, column k, '1' = visible. */
class MaskHandCheckedTest {

    /** Checks the oracle, and the compiled structure with two block sizes, against the expected matrix. */
    static void check(Mask m, String... rows) {
        boolean[][] expected = matrix(rows);
        int lq = expected.length, lk = expected[0].length;
        assertEquals(render(expected), render(oracle(m, 0, 0, lq, lk)), m + " oracle");
        for (int block : new int[] {1, 2, 3}) {
            BlockMask bm = m.compile(1, 1, lq, lk, block, block);
            assertEquals(render(expected), render(MaskAssertions.fromRowView(bm, 0, 0, expected)), m + " block " + block);
        }
        assertEquals(MaskAssertions.count(expected), m.area(1, 1, lq, lk), m + " area");
    }

    @Test
    void full() {
        check(Masks.full(), "1111", "1111", "1111");
    }

    @Test
    void causalTopLeft() {
        check(Masks.causal(), "1000", "1100", "1110", "1111");
        check(Masks.causal(), "10", "11", "11", "11");
        check(Masks.causal(), "1000", "1100");
    }

    @Test
    void causalBottomRight() {
        check(Masks.causalBottomRight(), "1000", "1100", "1110", "1111");
        check(Masks.causalBottomRight(), "1110", "1111");
        check(Masks.causalBottomRight(), "00", "00", "10", "11");
    }

    @Test
    void slidingWindowCausal() {
        check(Masks.slidingWindow(2), "100000", "110000", "011000", "001100", "000110", "000011");
        check(Masks.slidingWindow(1), "100", "010", "001");
    }

    @Test
    void slidingWindowBidirectional() {
        check(Masks.slidingWindowBidirectional(2), "11000", "11100", "01110", "00111", "00011");
    }

    @Test
    void globalSliding() {
        check(Masks.globalSliding(1, 2), "111111", "111000", "111100", "101110", "100111", "100011");
    }

    @Test
    void documents() {
        check(Masks.documents(2, 3, 1), "110000", "110000", "001110", "001110", "001110", "000001");
        check(Masks.documentsCausal(2, 3, 1), "100000", "110000", "001000", "001100", "001110", "000001");
    }

    @Test
    void shareQuestion() {
        check(Masks.shareQuestion(2, 2, 2), "100000", "110000", "111000", "111100", "110010", "110011");
    }

    @Test
    void causalBlockwise() {
        check(Masks.causalBlockwise(2, 2, 2), "100000", "110000", "001000", "001100", "111110", "111111");
    }

    @Test
    void prefixLm() {
        check(Masks.prefixLm(2), "11000", "11000", "11100", "11110", "11111");
        check(Masks.prefixLmDocuments(new int[] {2, 2}, new int[] {3, 3}),
                "110000", "110000", "111000", "000110", "000110", "000111");
    }

    @Test
    void blockCausalDocument() {
        check(Masks.blockCausalDocument(2, 4, 2), "110000", "110000", "111100", "111100", "000011", "000011");
        check(Masks.blockCausalDocument(2, 3, 3), "110000", "110000", "111000", "000110", "000110", "000111");
    }

    @Test
    void sinksWindow() {
        check(Masks.sinksWindow(1, 2), "100000", "110000", "111000", "101100", "100110", "100011");
    }

    @Test
    void blockSparse() {
        check(Masks.blockSparse(2, 2, new boolean[][] {{true, false}, {false, true}, {true, true}}),
                "1100", "1100", "0011", "0011", "1111");
    }

    @Test
    void combinators() {
        check(Masks.causal().and(Masks.documents(2, 2)), "1000", "1100", "0010", "0011");
        check(Masks.slidingWindow(1).or(Masks.documents(1, 3)), "1000", "0111", "0111", "0111");
    }
}
