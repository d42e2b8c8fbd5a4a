package dev.attend.cli.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attend.cli.bench.BenchResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code results.json} against its contract, {@code docs/bench-results.md}: the fields and types are read from the
 * document's tables, so the writer, the reader and the document cannot drift apart.
 */
class BenchResultsSchemaTest {
    private static final Path DOC = Path.of("..", "docs", "bench-results.md");

    @TempDir
    Path dir;

    @Test
    void everyDocumentedFieldIsInEveryRecordWithItsDocumentedType() throws IOException {
        Map<String, String> types = documentedRecordFields();
        assertTrue(types.size() > 40, "expected the record table of " + DOC + ", parsed " + types);
        Map<String, Object> root = written(SyntheticRuns.realistic());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> records = (List<Map<String, Object>>) root.get("results");
        assertFalse(records.isEmpty());
        for (Map<String, Object> rec : records) {
            assertEquals(types.keySet(), rec.keySet(), "a record's fields must be exactly the documented ones: " + rec.get("name"));
            for (Map.Entry<String, String> f : types.entrySet()) {
                Object v = rec.get(f.getKey());
                if (v != null) assertTrue(hasType(v, f.getValue()), rec.get("name") + ": " + f.getKey() + " should be " + f.getValue() + ", is " + v);
            }
        }
        // Each kind of record fills the fields the document says apply to it.
        Map<String, Object> timed = find(records, "flash causal forward L=4096"), fidelity = find(records, "flash fidelity gaussian");
        for (String k : List.of("runs", "median_ms", "p20_ms", "p80_ms", "min_ms", "cv", "times_ms", "gflops", "pct_peak")) {
            assertTrue(timed.get(k) != null, "a timed record has " + k);
        }
        for (String k : List.of("fidelity_family", "rel_frobenius_error", "max_abs_error")) assertTrue(fidelity.get(k) != null, "a fidelity record has " + k);
        Map<String, Object> x = find(records, "onnx sliding L=4096");
        assertEquals("unsupported", x.get("status"));
        assertEquals("onnx: no operator takes a sliding-window mask", x.get("reason"));
    }

