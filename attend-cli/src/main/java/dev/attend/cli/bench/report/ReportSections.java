package dev.attend.cli.bench.report;

import dev.attend.cli.bench.BenchResult;
import dev.attend.cli.bench.report.ReportDoc.Block;
import dev.attend.cli.bench.report.ReportDoc.Bullets;
import dev.attend.cli.bench.report.ReportDoc.Cell;
import dev.attend.cli.bench.report.ReportDoc.Charts;
import dev.attend.cli.bench.report.ReportDoc.Heading;
import dev.attend.cli.bench.report.ReportDoc.Para;
import dev.attend.cli.bench.report.ReportDoc.Table;
import dev.attend.cli.bench.report.Workloads.Workload;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The report's content, shared by {@code summary.md} and {@code index.html}: the machine and its peaks, then
 * (a) the results of each pass, (b) the support matrix, (c) Attend and peers side by side, (d) fidelity,
 * (e) recommendations, (f) efficiency lengths and (g) warnings. Cost: a few passes over the records.
 */
final class ReportSections {
    private ReportSections() {}

    static List<Block> build(BenchRun run) {
        List<Block> out = new ArrayList<>();
        header(run, out);
        results(run, out);
        support(run, out);
        peers(run, out);
        fidelity(run, out);
        recommendations(run, out);
        efficiency(run, out);
        warnings(run, out);
        return out;
    }

    private static void header(BenchRun run, List<Block> out) {
        Map<String, Object> m = run.machine();
        out.add(new Heading(1, "Attend benchmark: " + (run.suite() == null ? "run" : run.suite()), "top"));
        List<String> about = new ArrayList<>();
        if (run.command() != null) about.add("`" + run.command() + "`");
        if (m.get("date") != null) about.add(String.valueOf(m.get("date")));
        if (m.get("attend_version") != null) about.add("Attend " + m.get("attend_version"));
        about.add(run.results().size() + " cases");
        out.add(new Para(String.join(" · ", about)));
        List<String> machine = new ArrayList<>();
        if (m.get("cpu") != null) machine.add(m.get("cpu") + (m.get("logical_processors") == null ? "" : ", " + m.get("logical_processors") + " logical processors"));
        if (m.get("jdk") != null) machine.add("JDK " + m.get("jdk") + (m.get("jdk_vendor") == null ? "" : " (" + m.get("jdk_vendor") + ")"));
        if (m.get("threads") != null) machine.add(m.get("threads") + " worker threads");
        if (m.get("vector_bits") != null) {
            machine.add(m.get("vector_bits") + "-bit vectors" + (m.get("vector_floats") == null ? "" : " (" + m.get("vector_floats") + " floats)"));
        }
        if (m.get("os") != null) machine.add(m.get("os") + (m.get("arch") == null ? "" : " " + m.get("arch")));
        if (m.get("max_heap_bytes") instanceof Number h) machine.add(Fmt.bytes(h.longValue()) + " max heap");
        out.add(new Para("**Machine**: " + (machine.isEmpty() ? "not recorded" : String.join("; ", machine)) + "."));
        Peaks p = Peaks.of(run);
        if (p.fma() == null && p.read() == null) {
            out.add(new Para("**Peaks**: not measured in this run, so there are no percentages of peak."));
        } else {
            StringBuilder b = new StringBuilder("**Peaks measured in this run**");
            if (p.samples() > 0) b.append(" (medians of ").append(p.samples()).append(p.samples() == 1 ? " sample" : " samples").append(")");
            b.append(": FMA ");
            if (p.fma1t() != null) b.append(String.format(Locale.ROOT, "%.1f GFLOP/s on 1 thread, ", p.fma1t()));
            if (p.fma() != null) {
                b.append(String.format(Locale.ROOT, "%.1f GFLOP/s on %s", p.fma(), p.threads() == null ? "all threads" : p.threads() + " threads"));
                if (p.fmaMin() != null && p.samples() > 1) b.append(String.format(Locale.ROOT, " (samples %.1f..%.1f)", p.fmaMin(), p.fmaMax()));
            }
            if (p.read() != null) {
                b.append(String.format(Locale.ROOT, "; read bandwidth %.1f GB/s", p.read()));
                if (p.readMin() != null && p.samples() > 1) b.append(String.format(Locale.ROOT, " (samples %.1f..%.1f)", p.readMin(), p.readMax()));
            }
            b.append(". Every % peak below is against the all-threads FMA peak, every % bw against the read bandwidth.");
            out.add(new Para(b.toString()));
        }
    }

