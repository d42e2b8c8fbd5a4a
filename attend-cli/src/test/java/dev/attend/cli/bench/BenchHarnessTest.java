package dev.attend.cli.bench;

import dev.attend.attention.Workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attend.cli.MachineInfo;
import dev.attend.simd.MachinePeak;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner and report on fake cases and a fixed, made-up peak (so no measurement runs). */
class BenchHarnessTest {
    private static final MachinePeak.Result PEAK = new MachinePeak.Result(2, 256, 90, 180, 20);
    private static final BenchRunner.Settings FAST = new BenchRunner.Settings(1, 0, 3, 5, 0);

    @Test
    void ratesAreComputedWhereTheyApplyAndNullElsewhere() {
        List<String> log = new ArrayList<>();
        List<BenchRunner.Measurement> ms = new BenchRunner(FAST, log::add, false).run(List.of(
                new FakeCase("fake", Workload.Pass.FORWARD, 2e6, 0, false),
                new FakeCase("fake", Workload.Pass.DECODE, 1e6, 4e6, false),
                new FakeCase("fake", Workload.Pass.FORWARD, 1e6, 0, true)), () -> PEAK).measurements();
        assertEquals(3, ms.size());
        List<String> results = log.stream().filter(l -> l.startsWith("[")).toList();
        assertEquals(3, results.size(), log.toString());
        assertTrue(log.stream().filter(l -> l.startsWith("timed round")).count() >= 3, log.toString());
        BenchRunner.Measurement fwd = ms.get(0), dec = ms.get(1), bad = ms.get(2);
        assertTrue(fwd.runs() >= 3 && fwd.runs() <= 5);
        assertTrue(fwd.medianMs() > 0 && fwd.minMs() <= fwd.medianMs());
        assertEquals(2e6 / (fwd.medianMs() * 1e6), fwd.gflops(), 1e-12);
        assertEquals(100 * fwd.gflops() / 180, fwd.pctPeak(), 1e-9);
        assertNull(fwd.gbps());
        assertNull(fwd.pctBw());
        assertEquals(100 * dec.gbps() / 20, dec.pctBw(), 1e-9);
        assertNotNull(bad.error());
        assertNull(bad.gflops());
        assertTrue(results.get(2).contains("failed: IllegalStateException: planted failure"), results.get(2));
    }

    @Test
    void percentagesAreAgainstTheMedianOfThePeakSamples() {
        double[] gflops = {100, 400, 200};
        int[] call = {0};
        BenchRunner.Run run = new BenchRunner(new BenchRunner.Settings(0, 0, 3, 3, 0), null, false).run(
                List.of(new FakeCase("fake", Workload.Pass.FORWARD, 2e6, 0, false)),
                () -> new MachinePeak.Result(2, 256, 90, gflops[call[0]++ % 3], 20));
        assertEquals(3, run.peakSamples().size());
        assertEquals(200, run.peak().fmaGflops());
        BenchRunner.Measurement m = run.measurements().get(0);
        assertEquals(100 * m.gflops() / 200, m.pctPeak(), 1e-9);
    }

    @Test
    void reportWritesValidJsonAndMarkdown(@TempDir Path dir) throws Exception {
        List<BenchRunner.Measurement> ms = new BenchRunner(FAST, null, false).run(List.of(
                new FakeCase("fake", Workload.Pass.FORWARD, 2e6, 0, false),
                new FakeCase("fake", Workload.Pass.DECODE, 1e6, 4e6, false),
                new FakeCase("fake", Workload.Pass.FORWARD, 1e6, 0, true)), () -> PEAK).measurements();
        MachineInfo machine = MachineInfo.current(PEAK);
        String md = BenchReport.write(dir.resolve("out"), "fake-suite", machine, "2025-01-01T00:00:00Z", ms);

        JsonNode root = new ObjectMapper().readTree(dir.resolve("out").resolve(BenchReport.RESULTS).toFile());
        JsonNode m = root.get("machine");
        assertEquals(180.0, m.get("fma_gflops").asDouble());
        assertEquals(90.0, m.get("fma_gflops_1t").asDouble());
        assertEquals(20.0, m.get("read_gbps").asDouble());
        assertEquals(2, m.get("threads").asInt());
        assertEquals("2025-01-01T00:00:00Z", m.get("date").asText());
        for (String key : new String[] {"jdk", "cpu", "vector_bits"}) assertTrue(m.hasNonNull(key), key);

        JsonNode rs = root.get("results");
        assertEquals(3, rs.size());
        JsonNode fwd = rs.get(0);
        for (String key : new String[] {"mechanism", "mask", "B", "Hq", "Hkv", "Lq", "Lk", "D", "pass", "median_ms", "gflops", "pct_peak"}) {
            assertTrue(fwd.hasNonNull(key), key + " in " + fwd);
        }
        assertEquals("forward", fwd.get("pass").asText());
        assertEquals(4, fwd.get("Hq").asInt());
        assertEquals(2, fwd.get("Hkv").asInt());
        assertTrue(fwd.has("gbps") && fwd.get("gbps").isNull());
        assertTrue(fwd.has("pct_bw") && fwd.get("pct_bw").isNull());
        assertTrue(rs.get(1).get("gbps").asDouble() > 0 && rs.get(1).get("pct_bw").asDouble() > 0);
        assertTrue(rs.get(2).get("median_ms").isNull());
        assertTrue(rs.get(2).get("error").asText().contains("planted failure"));

        String file = Files.readString(dir.resolve("out").resolve(BenchReport.SUMMARY));
        assertEquals(md, file);
        List<String> rows = file.lines().filter(l -> l.startsWith("| fake |")).toList();
        assertEquals(3, rows.size(), file);
        assertTrue(rows.get(2).contains("failed"), rows.get(2));
        long columns = file.lines().filter(l -> l.startsWith("| mechanism")).findFirst().orElseThrow().chars().filter(c -> c == '|').count();
        for (String row : rows) assertEquals(columns, row.chars().filter(c -> c == '|').count(), row);
    }

    @Test
    void exactSuiteHasTheScalarBaseline() {
        List<BenchCase> cases = BenchSuite.named("exact").cases(true);
        assertTrue(cases.stream().anyMatch(c -> c.mechanism().equals("scalar") && c.pass() == Workload.Pass.FORWARD));
        assertTrue(cases.stream().anyMatch(c -> c.mechanism().equals("scalar") && c.pass() == Workload.Pass.DECODE && c.bytes() > 0));
    }
}