    @Test
    void theTopLevelAndTheMachineBlockAreTheDocumentedOnes() throws IOException {
        Map<String, Object> root = written(SyntheticRuns.realistic());
        assertEquals(List.of("schema", "suite", "command", "machine", "peak_samples", "results", "warnings"), List.copyOf(root.keySet()));
        assertEquals(1, root.get("schema"));
        String doc = Files.readString(DOC);
        String machine = doc.substring(doc.indexOf("## The machine block"), doc.indexOf("## Peak samples"));
        List<String> documented = backticked(machine);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) root.get("machine");
        for (String k : documented) assertTrue(m.containsKey(k), "machine block lacks documented " + k + ": " + m.keySet());
        String samples = doc.substring(doc.indexOf("## Peak samples"), doc.indexOf("## A record"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> ss = (List<Map<String, Object>>) root.get("peak_samples");
        for (String k : backticked(samples)) if (!k.equals("peak_samples")) assertTrue(ss.get(0).containsKey(k), "peak sample lacks " + k);
    }

    @Test
    void aWrittenRunReadsBackTheSame() throws IOException {
        BenchRun run = SyntheticRuns.realistic();
        ReportWriter.write(dir, run, false);
        BenchRun back = ReportReader.read(dir.resolve(ReportWriter.RESULTS_JSON));
        assertEquals(run.suite(), back.suite());
        assertEquals(run.command(), back.command());
        assertEquals(run.machine(), back.machine());
        assertEquals(run.peakSamples(), back.peakSamples());
        assertEquals(run.warnings(), back.warnings());
        assertEquals(run.results().size(), back.results().size());
        for (int i = 0; i < run.results().size(); i++) assertEquals(run.results().get(i).toMap(), back.results().get(i).toMap(), "record " + i);
        // And once more: what was read writes the same file.
        assertEquals(ReportWriter.json(run), ReportWriter.json(back));
    }

    @Test
    void unknownFieldsAreIgnoredAndMissingNullableOnesReadAsNull() throws IOException {
        Map<String, Object> root = written(SyntheticRuns.tiny());
        root.put("added_by_a_newer_writer", List.of(1, 2));
        @SuppressWarnings("unchecked")
        Map<String, Object> rec = ((List<Map<String, Object>>) root.get("results")).get(0);
        rec.put("future_field", "x");
        rec.remove("variant");
        rec.remove("times_ms");
        Path f = dir.resolve("results.json");
        new ObjectMapper().writeValue(f.toFile(), root);
        BenchRun back = ReportReader.read(f);
        BenchResult r = back.results().get(0);
        assertEquals(null, r.variant());
        assertEquals(List.of(), r.timing().timesMs());
        assertEquals(SyntheticRuns.tiny().results().get(0).timing().medianMs(), r.timing().medianMs(), 1e-3);
    }

    @Test
    void anotherSchemaVersionIsRefusedNamingTheFileAndBothVersions() throws IOException {
        Map<String, Object> root = written(SyntheticRuns.tiny());
        root.put("schema", 2);
        Path f = dir.resolve("old.json");
        new ObjectMapper().writeValue(f.toFile(), root);
        IOException e = assertThrows(IOException.class, () -> ReportReader.read(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("schema version 2") && e.getMessage().contains("schema 1"),
                e.getMessage());
        root.remove("schema");
        new ObjectMapper().writeValue(f.toFile(), root);
        e = assertThrows(IOException.class, () -> ReportReader.read(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("no \"schema\" field"), e.getMessage());
    }

    @Test
    void aWrongTypeIsRefusedNamingTheRecordTheFieldAndBothTypes() throws IOException {
        Map<String, Object> root = written(SyntheticRuns.tiny());
        @SuppressWarnings("unchecked")
        Map<String, Object> rec = ((List<Map<String, Object>>) root.get("results")).get(1);
        rec.put("Lk", "long");
        Path f = dir.resolve("bad.json");
        new ObjectMapper().writeValue(f.toFile(), root);
        IOException e = assertThrows(IOException.class, () -> ReportReader.read(f));
        assertTrue(e.getMessage().contains("results[1]") && e.getMessage().contains("\"Lk\"") && e.getMessage().contains("expected an integer")
                && e.getMessage().contains("\"long\""), e.getMessage());
        Files.writeString(f, "{\"schema\": 1, \"results\": [");
        e = assertThrows(IOException.class, () -> ReportReader.read(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void nonFiniteErrorsRoundTrip() throws IOException {
        BenchResult nan = SyntheticRuns.fidelity("nan case", "hyper:samples=8", SyntheticRuns.params("samples", 8), false, "needle", "samples", 8.0,
                Double.NaN);
        BenchRun run = new BenchRun("fidelity", "attend bench", SyntheticRuns.machine(false), List.of(), List.of(nan), List.of());
        ReportWriter.write(dir, run, false);
        BenchResult back = ReportReader.read(dir.resolve(ReportWriter.RESULTS_JSON)).results().get(0);
        assertTrue(Double.isNaN(back.fidelity().relFrobenius()));
    }

    // The document's record table: `name` (or several names) | type | meaning. ---------------------------------

    private static Map<String, String> documentedRecordFields() throws IOException {
        String doc = Files.readString(DOC);
        String table = doc.substring(doc.indexOf("## A record"));
        Map<String, String> types = new LinkedHashMap<>();
        for (String line : table.split("\n")) {
            if (!line.startsWith("| `")) continue;
            String[] cells = line.split("\\|");
            List<String> names = new ArrayList<>();
            for (String group : backticked(cells[1])) for (String n : group.split(",")) names.add(n.strip());
            String[] ts = cells[2].strip().split(",\\s*");
            for (int i = 0; i < names.size(); i++) types.put(names.get(i), ts.length == names.size() ? ts[i] : ts[0]);
        }
        return types;
    }

    private static List<String> backticked(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("`([^`]+)`").matcher(s);
        while (m.find()) for (String part : m.group(1).split(",\\s*")) out.add(part.strip());
        return out;
    }

    private static boolean hasType(Object v, String type) {
        return switch (type) {
            case "string" -> v instanceof String;
            case "bool" -> v instanceof Boolean;
            case "int" -> v instanceof Integer || v instanceof Long;
            case "number" -> v instanceof Number;
            case "number[]" -> v instanceof List<?> l && l.stream().allMatch(x -> x instanceof Number);
            case "object" -> v instanceof Map;
            default -> throw new AssertionError("type " + type + " in " + DOC + " is not one this test knows");
        };
    }

    private Map<String, Object> written(BenchRun run) throws IOException {
        ReportWriter.write(dir, run, false);
        @SuppressWarnings("unchecked")
        Map<String, Object> root = new ObjectMapper().readValue(dir.resolve(ReportWriter.RESULTS_JSON).toFile(), LinkedHashMap.class);
        return root;
    }

    private static Map<String, Object> find(List<Map<String, Object>> records, String name) {
        return records.stream().filter(r -> name.equals(r.get("name"))).findFirst().orElseThrow(() -> new AssertionError("no record " + name));
    }
}