    // (a) -----------------------------------------------------------------------------------------------------

    private static void results(BenchRun run, List<Block> out) {
        out.add(new Heading(2, "Results", "results"));
        out.add(new Para("Median of the timed runs; p20-p80 is that band's width as % of the median; GFLOP/s count the useful work of the "
                + "exact mask area (forward 4 x area x B x Hq x D, backward 2.5x); GB/s the bytes one call must read. "
                + "Cases marked unstable kept a wide spread after their time budget; remeasured ones were timed again at the end."));
        boolean any = false;
        for (String pass : passes(run)) {
            List<BenchResult> rs = run.results().stream().filter(r -> pass.equals(r.pass()) && Workloads.timed(r)).toList();
            if (rs.isEmpty()) continue;
            any = true;
            out.add(new Heading(3, pass + " (" + rs.size() + (rs.size() == 1 ? " case)" : " cases)"), "results-" + pass));
            out.add(new Charts("pass:" + pass));
            out.add(passTable(rs));
        }
        if (!any) out.add(new Para("No case was timed."));
        out.add(new Charts("results"));
    }

    private static Table passTable(List<BenchResult> rs) {
        List<String> header = List.of("mechanism", "mask", "pattern", "B", "Hq", "Hkv", "Lq", "Lk", "D", "median ms", "p20-p80 %", "cv",
                "GFLOP/s", "% peak", "GB/s", "% bw", "alloc/call", "note");
        List<List<Cell>> rows = new ArrayList<>();
        for (BenchResult r : rs) {
            BenchResult.Timing t = r.timing();
            double spread = 100 * (t.p80Ms() - t.p20Ms()) / t.medianMs();
            List<String> notes = new ArrayList<>();
            if (t.unstable()) notes.add("unstable");
            if (t.remeasured()) notes.add("remeasured");
            rows.add(List.of(Cell.of(r.mechanism()), Cell.of(r.mask()), Cell.of(Fmt.pattern(r.pattern())), num(r.batch()), num(r.qHeads()),
                    num(r.kvHeads()), num(r.qLen()), num(r.kLen()), num(r.headDim()), Cell.of(Fmt.ms(t.medianMs())), Cell.of(Fmt.num(spread, 1)),
                    Cell.of(Fmt.num(t.cv(), 3)), Cell.of(Fmt.num(r.gflops(), 1)), Cell.of(Fmt.num(r.pctPeak(), 1)), Cell.of(Fmt.num(r.gbps(), 1)),
                    Cell.of(Fmt.num(r.pctBw(), 1)), Cell.of(Fmt.bytes(r.allocBytesPerCall())),
                    new Cell(String.join(", ", notes), notes.contains("unstable") ? "warn" : null)));
        }
        List<Boolean> numeric = List.of(false, false, false, true, true, true, true, true, true, true, true, true, true, true, true, true, true, false);
        return dropEmptyColumns(new Table(header, numeric, rows, null), 9);
    }

    // (b) -----------------------------------------------------------------------------------------------------

    private static void support(BenchRun run, List<Block> out) {
        SupportMatrix sm = SupportMatrix.of(run);
        out.add(new Heading(2, "Support matrix", "support"));
        if (sm.rows().isEmpty()) {
            out.add(new Para("No case was timed or refused."));
            return;
        }
        out.add(new Para("Rows: mechanism (pass); columns: pattern / mask kind. A figure is the % of the FMA peak (decode: % of the read "
                + "bandwidth) at the longest length run in that cell, counting exact attention's FLOPs (so an approximate mechanism can pass "
                + "100%); X: not supported; E: failed (\"52% @64K, E\": failed at some other case of the cell); empty: not run."));
        List<String> header = new ArrayList<>();
        header.add("mechanism (pass)");
        header.addAll(sm.columns());
        List<List<Cell>> rows = new ArrayList<>();
        for (String row : sm.rows()) {
            List<Cell> cells = new ArrayList<>();
            cells.add(Cell.of(row));
            for (String col : sm.columns()) {
                SupportMatrix.Cell c = sm.cells().get(row).get(col);
                if (c == null) {
                    cells.add(Cell.of(""));
                } else {
                    String css = switch (c.kind()) {
                        case OK -> c.reasons().isEmpty() ? "ok" : "warn";
                        case UNSUPPORTED -> "x";
                        case ERROR -> "e";
                    };
                    cells.add(new Cell(c.text(), css));
                }
            }
            rows.add(cells);
        }
        List<Boolean> numeric = new ArrayList<>();
        for (int i = 0; i < header.size(); i++) numeric.add(i > 0);
        out.add(new Table(header, numeric, rows, "matrix"));
        if (!sm.unsupported().isEmpty()) {
            out.add(new Para("**X, not supported:**"));
            out.add(new Bullets(sm.unsupported()));
        }
        if (!sm.errors().isEmpty()) {
            out.add(new Para("**E, failed:**"));
            out.add(new Bullets(sm.errors()));
        }
    }

