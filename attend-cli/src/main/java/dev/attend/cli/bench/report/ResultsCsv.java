package dev.attend.cli.bench.report;

import dev.attend.cli.bench.BenchResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code results.csv}: one row per record. The header is {@link BenchResult#csvColumns()} followed by
 * {@code params}, written as {@code k=v;k=v} in the record's order. Fields follow RFC 4180: CRLF line ends, and a
 * field holding a comma, a double quote, CR or LF is quoted with its quotes doubled. Null is an empty field;
 * numbers are written as Java writes doubles ({@code 1.0E9} parses in every CSV reader), integral values without a
 * fraction. Cost: O(records x columns).
 */
final class ResultsCsv {
    private ResultsCsv() {}

    static List<String> header() {
        List<String> h = new ArrayList<>(BenchResult.csvColumns());
        h.add("params");
        return h;
    }

    static String render(List<BenchResult> results) {
        List<String> header = header();
        StringBuilder b = new StringBuilder();
        row(b, header);
        for (BenchResult r : results) {
            Map<String, Object> m = r.toMap();
            List<String> fields = new ArrayList<>();
            for (String k : header) fields.add(k.equals("params") ? params(r.params()) : value(m.get(k)));
            row(b, fields);
        }
        return b.toString();
    }

    private static String params(Map<String, Object> params) {
        if (params == null) return "";
        List<String> kv = new ArrayList<>();
        params.forEach((k, v) -> kv.add(k + "=" + value(v)));
        return String.join(";", kv);
    }

    private static String value(Object v) {
        if (v == null) return "";
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString(d.longValue());
        return String.valueOf(v);
    }

    private static void row(StringBuilder b, List<String> fields) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) b.append(',');
            b.append(quote(fields.get(i)));
        }
        b.append("\r\n");
    }

    /** RFC 4180: quote a field holding a comma, quote or line break, doubling its quotes. */
    static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
