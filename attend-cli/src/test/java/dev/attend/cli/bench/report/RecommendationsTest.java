package dev.attend.cli.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attend.cli.bench.BenchResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fastest mechanism within each error budget, on a run built so that each budget has a different answer. */
class RecommendationsTest {
    // At L=4096: flash 100 ms, reference 900 ms (both exact); approx-a 40 ms with error 5e-4; approx-b 20 ms with
    // error 5e-3; approx-c 10 ms with no fidelity record; peer 5 ms (never recommended).
    private static BenchRun run() {
        List<BenchResult> rs = new ArrayList<>();
        rs.add(timed(SyntheticRuns.FLASH, "attend", true, 100, 4096));
        rs.add(timed("reference", "attend", true, 900, 4096));
        rs.add(timed("approx:k=8", "attend", false, 40, 4096));
        rs.add(timed("approx:k=2", "attend", false, 20, 4096));
        rs.add(timed("guess", "attend", false, 10, 4096));
        rs.add(timed("onnx", "peer", true, 5, 4096));
        rs.add(timed(SyntheticRuns.FLASH, "attend", true, 30, 2048));
        for (String family : List.of("gaussian", "needle")) {
            rs.add(SyntheticRuns.fidelity("approx:k=8 " + family, "approx:k=8", Map.of("k", 8), false, family, "k", 8.0, family.equals("needle") ? 5e-4 : 1e-4));
            rs.add(SyntheticRuns.fidelity("approx:k=2 " + family, "approx:k=2", Map.of("k", 2), false, family, "k", 2.0, family.equals("needle") ? 5e-3 : 1e-3));
        }
        return new BenchRun("kernels", "attend bench", SyntheticRuns.machine(false), List.of(), rs, List.of());
    }

    @Test
    void eachBudgetGetsTheFastestMechanismWithinItAndTheRunnerUp() {
        List<Recommendations.Row> rows = Recommendations.table(run());
        assertEquals(2, rows.size(), rows.toString());
        Recommendations.Row at4k = rows.get(1);
        assertEquals(4096, at4k.kLen());
        assertEquals("causal", at4k.mask());
        Recommendations.Choice exact = at4k.choices().get(0), tight = at4k.choices().get(1), loose = at4k.choices().get(2);
        assertEquals(SyntheticRuns.FLASH, exact.best().mechanism());
        assertEquals("reference", exact.runnerUp().mechanism());
        assertFalse(exact.tie());
        // 1e-3: approx-k=8 (worst error 5e-4 over its families); approx-k=2's worst is 5e-3, too much.
        assertEquals("approx:k=8", tight.best().mechanism());
        assertEquals(5e-4, tight.best().error(), 1e-12);
        assertEquals(SyntheticRuns.FLASH, tight.runnerUp().mechanism());
        assertEquals("approx:k=2", loose.best().mechanism());
        assertEquals("approx:k=8", loose.runnerUp().mechanism());
        // Never: a mechanism without a fidelity record, nor a peer.
        for (Recommendations.Choice c : at4k.choices()) {
            assertFalse(List.of("guess", "onnx").contains(c.best().mechanism()));
            assertFalse(List.of("guess", "onnx").contains(c.runnerUp().mechanism()));
        }
        // At 2K only flash ran: no runner-up.
        assertNull(rows.get(0).choices().get(0).runnerUp());
    }

    @Test
    void overlappingBandsAreATieAndNoTimedCandidateIsNoCandidate() {
        List<BenchResult> rs = new ArrayList<>(List.of(timed(SyntheticRuns.FLASH, "attend", true, 100, 4096), timed("reference", "attend", true, 101, 4096),
                timed("approx:k=2", "attend", false, 20, 1024)));
        BenchRun run = new BenchRun("kernels", "attend bench", SyntheticRuns.machine(false), List.of(), rs, List.of());
        Recommendations.Row row = Recommendations.table(run).stream().filter(r -> r.kLen() == 4096).findFirst().orElseThrow();
        assertTrue(row.choices().get(0).tie(), "100 ms (95..105) against 101 ms (96..106) is a tie");
        Recommendations.Row alone = Recommendations.table(run).stream().filter(r -> r.kLen() == 1024).findFirst().orElseThrow();
        for (Recommendations.Choice c : alone.choices()) assertNull(c.best(), "an approximate mechanism without fidelity is no candidate");
    }

    @Test
    void adviceAnswersFromTheRunOrSaysWhatIsMissing() {
        BenchRun run = run();
        Recommendations.Advice a = Recommendations.advise(run, question(4096, 2e-3));
        assertTrue(a.measured());
        assertEquals("approx:k=8", a.choice().mechanism());
        assertEquals(40, a.choice().medianMs(), 1e-9);
        assertEquals(5e-4, a.choice().error(), 1e-12);
        assertEquals(SyntheticRuns.FLASH, a.runnerUp().mechanism());
        assertTrue(a.missing().contains("guess: no fidelity record, so its error is unknown"), a.missing().toString());

        Recommendations.Advice none = Recommendations.advise(run, question(8192, 1e-2));
        assertFalse(none.measured());
        assertNull(none.choice());
        String label = "forward causal B1 Hq8 Hkv8 L8K D64";
        assertTrue(none.missing().contains(SyntheticRuns.FLASH + ": not timed at " + label), none.missing().toString());
        assertTrue(none.missing().contains("approx:k=2: not timed at " + label), none.missing().toString());
        assertTrue(none.missing().contains("reference: not timed at " + label), none.missing().toString());

        Recommendations.Advice exactOnly = Recommendations.advise(run, question(4096, 0));
        assertEquals(SyntheticRuns.FLASH, exactOnly.choice().mechanism());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> question(4096, -1));
        assertTrue(e.getMessage().contains("maxError") && e.getMessage().contains("-1.0"), e.getMessage());
    }

    @Test
    void aFailedOrUnsupportedCandidateIsNamedWithItsReason() {
        List<BenchResult> rs = new ArrayList<>(run().results());
        rs.add(SyntheticRuns.failed("kernels", "reference 8K", "reference", "attend", true, "causal", "causal", "CAUSAL_SELF", "forward", 1, 8, 8, 8192,
                8192, 64, BenchResult.Status.ERROR, "over its time budget"));
        BenchRun run = new BenchRun("kernels", "attend bench", SyntheticRuns.machine(false), List.of(), rs, List.of());
        Recommendations.Advice a = Recommendations.advise(run, question(8192, 0));
        assertTrue(a.missing().contains("reference: failed at forward causal B1 Hq8 Hkv8 L8K D64: over its time budget"), a.missing().toString());
    }

    private static Recommendations.Question question(int l, double maxError) {
        return new Recommendations.Question("forward", "causal", 1, 8, 8, l, l, 64, maxError);
    }

    private static BenchResult timed(String mech, String source, boolean exact, double ms, int l) {
        BenchResult.Timing t = new BenchResult.Timing(5, ms, ms * 0.95, ms * 1.05, ms * 0.9, 0.03, false, false, List.of(ms, ms, ms, ms, ms));
        return new BenchResult("kernels", mech + " L=" + l, mech, source, Map.of(), exact, "causal", "causal", "CAUSAL_SELF", "forward", 1, 8, 8, l, l, 64,
                BenchResult.Status.OK, null, t, 2.0 * l * l * 8 * 64, null, null, null, null, null, null, null, null, null, null);
    }
}