    // (c) -----------------------------------------------------------------------------------------------------

    /** The fastest exact Attend timing of each workload: what a peer is compared with. */
    static Map<Workload, BenchResult> bestAttend(List<BenchResult> rs) {
        Map<Workload, BenchResult> best = new LinkedHashMap<>();
        for (BenchResult r : rs) {
            if (!Workloads.timed(r) || !"attend".equals(r.source()) || !r.exact()) continue;
            best.merge(Workload.of(r), r, (a, b) -> b.timing().medianMs() < a.timing().medianMs() ? b : a);
        }
        return best;
    }

    /** Peer and baseline records (any status) at workloads Attend timed exactly, in run order. */
    static List<BenchResult> peerRecords(List<BenchResult> rs, Map<Workload, BenchResult> attend) {
        return rs.stream().filter(r -> ("peer".equals(r.source()) || "baseline".equals(r.source())) && attend.containsKey(Workload.of(r))).toList();
    }

    private static void peers(BenchRun run, List<Block> out) {
        Map<Workload, BenchResult> attend = bestAttend(run.results());
        List<BenchResult> peers = peerRecords(run.results(), attend);
        out.add(new Heading(2, "Attend and peers", "peers"));
        if (peers.isEmpty()) {
            out.add(new Para("No peer or baseline ran a workload that Attend timed."));
            out.add(new Charts("peers"));
            return;
        }
        out.add(new Para("Every workload that Attend (its fastest exact mechanism) and a peer or the scalar baseline both ran: same pass, mask "
                + "and shape, the same run. Attend / peer is the ratio of median times: below 1, Attend is faster."));
        out.add(new Charts("peers"));
        java.util.function.UnaryOperator<String> shortName = Workloads.shortNames(run.results());
        List<String> maskOrder = Workloads.distinct(run.results().stream().map(Workloads::maskKind).toList());
        peers = peers.stream().sorted(Comparator.comparingInt((BenchResult r) -> Math.max(0, Workloads.PASSES.indexOf(r.pass())))
                .thenComparingInt(r -> maskOrder.indexOf(Workloads.maskKind(r))).thenComparingInt(BenchResult::kLen)
                .thenComparingInt(BenchResult::qHeads)).toList();
        List<List<Cell>> rows = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (BenchResult p : peers) {
            BenchResult a = attend.get(Workload.of(p));
            Workload w = Workload.of(p);
            String peerName = p.mechanism() + (p.variant() == null ? "" : " (" + p.variant() + ")");
            Cell peerMs, ratio;
            if (Workloads.timed(p)) {
                peerMs = Cell.of(Fmt.ms(p.timing().medianMs()));
                double r = a.timing().medianMs() / p.timing().medianMs();
                ratio = new Cell(Fmt.ratio(r), r < 1 ? "ok" : null);
            } else {
                peerMs = new Cell(p.status().cell(), p.status() == BenchResult.Status.ERROR ? "e" : "x");
                ratio = Cell.of("");
                String why = p.mechanism() + " " + p.status().cell() + ": " + (p.reason() == null ? "(no reason given)" : p.reason());
                if (!reasons.contains(why)) reasons.add(why);
            }
            rows.add(List.of(Cell.of(w.pass()), Cell.of(w.mask()), Cell.of(w.shape()), Cell.of(shortName.apply(a.mechanism())),
                    Cell.of(Fmt.ms(a.timing().medianMs())),
                    Cell.of(Fmt.num(a.pctPeak(), 1)), Cell.of(peerName), peerMs, Cell.of(Fmt.num(p.pctPeak(), 1)), ratio));
        }
        out.add(new Table(List.of("pass", "mask", "shape", "Attend", "Attend ms", "Attend % peak", "peer", "peer ms", "peer % peak", "Attend / peer"),
                List.of(false, false, false, false, true, true, false, true, true, true), rows, null));
        List<String> notes = new ArrayList<>(reasons);
        notes.addAll(Workloads.shortened(run.results(), peers.stream().map(p -> attend.get(Workload.of(p)).mechanism()).toList()));
        if (!notes.isEmpty()) out.add(new Bullets(notes));
    }

