package dev.attend.cli;

import dev.attend.attention.Workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attend.cli.bench.BenchCase;
import dev.attend.cli.bench.BenchReport;
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
        JsonNode j = new ObjectMapper().readTree(dir.resolve(BenchReport.RESULTS).toFile());
        assertEquals("test-fake", j.get("suite").asText());
        assertTrue(j.get("machine").get("fma_gflops").asDouble() > 0);
        assertEquals(2, j.get("results").size());
        assertTrue(Files.readString(dir.resolve(BenchReport.SUMMARY)).contains("| mechanism |"));
    }

    @Test
    void aFailingCaseIsReportedAndTheExitCodeSaysSo(@TempDir Path dir) throws Exception {
        BenchSuite.register("test-failing", quick -> List.of(
                new FakeCase("ok", Workload.Pass.FORWARD, 1e6, 0, false),
                new FakeCase("broken", Workload.Pass.FORWARD, 1e6, 0, true)));
        MainTest.Run r = MainTest.run("bench", "--suite", "test-failing", "--quick", "--out", dir.toString());
        assertEquals(Main.EXIT_FAILURE, r.code());
        JsonNode results = new ObjectMapper().readTree(dir.resolve(BenchReport.RESULTS).toFile()).get("results");
        assertTrue(results.get(0).get("error").isNull());
        assertTrue(results.get(1).get("error").asText().contains("planted failure"), results.toString());
    }

    @Test
    void listAndFilterNeedNoMeasurement() {
        MainTest.Run r = MainTest.run("bench", "--list", "--quick", "--filter", "DECODE");
        assertEquals(0, r.code(), r.err());
        // one decode case per KV format, plus the scalar peer
        assertEquals(4, r.out().lines().count(), r.out());
        assertTrue(r.out().contains("scalar causal-br decode"), r.out());
        assertTrue(r.out().contains("decode-q8_0 causal-br decode"), r.out());
        MainTest.Run none = MainTest.run("bench", "--list", "--filter", "no-such-case");
        assertEquals(Main.EXIT_USAGE, none.code());
        assertEquals(1, none.errLines(), none.err());
    }
}
