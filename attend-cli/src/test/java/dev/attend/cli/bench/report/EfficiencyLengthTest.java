package dev.attend.cli.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attend.cli.bench.BenchResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The power-law fit and the crossing with flash, on curves whose answer is known. */
class EfficiencyLengthTest {
    private static final double[] L = {256, 512, 1024, 2048, 4096, 8192};

    @Test
    void theFitRecoversAPowerLaw() {
        double[] t = new double[L.length];
        for (int i = 0; i < L.length; i++) t[i] = 3e-6 * Math.pow(L[i], 1.7);
        EfficiencyLength.Fit f = EfficiencyLength.fit(L, t);
        assertEquals(1.7, f.p(), 1e-9);
        assertEquals(3e-6, f.a(), 3e-6 * 1e-9);
        assertEquals(L.length, f.points());
    }

    @Test
    void quadraticAgainstLinearCrossesAt200() {
        EfficiencyLength.Fit flash = fitOf(l -> 1e-6 * l * l), linear = fitOf(l -> 2e-4 * l);
        EfficiencyLength.Crossing c = EfficiencyLength.crossing(linear, flash);
        assertNotNull(c.length(), c.text());
        assertEquals(200, c.length(), 2, c.text());
        assertEquals("200, faster above", c.text());
        // The other way round the quadratic one is the faster below.
        assertEquals("200, faster below", EfficiencyLength.crossing(flash, linear).text());
    }

    @Test
    void noCrossingInTheRangeIsNeverWithTheSideItStaysOn() {
        EfficiencyLength.Fit flash = fitOf(l -> 1e-6 * l * l);
        EfficiencyLength.Crossing slower = EfficiencyLength.crossing(fitOf(l -> 5e-6 * l * l), flash);
        assertNull(slower.length());
        assertEquals("never: slower at every length in 16..16M", slower.text());
        EfficiencyLength.Crossing faster = EfficiencyLength.crossing(fitOf(l -> 1e-9 * l), flash);
        assertNull(faster.length(), "the crossing at L=0.001 is below the range");
        assertEquals("never: faster at every length in 16..16M", faster.text());
        EfficiencyLength.Crossing far = EfficiencyLength.crossing(fitOf(l -> 1e-6 * l * l * 1e-8 * l), flash);
        assertNull(far.length(), "a crossing at 1e8 is beyond 2^24");
    }

    @Test
    void tooFewLengthsOrNonPositiveValuesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EfficiencyLength.fit(new double[] {4, 4}, new double[] {1, 2}));
        assertTrue(e.getMessage().contains("two distinct lengths"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EfficiencyLength.fit(new double[] {4, 8}, new double[] {1, 0}));
        assertTrue(e.getMessage().contains("point 1") && e.getMessage().contains("(8.0, 0.0)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EfficiencyLength.fit(new double[] {4, 8}, new double[] {1}));
        assertTrue(e.getMessage().contains("values"), e.getMessage());
    }

    @Test
    void theTableFitsEveryMechanismOfAGroupAgainstFlashForTimeAndMemory() {
        List<EfficiencyLength.Row> rows = EfficiencyLength.table(flashAndLinear(false));
        assertEquals(2, rows.size(), rows.toString());
        EfficiencyLength.Row flash = rows.get(0), linear = rows.get(1);
        assertEquals(SyntheticRuns.FLASH, flash.mechanism());
        assertNull(flash.timeCrossing(), "flash is the reference");
        assertEquals(2, flash.time().p(), 1e-9);
        assertEquals(1, linear.time().p(), 1e-9);
        assertEquals(200, linear.timeCrossing().length(), 2);
        // Memory: 1000 L against 50000 L never cross; the linear one always uses more.
        assertEquals(1, linear.memory().p(), 1e-9);
        assertEquals("never: more memory at every length in 16..16M", linear.memoryCrossing().text());
        assertEquals("causal", linear.mask());
        assertEquals(List.of(256, 512, 1024, 2048, 4096, 8192), linear.lengths());
        assertNull(linear.scalarCrossing(), "no scalar loop ran");
    }

    @Test
    void theScalarLoopGivesASecondCrossingAndEachRowItsWorkRate() {
        EfficiencyLength.Row linear = EfficiencyLength.table(flashAndLinear(true)).stream().filter(r -> r.mechanism().startsWith("linear")).findFirst().orElseThrow();
        // 2e-4 L = 2e-6 L^2 at L = 100: faster than the scalar loop above 100, below flash's 200.
        assertEquals(100, linear.scalarCrossing().length(), 0.1);
        assertEquals("100, faster above", linear.scalarCrossing().text());
        // The rate is at the longest length (8K, under 64K), in the records' useful FLOPs: no work FLOPs recorded.
        EfficiencyLength.Rate rate = linear.rate();
        assertEquals(8192, rate.length());
        assertEquals(4.0 * 8192 * 8192 / 2 * 8 * 64 / (2e-4 * 8192 * 1e6), rate.gflops(), 1e-6 * rate.gflops());
    }

    /**
     * Flash at 1e-6 L^2 ms and a linear mechanism at 2e-4 L ms over {@link #L} (crossing at 200), and with
     * {@code scalar} the scalar loop at 2e-6 L^2 ms up to 1K.
     */
    private static BenchRun flashAndLinear(boolean scalar) {
        List<BenchResult> rs = new ArrayList<>();
        for (double l : L) {
            int n = (int) l;
            rs.add(timed(SyntheticRuns.FLASH, n, 1e-6 * l * l, 1000L * n));
            rs.add(timed("linear:features=64", n, 2e-4 * l, 50_000L * n));
            if (scalar && n <= 1024) rs.add(timed(EfficiencyLength.SCALAR, n, 2e-6 * l * l, 1000L * n));
        }
        return new BenchRun("scaling", "attend bench", SyntheticRuns.machine(false), List.of(), rs, List.of());
    }

    private static BenchResult timed(String mech, int l, double ms, long heap) {
        double[] times = {ms * 0.99, ms, ms * 1.01};
        return SyntheticRuns.record("scaling", mech + " L=" + l, mech, "attend", Map.of(), mech.startsWith("flash"), "causal", "causal", "CAUSAL_SELF",
                "forward", 1, 8, 8, l, l, 64, times, 4.0 * l * l / 2 * 8 * 64, null, 0L, heap, false);
    }

    private static EfficiencyLength.Fit fitOf(java.util.function.DoubleUnaryOperator t) {
        double[] v = new double[L.length];
        for (int i = 0; i < L.length; i++) v[i] = t.applyAsDouble(L[i]);
        return EfficiencyLength.fit(L, v);
    }
}