    // (d) -----------------------------------------------------------------------------------------------------

    private static void fidelity(BenchRun run, List<Block> out) {
        List<BenchResult> fs = run.results().stream().filter(r -> r.fidelity() != null || "fidelity".equals(r.suite())).toList();
        out.add(new Heading(2, "Fidelity", "fidelity"));
        if (fs.isEmpty()) {
            out.add(new Para("No fidelity case in this run."));
            out.add(new Charts("fidelity"));
            return;
        }
        out.add(new Para("Relative Frobenius error ||out - exact||_F / ||exact||_F against exact attention (fp64 reference), per input family "
                + "and budget setting; the max-abs and LSE errors are in results.json."));
        out.add(new Charts("fidelity"));
        Map<String, String> budgets = Workloads.budgetParams(run.results());
        Map<String, List<BenchResult>> bySeries = new LinkedHashMap<>();
        for (BenchResult r : fs) bySeries.computeIfAbsent(Workloads.series(r.mechanism(), budgets), k -> new ArrayList<>()).add(r);
        for (Map.Entry<String, List<BenchResult>> s : bySeries.entrySet()) {
            String param = budgets.get(Workloads.name(s.getKey()));
            TreeSet<Double> values = new TreeSet<>();
            for (BenchResult r : s.getValue()) values.add(budgetValue(r));
            Map<List<String>, Map<Double, BenchResult>> rowsByKey = new LinkedHashMap<>();
            for (BenchResult r : s.getValue()) {
                // A failed case has no error record, so no family: its name says which it was.
                String family = r.fidelity() != null && r.fidelity().family() != null ? r.fidelity().family() : r.name() + " (" + r.status().cell() + ")";
                rowsByKey.computeIfAbsent(List.of(family, r.mask(), Workload.of(r).shape()), k -> new LinkedHashMap<>()).putIfAbsent(budgetValue(r), r);
            }
            List<String> header = new ArrayList<>(List.of("family", "mask", "shape"));
            for (Double v : values) header.add(v.isNaN() ? (param == null ? "error" : "no " + param + " given") : param + "=" + Fmt.plain(v));
            List<List<Cell>> rows = new ArrayList<>();
            for (Map.Entry<List<String>, Map<Double, BenchResult>> e : rowsByKey.entrySet()) {
                List<Cell> cells = new ArrayList<>();
                for (String k : e.getKey()) cells.add(Cell.of(k));
                for (Double v : values) cells.add(errorCell(e.getValue().get(v)));
                rows.add(cells);
            }
            List<Boolean> numeric = new ArrayList<>();
            for (int i = 0; i < header.size(); i++) numeric.add(i >= 3);
            boolean exact = s.getValue().stream().allMatch(BenchResult::exact);
            out.add(new Heading(3, s.getKey() + (exact ? " (exact)" : ""), null));
            out.add(new Table(header, numeric, rows, null));
        }
    }

    private static double budgetValue(BenchResult r) {
        return r.fidelity() == null || r.fidelity().budgetValue() == null ? Double.NaN : r.fidelity().budgetValue();
    }

    private static Cell errorCell(BenchResult r) {
        if (r == null) return Cell.of("");
        if (r.status() != BenchResult.Status.OK) return new Cell(r.status().cell(), r.status() == BenchResult.Status.ERROR ? "e" : "x");
        if (r.fidelity() == null) return Cell.of("");
        double e = r.fidelity().relFrobenius();
        return new Cell(Fmt.sci(e), !(e <= 1e-2) ? "e" : e <= 1e-3 ? "ok" : "warn");
    }

    // (e) -----------------------------------------------------------------------------------------------------

