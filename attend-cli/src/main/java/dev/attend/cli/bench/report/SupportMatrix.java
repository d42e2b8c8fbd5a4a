package dev.attend.cli.bench.report;

import dev.attend.cli.bench.BenchResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What each mechanism computes and how well: rows are mechanism and pass ({@code flash (forward)}), columns are
 * pattern and mask kind ({@code causal self / sliding}), and a cell is
 * <ul>
 *   <li>a figure when the mechanism ran there: its % of the FMA peak (decode: % of the read bandwidth) at the
 *       longest length it ran in that cell, e.g. {@code 52% @8K}; {@code ok} when the record has no rate;</li>
 *   <li>{@code X} when every case there was unsupported (the descriptor's reasons are in {@link #unsupported()});</li>
 *   <li>{@code E} when every case there failed (the messages are in {@link #errors()}); a cell with a figure and
 *       also failures at some length reads {@code 52% @8K, E}.</li>
 * </ul>
 * Records of measured error without a timing (the fidelity suite) are left out: they say nothing about speed.
 * Cost: one pass over the records.
 *
 * @param rows        row labels in order (pass order, then first appearance)
 * @param columns     column labels in pattern order, then first appearance of the mask kind
 * @param cells       row label to column label to cell; a missing cell was not measured
 * @param unsupported each distinct reason for an X, with the rows it applies to ({@code reason (rows)})
 * @param errors      each distinct error message, with the cases that hit it
 */
public record SupportMatrix(List<String> rows, List<String> columns, Map<String, Map<String, Cell>> cells,
                            List<String> unsupported, List<String> errors) {

    /** What a cell shows. */
    public enum Kind { OK, UNSUPPORTED, ERROR }

    /**
     * One cell: its kind, its text, the reasons (X) or messages (E) behind it, and the figure shown (% of peak or
     * of bandwidth; null when none) with the length it was taken at.
     */
    public record Cell(Kind kind, String text, List<String> reasons, Double figure, Integer length) {}

    /** The matrix of {@code run}. */
    public static SupportMatrix of(BenchRun run) {
        Map<String, Map<String, List<BenchResult>>> grouped = new LinkedHashMap<>();
        Set<String> columns = new LinkedHashSet<>();
        List<BenchResult> rs = run.results().stream()
                .filter(r -> r.status() != BenchResult.Status.OK || r.timing() != null)
                .sorted(Comparator.comparingInt((BenchResult r) -> passOrder(r.pass()))).toList();
        for (BenchResult r : rs) {
            grouped.computeIfAbsent(row(r), k -> new LinkedHashMap<>()).computeIfAbsent(column(r), k -> new ArrayList<>()).add(r);
        }
        rs.stream().sorted(Comparator.comparingInt((BenchResult r) -> patternOrder(r.pattern()))).forEach(r -> columns.add(column(r)));

        Map<String, List<String>> reasonRows = new LinkedHashMap<>(), errorCases = new LinkedHashMap<>();
        Map<String, Map<String, Cell>> cells = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, List<BenchResult>>> row : grouped.entrySet()) {
            Map<String, Cell> out = new LinkedHashMap<>();
            for (Map.Entry<String, List<BenchResult>> col : row.getValue().entrySet()) {
                out.put(col.getKey(), cell(col.getValue()));
                for (BenchResult r : col.getValue()) {
                    String why = r.reason() == null ? "(no reason given)" : r.reason();
                    if (r.status() == BenchResult.Status.UNSUPPORTED) addOnce(reasonRows.computeIfAbsent(why, k -> new ArrayList<>()), row.getKey());
                    if (r.status() == BenchResult.Status.ERROR) {
                        addOnce(errorCases.computeIfAbsent(why, k -> new ArrayList<>()),
                                row.getKey() + " " + r.mask() + " " + lengths(r) + (r.suite() == null ? "" : " in suite " + r.suite()));
                    }
                }
            }
            cells.put(row.getKey(), out);
        }
        List<String> unsupported = new ArrayList<>(), errors = new ArrayList<>();
        reasonRows.forEach((why, rows) -> unsupported.add(why + " (" + String.join(", ", rows) + ")"));
        errorCases.forEach((why, cases) -> errors.add(why + " (" + String.join(", ", cases) + ")"));
        return new SupportMatrix(List.copyOf(grouped.keySet()), List.copyOf(columns), cells, unsupported, errors);
    }

    /** The cell of one (row, column): a figure beats E beats X, since a figure says the mechanism does run there. */
    private static Cell cell(List<BenchResult> rs) {
        List<BenchResult> ok = rs.stream().filter(Workloads::timed).toList();
        List<String> errs = Workloads.distinct(rs.stream().filter(r -> r.status() == BenchResult.Status.ERROR).map(SupportMatrix::why).toList());
        List<String> xs = Workloads.distinct(rs.stream().filter(r -> r.status() == BenchResult.Status.UNSUPPORTED).map(SupportMatrix::why).toList());
        if (!ok.isEmpty()) {
            int longest = ok.stream().mapToInt(BenchResult::kLen).max().orElseThrow();
            boolean decode = ok.get(0).pass().equals("decode");
            Double best = null;
            for (BenchResult r : ok) {
                Double f = decode ? r.pctBw() : r.pctPeak();
                if (r.kLen() == longest && f != null && (best == null || f > best)) best = f;
            }
            String text = best == null ? "ok" : String.format(java.util.Locale.ROOT, "%.0f%%%s @%s", best, decode ? " bw" : "", Fmt.len(longest));
            if (!errs.isEmpty()) text += ", E";
            return new Cell(Kind.OK, text, errs, best, longest);
        }
        if (!errs.isEmpty()) return new Cell(Kind.ERROR, "E", errs, null, null);
        return new Cell(Kind.UNSUPPORTED, "X", xs, null, null);
    }

    private static String why(BenchResult r) {
        return r.reason() == null ? "(no reason given)" : r.reason();
    }

    static String row(BenchResult r) {
        return r.mechanism() + " (" + r.pass() + ")";
    }

    static String column(BenchResult r) {
        return Fmt.pattern(r.pattern()) + " / " + Workloads.maskKind(r);
    }

    private static String lengths(BenchResult r) {
        return r.qLen() == r.kLen() ? "L=" + Fmt.len(r.kLen()) : "Lq=" + Fmt.len(r.qLen()) + " Lk=" + Fmt.len(r.kLen());
    }

    private static int passOrder(String pass) {
        int i = Workloads.PASSES.indexOf(pass);
        return i < 0 ? Workloads.PASSES.size() : i;
    }

    private static int patternOrder(String pattern) {
        int i = Workloads.PATTERNS.indexOf(pattern);
        return i < 0 ? Workloads.PATTERNS.size() : i;
    }

    private static void addOnce(List<String> xs, String x) {
        if (!xs.contains(x)) xs.add(x);
    }
}
