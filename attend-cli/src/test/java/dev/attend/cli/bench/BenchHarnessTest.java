package dev.attend.cli.bench;

import dev.attend.attention.Workload;
import dev.attend.simd.MachinePeak;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runner on fake cases and made-up peaks (so no real measurement runs). No test asserts a timing. */
class BenchHarnessTest {
    private static final MachinePeak.Result PEAK = new MachinePeak.Result(2, 256, 90, 180, 20);
    static final BenchRunner.Settings FAST = new BenchRunner.Settings(1, 0, 3, 0, 0.2, 20, 0.05, 0.5, 10, 1000, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);

    private static BenchRunner.Run run(BenchRunner.Settings s, List<BenchCase> cases, Supplier<MachinePeak.Result> probe) {
        return new BenchRunner(s, null).run(cases, probe, Set.of(), Long.MAX_VALUE);
    }

    @Test
    void ratesWhereTheyApplyXForUnsupportedEForFailures() {
        BenchCase unsupported = new FakeCase("x", "fake", Workload.Pass.FORWARD, 1e6, 0, false) {
        };
        List<BenchCase> cases = List.of(new FakeCase("fake", Workload.Pass.FORWARD, 2e6, 0, false),
                new FakeCase("fake", Workload.Pass.DECODE, 1e6, 4e6, false),
                new FakeCase("fake", Workload.Pass.FORWARD, 1e6, 0, true),
                refusing("no such capability"));
        List<BenchResult> rs = run(FAST, cases, () -> PEAK).results();
        assertEquals(4, rs.size());
        BenchResult fwd = rs.get(0), dec = rs.get(1), bad = rs.get(2), x = rs.get(3);
        assertEquals(BenchResult.Status.OK, fwd.status());
        assertTrue(fwd.timing().runs() >= 3 && fwd.timing().runs() <= 20);
        assertTrue(fwd.timing().p20Ms() <= fwd.timing().medianMs() && fwd.timing().medianMs() <= fwd.timing().p80Ms());
        assertEquals(2e6 / (fwd.timing().medianMs() * 1e6), fwd.gflops(), 1e-12);
        assertEquals(100 * fwd.gflops() / 180, fwd.pctPeak(), 1e-9);
        assertNull(fwd.gbps());
        assertEquals(100 * dec.gbps() / 20, dec.pctBw(), 1e-9);
        assertEquals(BenchResult.Status.ERROR, bad.status());
        assertTrue(bad.reason().contains("IllegalStateException: planted failure"), bad.reason());
        assertNull(bad.timing());
        assertEquals(BenchResult.Status.UNSUPPORTED, x.status());
        assertEquals("no such capability", x.reason());
        assertEquals("X", x.status().cell());
        assertEquals("CAUSAL_SELF", fwd.pattern());
        assertEquals("causal", fwd.maskKind());
        assertNotNull(unsupported);
    }

    @Test
    void percentagesAreAgainstTheMedianOfThePeakSamples() {
        double[] gflops = {100, 400, 200, 300, 250};
        int[] call = {0};
        BenchRunner.Run r = run(FAST, List.of(new FakeCase("fake", Workload.Pass.FORWARD, 2e6, 0, false)),
                () -> new MachinePeak.Result(2, 256, 90, gflops[call[0]++ % gflops.length], 20));
        double median = BenchRunner.percentile(r.peakSamples().stream().mapToDouble(MachinePeak.Result::fmaGflops).toArray(), 0.5);
        assertEquals(median, r.peak().fmaGflops());
        assertEquals(100 * r.results().get(0).gflops() / median, r.results().get(0).pctPeak(), 1e-9);
    }

    @Test
    void aPeakThatContradictsItselfIsTakenAgainAndFlagged() {
        BenchRunner.Run r = run(FAST, List.of(new FakeCase("fake", Workload.Pass.FORWARD, 2e6, 0, false)),
                () -> new MachinePeak.Result(2, 256, 90, 80, 20));  // two threads below one, always
        assertTrue(r.peakUnstable());
        assertTrue(r.warnings().stream().anyMatch(w -> w.startsWith("unstable peak")), r.warnings().toString());
        BenchRunner.Run ok = run(FAST, List.of(new FakeCase("fake", Workload.Pass.FORWARD, 2e6, 0, false)), () -> PEAK);
        assertFalse(ok.peakUnstable());
    }