    private static void recommendations(BenchRun run, List<Block> out) {
        List<Recommendations.Row> rows = Recommendations.table(run);
        out.add(new Heading(2, "Recommendations", "recommendations"));
        if (rows.isEmpty()) {
            out.add(new Para("No Attend mechanism was timed."));
            return;
        }
        out.add(new Para("The fastest Attend mechanism for each workload within each error budget (relative Frobenius error; an approximate "
                + "mechanism counts with its worst measured error and never without a fidelity record), and the runner-up with its time "
                + "relative to the choice. ≈ marks a tie: the two p20..p80 bands overlap; \"same\": the looser budget changes nothing; an "
                + "approximate choice is shaded."));
        List<String> header = new ArrayList<>(List.of("pass", "mask", "shape"));
        for (Recommendations.Budget b : Recommendations.BUDGETS) {
            header.add(b.label());
            header.add("runner-up");
        }
        java.util.function.UnaryOperator<String> shortName = Workloads.shortNames(run.results());
        List<List<Cell>> cells = new ArrayList<>();
        List<String> shown = new ArrayList<>();
        for (Recommendations.Row r : rows) {
            List<Cell> row = new ArrayList<>(List.of(Cell.of(r.pass()), Cell.of(r.mask()), Cell.of(r.shape())));
            Recommendations.Choice previous = null;
            for (Recommendations.Choice c : r.choices()) {
                if (c.best() == null) {
                    row.add(Cell.of("no candidate"));
                    row.add(Cell.of(""));
                } else if (previous != null && c.equals(previous)) {
                    // A looser budget that changes nothing: say so instead of repeating the cell.
                    row.add(Cell.of("same"));
                    row.add(Cell.of(""));
                } else {
                    shown.add(c.best().mechanism());
                    row.add(new Cell(pick(c.best(), shortName) + (c.tie() ? " ≈" : ""), c.best().exact() ? null : "ok"));
                    if (c.runnerUp() != null) shown.add(c.runnerUp().mechanism());
                    row.add(Cell.of(c.runnerUp() == null ? ""
                            : pick(c.runnerUp(), shortName) + " (" + Fmt.ratio(c.runnerUp().medianMs() / c.best().medianMs()) + ")"));
                }
                previous = c;
            }
            cells.add(row);
        }
        List<Boolean> numeric = new ArrayList<>();
        for (int i = 0; i < header.size(); i++) numeric.add(false);
        out.add(new Table(header, numeric, cells, null));
        List<String> names = Workloads.shortened(run.results(), shown);
        if (!names.isEmpty()) out.add(new Para(String.join("; ", names) + "."));
    }

    private static String pick(Recommendations.Pick p, java.util.function.UnaryOperator<String> shortName) {
        return shortName.apply(p.mechanism()) + " " + Fmt.ms(p.medianMs()) + " ms" + (p.exact() || p.error() == null ? "" : ", err " + Fmt.sci(p.error()));
    }

    // (f) -----------------------------------------------------------------------------------------------------

