package dev.attend.cli.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attend.cli.bench.BenchResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The compare rule on runs whose answer is known: beyond both runs' noise or not. */
class CompareTest {
    @Test
    void aTwofoldSlowdownBeyondTheNoiseIsARegression() {
        Change c = only(Compare.compare(run(timed("a", 10, 9.8, 10.2)), run(timed("a", 20, 19.6, 20.4))));
        assertEquals(Change.Kind.REGRESSION, c.kind());
        assertEquals(2.0, c.ratio(), 1e-9);
        assertTrue(c.detail().contains("10.00 ms -> 20.00 ms") && c.detail().contains("2.00x"), c.detail());
    }

    @Test
    void aThreePercentChangeInsideOverlappingBandsIsWithinNoise() {
        Change c = only(Compare.compare(run(timed("a", 10, 9.5, 10.5)), run(timed("a", 10.3, 9.8, 10.8))));
        assertEquals(Change.Kind.WITHIN_NOISE, c.kind());
        assertEquals(1.03, c.ratio(), 1e-9);
    }

    @Test
    void disjointBandsNeedMoreThanFivePercentAndAFasterRunIsAnImprovement() {
        // Quiet runs: the bands do not overlap, but 3% is below the threshold.
        assertEquals(Change.Kind.WITHIN_NOISE, only(Compare.compare(run(timed("a", 10, 9.99, 10.01)), run(timed("a", 10.3, 10.29, 10.31)))).kind());
        Change faster = only(Compare.compare(run(timed("a", 10, 9.9, 10.1)), run(timed("a", 8, 7.9, 8.1))));
        assertEquals(Change.Kind.IMPROVEMENT, faster.kind());
        // A big move whose bands still overlap is noise: the runs were too noisy to tell.
        assertEquals(Change.Kind.WITHIN_NOISE, only(Compare.compare(run(timed("a", 10, 5, 16)), run(timed("a", 14, 9, 20)))).kind());
    }

    @Test
    void recordsMatchByNameThenByMechanismAndWorkloadAndTheRestIsInOneRunOnly() {
        BenchRun old = run(timed("a", 10, 9.9, 10.1), timed("renamed before", 10, 9.9, 10.1, 2048), timed("gone", 5, 4.9, 5.1, 4096));
        BenchRun now = run(timed("a", 10, 9.9, 10.1), timed("renamed after", 30, 29, 31, 2048), timed("new", 5, 4.9, 5.1, 8192));
        List<Change> cs = Compare.compare(old, now);
        assertEquals(4, cs.size(), cs.toString());
        assertEquals(Change.Kind.WITHIN_NOISE, cs.get(0).kind());
        assertEquals("renamed after", cs.get(1).name());
        assertEquals("renamed before", cs.get(1).old().name());
        assertEquals(Change.Kind.REGRESSION, cs.get(1).kind());
        assertEquals(Change.Kind.ONLY_OLD, cs.get(2).kind());
        assertEquals("gone", cs.get(2).name());
        assertNull(cs.get(2).now());
        assertEquals(Change.Kind.ONLY_NEW, cs.get(3).kind());
        assertEquals("new", cs.get(3).name());
    }

    @Test
    void aStatusChangeIsReportedWithTheNewReason() {
        BenchResult failed = SyntheticRuns.failed("kernels", "a", SyntheticRuns.FLASH, "attend", true, "causal", "causal", "CAUSAL_SELF", "forward", 1, 8, 8,
                1024, 1024, 64, BenchResult.Status.ERROR, "OutOfMemoryError");
        Change c = only(Compare.compare(run(timed("a", 10, 9.9, 10.1)), run(failed)));
        assertEquals(Change.Kind.STATUS_CHANGED, c.kind());
        assertEquals("ok -> error: OutOfMemoryError", c.detail());
        assertEquals(Change.Kind.UNCHANGED, only(Compare.compare(run(failed), run(failed))).kind());
    }

    @Test
    void theTextListsEveryKindWithThePeaksOfBothRuns() {
        BenchRun old = run(timed("slow", 10, 9.9, 10.1), timed("same", 10, 9, 11, 2048), timed("gone", 5, 4.9, 5.1, 4096));
        BenchRun now = run(timed("slow", 25, 24, 26), timed("same", 10.1, 9, 11, 2048));
        String text = Compare.render(old, now, Compare.compare(old, now));
        assertTrue(text.startsWith("Compared the kernels run of 2026-11-27T20:07:00Z with the kernels run of 2026-11-27T20:07:00Z: 1 regressions"), text);
        assertTrue(text.contains("Peaks: FMA 423.1 -> 423.1 GFLOP/s (1.00x)"), text);
        assertTrue(text.contains("\nRegressions (1):\n  slow: 10.00 ms -> 25.00 ms (2.50x"), text);
        assertTrue(text.contains("\nOnly in the old run (1):\n  gone: "), text);
        assertTrue(text.contains("\nWithin noise (1):\n  same: "), text);
    }

    private static Change only(List<Change> cs) {
        assertEquals(1, cs.size(), cs.toString());
        return cs.get(0);
    }

    private static BenchResult timed(String name, double median, double p20, double p80) {
        return timed(name, median, p20, p80, 1024);
    }

    /** A flash record at length {@code l} whose timed runs had exactly this median and p20..p80 band. */
    private static BenchResult timed(String name, double median, double p20, double p80, int l) {
        BenchResult.Timing t = new BenchResult.Timing(5, median, p20, p80, p20, 0.01, false, false, List.of(p20, p20, median, p80, p80));
        return new BenchResult("kernels", name, SyntheticRuns.FLASH, "attend", Map.of(), true, "causal", "causal", "CAUSAL_SELF", "forward", 1, 8, 8,
                l, l, 64, BenchResult.Status.OK, null, t, 2.0 * l * l * 8 * 64, null, null, null, null, null, null, null, null, null, null);
    }

    private static BenchRun run(BenchResult... rs) {
        return new BenchRun("kernels", "attend bench", SyntheticRuns.machine(false), List.of(), List.of(rs), List.of());
    }
}