    @Test
    void aCaseWhoseSpreadStaysHighIsFlaggedAndMeasuredAgainAtTheEnd() {
        BenchCase jumpy = jumpy("jumpy");
        BenchRunner.Settings s = new BenchRunner.Settings(1, 0, 4, 0, 0.2, 30, 0.05, 0.2, 10, 1000, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);
        BenchRunner.Run r = run(s, List.of(jumpy), () -> PEAK);
        BenchResult.Timing t = r.results().get(0).timing();
        assertTrue(t.unstable(), t.toString());
        assertTrue(t.remeasured(), "measured once more at the end");
        assertTrue(r.warnings().stream().anyMatch(w -> w.startsWith("unstable: fake: jumpy")), r.warnings().toString());
    }

    @Test
    void aMechanismOverItsBudgetGetsECellsAndTheOthersGoOn() {
        // A budget of 1 microsecond: the first case of "slow" spends it, its second is an E cell; "other" still runs.
        BenchRunner.Settings s = new BenchRunner.Settings(1, 0, 3, 0, 0.2, 20, 0.05, 0.5, 10, 1000, 1e-6, 1e-6, Double.POSITIVE_INFINITY);
        List<BenchCase> cases = List.of(new FakeCase("a", "slow:x=1", Workload.Pass.FORWARD, 1e6, 0, false),
                new FakeCase("b", "slow:x=2", Workload.Pass.FORWARD, 1e6, 0, false), new FakeCase("c", "other", Workload.Pass.FORWARD, 1e6, 0, false));
        List<BenchResult> rs = run(s, cases, () -> PEAK).results();
        assertEquals(BenchResult.Status.OK, rs.get(0).status());
        assertEquals(BenchResult.Status.ERROR, rs.get(1).status());
        assertTrue(rs.get(1).reason().startsWith("over its time budget: slow's fake cases took") && rs.get(1).reason().endsWith("(the mechanism's budget)"),
                rs.get(1).reason());
        assertTrue(BenchRunner.overALimit(rs.get(1)), "a limit of the run, not a failure");
        assertEquals(BenchResult.Status.OK, rs.get(2).status());
    }

    @Test
    void eachSuiteHasItsOwnShareOfAMechanismsBudget() {
        // "slow" spends its kernels budget on its first case; its fidelity case still runs, on the fidelity share.
        BenchRunner.Settings s = new BenchRunner.Settings(1, 0, 3, 0, 0.2, 20, 0.05, 0.5, 10, 1000, 1e-6, 1e-6, Double.POSITIVE_INFINITY);
        BenchCase fidelity = new FakeCase("f", "slow:x=3", Workload.Pass.FORWARD, 1e6, 0, false) {
            @Override
            public String suite() {
                return "fidelity";
            }
        };
        List<BenchCase> cases = List.of(new FakeCase("a", "slow:x=1", Workload.Pass.FORWARD, 1e6, 0, false),
                new FakeCase("b", "slow:x=2", Workload.Pass.FORWARD, 1e6, 0, false), fidelity);
        List<BenchResult> rs = run(s, cases, () -> PEAK).results();
        assertEquals(List.of(BenchResult.Status.OK, BenchResult.Status.ERROR, BenchResult.Status.OK),
                rs.stream().map(BenchResult::status).toList());
        assertEquals(0.3, BenchSuite.budgetShare("fidelity"));
        assertEquals(1.0, BenchSuite.budgetShare("kernels"));
    }

    /** A case of "slow" whose calls sleep 50 ms, at key length {@code lk} (a series: the same case at growing lengths). */
    private static BenchCase sleeping(String id, int lk) {
        return sleeping(id, lk, Workload.Pass.FORWARD);
    }

    private static BenchCase sleeping(String id, int lk, Workload.Pass pass) {
        return new FakeCase(id, "slow", pass, 1e6, 0, false) {
            @Override
            public Workload.Shape dims() {
                return new Workload.Shape(1, 4, 2, lk, lk, 32);
            }

            @Override
            public Supplier<?> setup() {
                return () -> {
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return null;
                };
            }
        };
    }