    private static void efficiency(BenchRun run, List<Block> out) {
        List<EfficiencyLength.Row> rows = EfficiencyLength.table(run);
        out.add(new Heading(2, "Efficiency lengths", "efficiency"));
        if (rows.isEmpty()) {
            out.add(new Para("No mechanism was timed at two lengths or more of one workload."));
            return;
        }
        out.add(new Para("CAB's efficiency length: each mechanism's cost fitted as a L^p over its lengths (least squares in log-log), and the "
                + "length where its fit crosses exact flash's, for time (median ms) and memory (peak heap). \"faster above 1877\": cheaper "
                + "than flash beyond that length. Where the scalar loop ran in the same workload, the crossing against it too (CAB measured "
                + "against a plain implementation). Work rate: the FLOPs the mechanism did (not exact attention's) per second and as % of "
                + "the FMA peak, at " + Fmt.len(EfficiencyLength.RATE_LENGTH) + " or the longest length below. L is the key length."));
        java.util.function.UnaryOperator<String> shortName = Workloads.shortNames(run.results());
        String flash = Workloads.flashSpec(run.results());
        List<List<Cell>> cells = new ArrayList<>();
        for (EfficiencyLength.Row r : rows) {
            String lengths = Fmt.len(r.lengths().get(0)) + ".." + Fmt.len(r.lengths().get(r.lengths().size() - 1)) + " (" + r.lengths().size() + ")";
            boolean reference = r.mechanism().equals(flash);
            EfficiencyLength.Rate rate = r.rate();
            String work = rate == null ? "" : Fmt.num(rate.gflops(), 1) + " GFLOP/s" + (rate.pctPeak() == null ? "" : ", " + Fmt.num(rate.pctPeak(), 0) + "%")
                    + " at " + Fmt.len(rate.length());
            cells.add(List.of(Cell.of(r.pass()), Cell.of(r.mask()), Cell.of(r.shape()), Cell.of(shortName.apply(r.mechanism())), Cell.of(lengths),
                    Cell.of(Fmt.num(r.time().p(), 2)), Cell.of(reference ? "(the reference)" : r.timeCrossing() == null ? "no flash fit" : r.timeCrossing().text()),
                    Cell.of(r.scalarCrossing() == null ? "" : r.scalarCrossing().text()),
                    Cell.of(r.memory() == null ? "" : Fmt.num(r.memory().p(), 2)),
                    Cell.of(reference && r.memory() != null ? "(the reference)" : r.memoryCrossing() == null ? "" : r.memoryCrossing().text()),
                    Cell.of(work)));
        }
        out.add(dropEmptyColumns(new Table(List.of("pass", "mask", "shape", "mechanism", "lengths", "time exponent", "time vs flash",
                "time vs scalar", "memory exponent", "memory vs flash", "work rate"),
                List.of(false, false, false, false, false, true, false, false, true, false, false), cells, null), 6));
        List<String> names = Workloads.shortened(run.results(), rows.stream().map(EfficiencyLength.Row::mechanism).toList());
        if (!names.isEmpty()) out.add(new Para(String.join("; ", names) + "."));
    }

    // (g) -----------------------------------------------------------------------------------------------------

    private static void warnings(BenchRun run, List<Block> out) {
        List<String> ws = new ArrayList<>(run.warnings());
        ws.addAll(Peaks.of(run).warnings());
        List<String> unstable = run.results().stream().filter(r -> r.timing() != null && r.timing().unstable()).map(BenchResult::name).toList();
        if (!unstable.isEmpty()) {
            ws.add(unstable.size() + (unstable.size() == 1 ? " case stayed" : " cases stayed") + " unstable after its time budget (compare "
                    + "them with care): " + String.join(", ", unstable) + ".");
        }
        long limited = run.results().stream().filter(dev.attend.cli.bench.BenchRunner::overALimit).count();
        long errors = run.results().stream().filter(r -> r.status() == BenchResult.Status.ERROR).count() - limited;
        if (errors > 0) ws.add(errors + (errors == 1 ? " case" : " cases") + " failed; their messages are under the support matrix.");
        if (limited > 0) {
            ws.add(limited + (limited == 1 ? " case was" : " cases were") + " not run to the end, over the run's time or memory limit"
                    + " (E cells; the reasons are under the support matrix).");
        }
        out.add(new Heading(2, "Warnings", "warnings"));
        if (ws.isEmpty()) {
            out.add(new Para("None."));
        } else {
            out.add(new Bullets(Workloads.distinct(ws)));
        }
    }

    // helpers -------------------------------------------------------------------------------------------------

    /** The passes of the run in pass order, then any other pass the harness wrote. */
    static List<String> passes(BenchRun run) {
        List<String> ps = new ArrayList<>(Workloads.distinct(run.results().stream().map(BenchResult::pass).filter(p -> p != null).toList()));
        ps.sort(Comparator.comparingInt(p -> Workloads.PASSES.indexOf(p) < 0 ? 99 : Workloads.PASSES.indexOf(p)));
        return ps;
    }

    private static Cell num(int v) {
        return Cell.of(Integer.toString(v));
    }

    /** The table without its columns from {@code from} on that are empty in every row (GB/s in a forward table). */
    private static Table dropEmptyColumns(Table t, int from) {
        List<Integer> keep = new ArrayList<>();
        for (int c = 0; c < t.header().size(); c++) {
            final int col = c;
            if (c < from || t.rows().stream().anyMatch(row -> !row.get(col).text().isEmpty())) keep.add(c);
        }
        List<String> header = keep.stream().map(t.header()::get).toList();
        List<Boolean> numeric = keep.stream().map(t.numeric()::get).toList();
        List<List<Cell>> rows = t.rows().stream().map(row -> keep.stream().map(row::get).toList()).toList();
        return new Table(header, numeric, rows, t.css());
    }
}
