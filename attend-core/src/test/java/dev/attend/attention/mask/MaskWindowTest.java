package dev.attend.attention.mask;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A window of a mask (what one shard of a context-parallel problem sees) is the whole mask at the shifted positions:
 * its compiled blocks and area agree with the whole mask's own oracle, and its slices stay in slice form.
 */
class MaskWindowTest {

    /** Random windows, including the whole, single rows and columns, and windows on the edges. */
    private static int[][] windows(int lq, int lk, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] w = new int[12][];
        w[0] = new int[] {0, lq, 0, lk};
        w[1] = new int[] {lq - 1, 1, 0, lk};
        w[2] = new int[] {0, lq, lk - 1, 1};
        for (int i = 3; i < w.length; i++) {
            int q0 = r.nextInt(lq), k0 = r.nextInt(lk);
            w[i] = new int[] {q0, 1 + r.nextInt(lq - q0), k0, 1 + r.nextInt(lk - k0)};
        }
        return w;
    }

    private static void checkWindows(Mask whole, int lq, int lk) {
        for (int[] w : windows(lq, lk, lq * 7919L + lk)) {
            Mask m = whole.window(lq, lk, w[0], w[1], w[2], w[3]);
            assertEquals(whole.isSliceForm(), m.isSliceForm(), m + ": form");
            long area = 0;
            for (int i = 0; i < w[1]; i++) {
                for (int j = 0; j < w[3]; j++) {
                    boolean v = whole.visible(0, 0, w[0] + i, w[2] + j, lq, lk);
                    assertEquals(v, m.visible(0, 0, i, j, w[1], w[3]), m + " at (" + i + ", " + j + ")");
                    if (v) area++;
                }
            }
            assertEquals(area, m.area(1, 1, w[1], w[3]), m + ": area");
            MaskAssertions.checkCompiled(m, 1, 1, w[1], w[3], 7, 16);
            MaskAssertions.checkCompiled(m, 1, 1, w[1], w[3], 16, 7);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.attend.attention.mask.MaskLibraryTest#selfMasks")
    void windowsOfEveryLibraryMaskAreTheWholeMaskShifted(String name, IntFunction<Mask> factory) {
        for (int L : new int[] {1, 13, 100}) checkWindows(factory.apply(L), L, L);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.attend.attention.mask.MaskLibraryTest#crossMasks")
    void windowsOfCrossMasks(String name, Mask m) {
        checkWindows(m, 37, 100);
        checkWindows(m, 100, 37);
    }

    @Test
    void predicateWindowAsksThePredicateAtShiftedPositions() {
        Mask p = Mask.predicate("odd-sum", (b, h, q, k) -> ((q + k) & 1) == 1 && k <= q, Mask.Dependence.SHARED);
        checkWindows(p, 40, 40);
    }

    @Test
    void perBatchMaskKeepsItsBatch() {
        Mask pad = Masks.padding(5, 9);
        Mask w = pad.window(12, 12, 2, 6, 3, 7);
        assertEquals(Mask.Dependence.PER_BATCH, w.dependence());
        // batch 0 sees keys 3 and 4 of the whole (window keys 0, 1); batch 1 keys 3..8 (all 6 of the window's first 6)
        assertEquals(6 * 2 + 6 * 6, w.area(2, 1, 6, 7));
        assertThrows(IllegalArgumentException.class, () -> w.area(3, 1, 6, 7));
    }

    @Test
    void windowServesItsOwnLengthsOnly() {
        Mask w = Masks.causal().window(64, 64, 16, 16, 0, 32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.area(1, 1, 16, 31));
        assertTrue(e.getMessage().contains("16x32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.validate(1, 1, 32, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> Masks.causal().window(64, 64, 60, 8, 0, 8));
        assertThrows(IllegalArgumentException.class, () -> Masks.causal().window(64, 64, 0, 0, 0, 8));
    }

    @Test
    void hiddenWindowHasNoArea() {
        assertEquals(0, Masks.causal().window(64, 64, 0, 16, 32, 16).area(1, 1, 16, 16));
        assertEquals(16L * 17 / 2, Masks.causal().window(64, 64, 16, 16, 16, 16).area(1, 1, 16, 16));
        assertEquals(16L * 16, Masks.causal().window(64, 64, 32, 16, 0, 16).area(1, 1, 16, 16));
    }
}
