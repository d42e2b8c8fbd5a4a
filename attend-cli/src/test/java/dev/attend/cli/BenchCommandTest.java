package dev.attend.cli;

import dev.attend.attention.Workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attend.cli.bench.BenchCase;
import dev.attend.cli.bench.report.ReportWriter;
import dev.attend.cli.bench.BenchSuite;
import dev.attend.cli.bench.FakeCase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole command on a fake suite: peaks, timing, files, exit code. */
class BenchCommandTest {

    @Test
    void fakeSuiteWritesResultsAndSummary(@TempDir Path dir) throws Exception {
        BenchSuite.register("test-fake", quick -> List.of(
                new FakeCase("fake", Workload.Pass.FORWARD, 1e6, 0, false),
                new FakeCase("fake", Workload.Pass.DECODE, 1e6, 1e6, false)));
        MainTest.Run r = MainTest.run("bench", "--suite", "test-fake", "--quick", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| fake |"), r.out());
        JsonNode j = new ObjectMapper().readTree(dir.resolve(ReportWriter.RESULTS_JSON).toFile());
        assertEquals("test-fake", j.get("suite").asText());
        assertTrue(j.get("machine").get("fma_gflops").asDouble() > 0);
        assertEquals(2, j.get("results").size());
        assertTrue(Files.readString(dir.resolve(ReportWriter.SUMMARY)).contains("| mechanism |"));
    }

    @Test
    void aFailingCaseIsReportedAndTheExitCodeSaysSo(@TempDir Path dir) throws Exception {
        BenchSuite.register("test-failing", quick -> List.of(
                new FakeCase("ok", Workload.Pass.FORWARD, 1e6, 0, false),
                new FakeCase("broken", Workload.Pass.FORWARD, 1e6, 0, true)));
        MainTest.Run r = MainTest.run("bench", "--suite", "test-failing", "--quick", "--out", dir.toString());
        assertEquals(Main.EXIT_FAILURE, r.code());
        JsonNode results = new ObjectMapper().readTree(dir.resolve(ReportWriter.RESULTS_JSON).toFile()).get("results");
        assertEquals("ok", results.get(0).get("status").asText());
        assertTrue(results.get(0).get("reason").isNull());
        assertEquals("error", results.get(1).get("status").asText());
        assertTrue(results.get(1).get("reason").asText().contains("planted failure"), results.toString());
    }

    @Test
    void theReportIsWrittenAsTheRunGoesAndResumeSkipsWhatIsDone(@TempDir Path dir) throws Exception {
        // The second case looks at the files while the run is still going: the first case is already in them.
        boolean[] sawPartial = {false};
        BenchCase peeking = new FakeCase("peek", "peek", Workload.Pass.FORWARD, 1e6, 0, false) {
            @Override
            public java.util.function.Supplier<?> setup() {
                try {
                    JsonNode partial = new ObjectMapper().readTree(dir.resolve(ReportWriter.RESULTS_JSON).toFile());
                    sawPartial[0] = partial.get("results").size() == 1 && partial.get("schema").asInt() == 1;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return super.setup();
            }
        };
        BenchSuite.register("test-partial", quick -> List.of(new FakeCase("fake", Workload.Pass.FORWARD, 1e6, 0, false), peeking));
        MainTest.Run r = MainTest.run("bench", "--suite", "test-partial", "--quick", "--out", dir.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(sawPartial[0], "results.json held the first case while the second was measured");
        // Resume: nothing left to measure, the records stay.
        MainTest.Run again = MainTest.run("bench", "--suite", "test-partial", "--quick", "--resume", dir.toString(), "--no-progress");
        assertEquals(0, again.code(), again.err());
        assertEquals(2, new ObjectMapper().readTree(dir.resolve(ReportWriter.RESULTS_JSON).toFile()).get("results").size());
        assertFalse(again.err().contains("[1/2]"), "no case measured again: " + again.err());
    }

    @Test
    void listAndFilterNeedNoMeasurement() {
        MainTest.Run r = MainTest.run("bench", "--suite", "exact", "--list", "--quick", "--filter", "DECODE");
        assertEquals(0, r.code(), r.err());
        // one decode case per KV format, plus the scalar peer
        assertEquals(dev.attend.attention.decode.KvCache.FORMATS.size() + 1, r.out().lines().filter(l -> l.startsWith("exact: ")).count(), r.out());
        assertTrue(r.out().contains("scalar causal-br decode"), r.out());
        assertTrue(r.out().contains("decode-q8_0 causal-br decode"), r.out());
        MainTest.Run none = MainTest.run("bench", "--list", "--filter", "no-such-case");
        assertEquals(Main.EXIT_USAGE, none.code());
        assertEquals(1, none.errLines(), none.err());
    }
}