    @Test
    void aCaseLongerThanWhatIsLeftOfItsBudgetIsNotStarted() {
        // Budget 0.6 s: the 64-key case spends about 0.25 s; the 256-key one is predicted at 16 x 50 ms = 0.8 s, more
        // than what is left (but under the 10 s call limit), so it is an E cell of the run's limits and is never called.
        BenchRunner.Settings s = new BenchRunner.Settings(1, 0, 3, 0, 0.2, 20, 0.05, 0.5, 10, 1000, 0.6, 0.6, Double.POSITIVE_INFINITY);
        List<BenchResult> rs = run(s, List.of(sleeping("short", 64), sleeping("long", 256)), () -> PEAK).results();
        assertEquals(BenchResult.Status.OK, rs.get(0).status());
        assertEquals(BenchResult.Status.ERROR, rs.get(1).status());
        assertTrue(rs.get(1).reason().startsWith("over its time budget: one call predicted to take")
                && rs.get(1).reason().contains("what is left of the mechanism's budget"), rs.get(1).reason());
        assertTrue(BenchRunner.overALimit(rs.get(1)));
    }

    @Test
    void aSeriesIsPredictedAtItsOwnGrowthBetweenLinearAndQuadratic() {
        assertEquals(2, BenchRunner.timedCall(null, 1024, 0.1)[2], "one call: quadratic");
        double[] linear = BenchRunner.timedCall(BenchRunner.timedCall(null, 1024, 0.1), 4096, 0.4);
        assertEquals(1, linear[2], 1e-12);
        assertEquals(2, BenchRunner.timedCall(new double[] {1024, 0.1, 2}, 2048, 0.9)[2], "faster than quadratic growth is capped at 2");
        assertEquals(1, BenchRunner.timedCall(new double[] {1024, 0.1, 2}, 2048, 0.05)[2], "a noisy shorter time is floored at linear");
        assertEquals(1.5, BenchRunner.timedCall(new double[] {1024, 0.1, 2}, 4096, 0.8)[2], 1e-12);
    }

    @Test
    void aBackwardIsPredictedFromItsForwardAtTheSameShape() {
        // The forward spends about 0.25 s (a warm-up and 3 calls of 50 ms); its backward, first of its series, is
        // predicted at BACKWARD_OVER_FORWARD x 50 ms = 0.2 s: under what is left of 2 s, so it runs; not of 0.35 s.
        BenchRunner.Settings roomy = new BenchRunner.Settings(1, 0, 3, 0, 0.2, 20, 0.05, 0.5, 10, 1000, 2, 2, Double.POSITIVE_INFINITY);
        List<BenchCase> pair = List.of(sleeping("fwd", 64), sleeping("bwd", 64, Workload.Pass.BACKWARD));
        assertEquals(List.of(BenchResult.Status.OK, BenchResult.Status.OK), run(roomy, pair, () -> PEAK).results().stream().map(BenchResult::status).toList());
        BenchRunner.Settings tight = new BenchRunner.Settings(1, 0, 3, 0, 0.2, 20, 0.05, 0.5, 10, 1000, 0.35, 0.35, Double.POSITIVE_INFINITY);
        List<BenchResult> rs = run(tight, pair, () -> PEAK).results();
        assertEquals(BenchResult.Status.OK, rs.get(0).status());
        assertEquals(BenchResult.Status.ERROR, rs.get(1).status());
        assertTrue(rs.get(1).reason().contains("times the forward's"), rs.get(1).reason());
        assertTrue(BenchRunner.overALimit(rs.get(1)));
    }

    @Test
    void reMeasuringStopsAtItsBudget() {
        // Two unstable cases and no time for re-measuring: both keep their first timing, flagged, not remeasured.
        BenchRunner.Settings s = new BenchRunner.Settings(1, 0, 4, 0, 0.2, 30, 0.05, 0.2, 10, 1000, Double.POSITIVE_INFINITY,
                Double.POSITIVE_INFINITY, 0);
        BenchRunner.Run r = run(s, List.of(jumpy("a"), jumpy("b")), () -> PEAK);
        for (BenchResult x : r.results()) {
            assertTrue(x.timing().unstable(), x.timing().toString());
            assertFalse(x.timing().remeasured(), x.name());
        }
    }

