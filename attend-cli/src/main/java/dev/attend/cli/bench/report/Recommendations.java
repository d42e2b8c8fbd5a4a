package dev.attend.cli.bench.report;

import dev.attend.cli.bench.BenchResult;
import dev.attend.cli.bench.report.Workloads.Workload;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which mechanism to use: for each workload (pass, mask, shape) the run timed, the fastest Attend mechanism within
 * each error budget, and the runner-up.
 *
 * <p>The budgets are {@link #BUDGETS}: {@code exact} (exact mechanisms only: fp32 rounding, about 1e-6 relative),
 * and a relative Frobenius error of at most 1e-3 and 1e-2. An exact mechanism meets every budget. An approximate
 * mechanism meets a budget when its error, the worst {@code rel_frobenius_error} over all fidelity records of the
 * same mechanism spec (every input family, mask and shape it was measured on), is within it; one with no fidelity
 * record is never recommended, since its error is unknown. A NaN error counts as above every budget.
 *
 * <p>Candidates are ranked by median time. The two best are a tie when their p20..p80 bands overlap (the winner is
 * then only the likelier one); with no candidate the choice is null. Only Attend's own mechanisms are candidates:
 * peers and the scalar baseline are measured for comparison, not offered. Cost: one pass over the records per table.
 */
public final class Recommendations {
    private Recommendations() {}

    /** An error budget: a label and the largest relative Frobenius error allowed (0: exact mechanisms only). */
    public record Budget(String label, double maxError) {}

    public static final List<Budget> BUDGETS = List.of(new Budget("exact", 0), new Budget("≤ 1e-3", 1e-3), new Budget("≤ 1e-2", 1e-2));

    /**
     * A candidate at one workload: its spec, whether it is exact, its time (median, p20, p80 in ms) and its worst
     * measured error (null when an exact mechanism has no fidelity record).
     */
    public record Pick(String mechanism, boolean exact, double medianMs, double p20Ms, double p80Ms, Double error) {}

    /** The answer for one budget: the fastest candidate (null: none), the runner-up (null: none), and whether they tie. */
    public record Choice(Pick best, Pick runnerUp, boolean tie) {}

    /** One workload and its choice for each of {@link #BUDGETS}, in that order. */
    public record Row(String pass, String mask, String shape, int qLen, int kLen, List<Choice> choices) {}

    /** A question from {@code attend advise}: the workload and the largest relative Frobenius error acceptable. */
    public record Question(String pass, String mask, int batch, int qHeads, int kvHeads, int qLen, int kLen, int headDim, double maxError) {
        public Question {
            if (!(maxError >= 0)) throw new IllegalArgumentException("maxError: expected a number >= 0, got " + maxError);
        }

        Workload workload() {
            return new Workload(pass, mask, batch, qHeads, kvHeads, qLen, kLen, headDim);
        }
    }

    /**
     * The answer to a {@link Question}: the choice (null when no candidate was measured), its runner-up and whether
     * they tie, and what the run lacks to answer better ("SPEC: not timed at ...", "SPEC: no fidelity record ...").
     */
    public record Advice(Question question, Pick choice, Pick runnerUp, boolean tie, List<String> missing) {
        /** Whether the run had a measured answer. */
        public boolean measured() {
            return choice != null;
        }
    }

    /** One row per workload with an Attend timing, ordered by pass, mask, shape and length. */
    public static List<Row> table(BenchRun run) {
        Map<String, Double> errors = worstErrors(run.results());
        Map<Workload, List<Pick>> at = candidates(run.results(), errors);
        Map<String, String> kindOf = new HashMap<>();
        run.results().forEach(r -> kindOf.putIfAbsent(r.mask(), Workloads.maskKind(r)));
        List<String> kindOrder = Workloads.distinct(run.results().stream().map(Workloads::maskKind).toList());
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<Workload, List<Pick>> e : at.entrySet()) {
            Workload w = e.getKey();
            List<Choice> choices = new ArrayList<>();
            for (Budget b : BUDGETS) choices.add(choose(e.getValue(), b.maxError()));
            rows.add(new Row(w.pass(), w.mask(), w.shape(), w.qLen(), w.kLen(), choices));
        }
        Map<String, String> family = new HashMap<>();
        at.keySet().forEach(w -> family.put(w.shape(), "B" + w.batch() + " Hq" + w.qHeads() + " Hkv" + w.kvHeads() + " D" + w.headDim()));
        rows.sort(Comparator.comparingInt((Row r) -> Workloads.PASSES.indexOf(r.pass()) < 0 ? 99 : Workloads.PASSES.indexOf(r.pass()))
                .thenComparingInt(r -> kindOrder.indexOf(kindOf.get(r.mask())))
                .thenComparing(r -> family.get(r.shape()))
                .thenComparingInt(Row::kLen).thenComparingInt(Row::qLen));
        return rows;
    }

    /** The answer for one question from the run's records. */
    public static Advice advise(BenchRun run, Question q) {
        Map<String, Double> errors = worstErrors(run.results());
        Workload w = q.workload();
        List<Pick> here = candidates(run.results(), errors).getOrDefault(w, List.of());
        Choice c = choose(here, q.maxError());
        List<String> missing = new ArrayList<>();
        Map<String, BenchResult> notTimedHere = new LinkedHashMap<>();
        for (BenchResult r : run.results()) {
            if (!"attend".equals(r.source())) continue;
            if (Workload.of(r).equals(w) && r.status() != BenchResult.Status.OK) notTimedHere.putIfAbsent(r.mechanism(), r);
        }
        for (String spec : Workloads.distinct(run.results().stream().filter(r -> "attend".equals(r.source())).map(BenchResult::mechanism).toList())) {
            boolean exact = run.results().stream().anyMatch(r -> r.mechanism().equals(spec) && r.exact());
            Double err = errors.get(spec);
            if (!exact && err == null) {
                missing.add(spec + ": no fidelity record, so its error is unknown");
                continue;
            }
            if (!exact && !(err <= q.maxError())) continue;
            if (here.stream().anyMatch(p -> p.mechanism().equals(spec))) continue;
            BenchResult failed = notTimedHere.get(spec);
            if (failed != null) {
                missing.add(spec + ": " + (failed.status() == BenchResult.Status.UNSUPPORTED ? "unsupported" : "failed") + " at "
                        + w.label() + (failed.reason() == null ? "" : ": " + failed.reason()));
            } else {
                missing.add(spec + ": not timed at " + w.label());
            }
        }
        if (here.isEmpty() && missing.isEmpty()) missing.add("no Attend mechanism was timed in this run");
        return new Advice(q, c.best(), c.runnerUp(), c.tie(), missing);
    }

    /** The timed Attend candidates of each workload, fastest first (first record of each spec at each workload). */
    private static Map<Workload, List<Pick>> candidates(List<BenchResult> rs, Map<String, Double> errors) {
        Map<Workload, Map<String, Pick>> at = new LinkedHashMap<>();
        for (BenchResult r : rs) {
            if (!Workloads.timed(r) || !"attend".equals(r.source())) continue;
            BenchResult.Timing t = r.timing();
            at.computeIfAbsent(Workload.of(r), k -> new LinkedHashMap<>())
                    .putIfAbsent(r.mechanism(), new Pick(r.mechanism(), r.exact(), t.medianMs(), t.p20Ms(), t.p80Ms(), errors.get(r.mechanism())));
        }
        Map<Workload, List<Pick>> out = new LinkedHashMap<>();
        at.forEach((w, picks) -> out.put(w, picks.values().stream()
                .sorted(Comparator.comparingDouble(Pick::medianMs).thenComparing(Pick::mechanism)).toList()));
        return out;
    }

    private static Choice choose(List<Pick> fastestFirst, double maxError) {
        List<Pick> ok = fastestFirst.stream().filter(p -> p.exact() || (p.error() != null && p.error() <= maxError && maxError > 0)).toList();
        if (ok.isEmpty()) return new Choice(null, null, false);
        Pick best = ok.get(0), second = ok.size() > 1 ? ok.get(1) : null;
        boolean tie = second != null && Double.isFinite(second.p20Ms()) && Double.isFinite(best.p80Ms()) && second.p20Ms() <= best.p80Ms();
        return new Choice(best, second, tie);
    }

    /** The worst relative Frobenius error of each spec over its fidelity records; NaN counts as infinite. */
    static Map<String, Double> worstErrors(List<BenchResult> rs) {
        Map<String, Double> m = new HashMap<>();
        for (BenchResult r : rs) {
            if (r.status() != BenchResult.Status.OK || r.fidelity() == null) continue;
            double e = Double.isNaN(r.fidelity().relFrobenius()) ? Double.POSITIVE_INFINITY : r.fidelity().relFrobenius();
            m.merge(r.mechanism(), e, Math::max);
        }
        return m;
    }
}
