package dev.attend.cli.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attend.cli.bench.BenchResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code results.csv}: the header, RFC 4180 quoting, and every field read back as written. */
class ResultsCsvTest {
    @TempDir
    Path dir;

    @Test
    void theHeaderIsTheRecordColumnsThenParams() {
        List<String> header = new ArrayList<>(BenchResult.csvColumns());
        header.add("params");
        assertEquals(header, ResultsCsv.header());
        assertTrue(!header.contains("times_ms"));
    }

    @Test
    void fieldsWithCommasQuotesAndLineBreaksAreQuotedAndReadBack() throws IOException {
        BenchResult awkward = SyntheticRuns.failed("kernels", "flash \"doc\" L=1K", SyntheticRuns.FLASH, "attend", true, "document:512,512", "document",
                "NONCAUSAL_SELF", "forward", 1, 2, 2, 1024, 1024, 64, BenchResult.Status.ERROR, "line one\nline two, with \"quotes\"");
        BenchRun run = SyntheticRuns.tiny();
        List<BenchResult> rs = new ArrayList<>(run.results());
        rs.add(awkward);
        ReportWriter.write(dir, new BenchRun(run.suite(), run.command(), run.machine(), run.peakSamples(), rs, run.warnings()), false);
        String csv = Files.readString(dir.resolve(ReportWriter.RESULTS_CSV), StandardCharsets.UTF_8);
        assertTrue(csv.endsWith("\r\n"), "RFC 4180 ends lines with CRLF");
        List<List<String>> rows = parse(csv);
        assertEquals(ResultsCsv.header(), rows.get(0));
        assertEquals(rs.size() + 1, rows.size());
        for (List<String> row : rows) assertEquals(rows.get(0).size(), row.size(), "every row has every column: " + row);
        List<String> last = rows.get(rows.size() - 1);
        List<String> h = rows.get(0);
        assertEquals("flash \"doc\" L=1K", last.get(h.indexOf("name")));
        assertEquals("document:512,512", last.get(h.indexOf("mask")));
        assertEquals("line one\nline two, with \"quotes\"", last.get(h.indexOf("reason")));
        assertEquals("error", last.get(h.indexOf("status")));
        assertEquals("", last.get(h.indexOf("median_ms")), "null is an empty field");
        assertTrue(csv.contains("\"line one\nline two, with \"\"quotes\"\"\""), "quotes are doubled inside a quoted field");
        List<String> first = rows.get(1);
        assertEquals("blockQ=96;blockK=96", first.get(h.indexOf("params")));
        assertEquals("256", first.get(h.indexOf("Lk")));
        BenchResult r = run.results().get(0);
        assertEquals(r.toMap().get("median_ms"), Double.parseDouble(first.get(h.indexOf("median_ms"))));
    }

    @Test
    void quoteLeavesPlainFieldsAlone() {
        assertEquals("causal", ResultsCsv.quote("causal"));
        assertEquals("\"a,b\"", ResultsCsv.quote("a,b"));
        assertEquals("\"say \"\"hi\"\"\"", ResultsCsv.quote("say \"hi\""));
        assertEquals("\"cr\rlf\"", ResultsCsv.quote("cr\rlf"));
    }

    @Test
    void paramsAreKeyEqualsValueInTheRecordsOrder() {
        BenchResult r = new BenchResult("kernels", "n", "m:y=2,x=0.5", "attend", SyntheticRuns.params("y", 2, "x", 0.5), true, "full", "full",
                "NONCAUSAL_SELF", "forward", 1, 1, 1, 1, 1, 1, BenchResult.Status.UNSUPPORTED, "r", null, null, null, null, null, null, null, null, null,
                null, null, null);
        List<List<String>> rows = parse(ResultsCsv.render(List.of(r)));
        assertEquals("y=2;x=0.5", rows.get(1).get(rows.get(0).indexOf("params")));
    }

    /** An RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks. */
    static List<List<String>> parse(String csv) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < csv.length(); i++) {
            char c = csv.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < csv.length() && csv.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                row.add(field.toString());
                field.setLength(0);
            } else if (c == '\r' && i + 1 < csv.length() && csv.charAt(i + 1) == '\n') {
                row.add(field.toString());
                field.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
                i++;
            } else {
                field.append(c);
            }
        }
        return rows;
    }
}