    /** Every other call sleeps 11 ms more: the spread never settles. */
    private static BenchCase jumpy(String id) {
        return new FakeCase(id, "jumpy", Workload.Pass.FORWARD, 1e6, 0, false) {
            @Override
            public Supplier<?> setup() {
                int[] n = {0};
                return () -> {
                    try {
                        Thread.sleep(n[0]++ % 2 == 0 ? 1 : 12);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return n;
                };
            }
        };
    }

    @Test
    void allocationsPerCallAndPeakHeapAreMeasured() {
        BenchCase allocating = new FakeCase("alloc", "alloc", Workload.Pass.FORWARD, 1e6, 0, false) {
            @Override
            public Supplier<?> setup() {
                return () -> new byte[1 << 20];
            }
        };
        BenchResult r = run(FAST, List.of(allocating), () -> PEAK).results().get(0);
        assertTrue(r.allocBytesPerCall() >= 1 << 20, "alloc " + r.allocBytesPerCall());
        assertTrue(r.peakHeapBytes() > 0);
    }

    @Test
    void whatCannotFitAndWhatTakesTooLongAreErrorsAndTheRunGoesOn() {
        BenchCase huge = new FakeCase("huge", "huge", Workload.Pass.FORWARD, 1e6, 0, false) {
            @Override
            public long memoryBytes() {
                return Long.MAX_VALUE / 2;
            }
        };
        BenchCase slow = new FakeCase("slow", "slow", Workload.Pass.FORWARD, 1e6, 0, false) {
            @Override
            public Supplier<?> setup() {
                return () -> {
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return null;
                };
            }
        };
        BenchRunner.Settings s = new BenchRunner.Settings(1, 0, 3, 0, 0.2, 20, 0.05, 0.5, 0.1, 1000, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);
        List<BenchResult> rs = run(s, List.of(huge, slow, new FakeCase("fake", Workload.Pass.FORWARD, 1e6, 0, false)), () -> PEAK).results();
        assertTrue(rs.get(0).reason().startsWith("needs at least"), rs.get(0).reason());
        assertTrue(rs.get(1).reason().startsWith("over its time budget: one call took"), rs.get(1).reason());
        assertEquals(BenchResult.Status.OK, rs.get(2).status());
    }

    @Test
    void resumedAndOverBudgetCasesAreNotRun() {
        List<BenchCase> cases = List.of(new FakeCase("fake", Workload.Pass.FORWARD, 1e6, 0, false),
                new FakeCase("fake", Workload.Pass.DECODE, 1e6, 1e6, false));
        BenchRunner.Run r = new BenchRunner(FAST, null).run(cases, () -> PEAK, Set.of(cases.get(0).name()), Long.MAX_VALUE);
        assertEquals(List.of(cases.get(1).name()), r.results().stream().map(BenchResult::name).toList());
        BenchRunner.Run none = new BenchRunner(FAST, null).run(cases, () -> PEAK, Set.of(), System.nanoTime() - 1);
        assertEquals(0, none.results().size());
        assertTrue(none.warnings().contains("time budget reached: 2 cases were not run"), none.warnings().toString());
    }

    @Test
    void theListenerSeesEveryCaseAsItFinishes() {
        List<String> seen = new ArrayList<>();
        new BenchRunner(FAST, new BenchRunner.Listener() {
            @Override
            public void finished(int index, int total, BenchResult r, List<BenchResult> soFar, MachinePeak.Result peak, List<MachinePeak.Result> samples) {
                seen.add(index + "/" + total + " " + soFar.size());
            }
        }).run(List.of(new FakeCase("fake", Workload.Pass.FORWARD, 1e6, 0, false), new FakeCase("fake", Workload.Pass.DECODE, 1e6, 1e6, false)),
                () -> PEAK, Set.of(), Long.MAX_VALUE);
        assertEquals(List.of("0/2 1", "1/2 2"), seen);
    }

    @Test
    void theResultsSchemaIsTheDocumentedOne() throws Exception {
        // docs/bench-results.md lists every field of a record in its table; toMap() must give exactly those keys.
        String doc = Files.readString(Path.of("..", "docs", "bench-results.md"));
        Set<String> documented = new LinkedHashSet<>();
        boolean inRecord = false;
        for (String line : doc.lines().toList()) {
            if (line.startsWith("## A record")) inRecord = true;
            if (!inRecord || !line.startsWith("| `")) continue;
            for (String f : line.split("\\|")[1].split(",")) documented.add(f.strip().replace("`", ""));
        }
        BenchResult r = run(FAST, List.of(new FakeCase("fake", Workload.Pass.FORWARD, 1e6, 0, false)), () -> PEAK).results().get(0);
        Map<String, Object> m = r.toMap();
        assertEquals(documented, m.keySet());
        assertEquals(r.toMap(), BenchResult.fromMap(m).toMap(), "round trip");
    }

    private static BenchCase refusing(String reason) {
        return new FakeCase("refused", "refused", Workload.Pass.FORWARD, 1e6, 0, false) {
            @Override
            public String unsupported() {
                return reason;
            }
        };
    }
}
