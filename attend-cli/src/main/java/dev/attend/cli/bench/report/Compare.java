package dev.attend.cli.bench.report;

import dev.attend.cli.bench.BenchResult;
import dev.attend.cli.bench.report.Workloads.Workload;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Compares two runs case by case, calling a difference a change only when it exceeds the noise both runs measured.
 *
 * <p><b>Matching.</b> A record of the new run is matched with the old record of the same {@code name}; the records
 * left over on both sides are then matched on mechanism spec and workload (pass, mask spec and shape), in run
 * order. Whatever is still unmatched is {@link Change.Kind#ONLY_OLD} or {@link Change.Kind#ONLY_NEW}.
 *
 * <p><b>The rule.</b> With {@code r = median_new / median_old}, a matched pair timed in both runs is
 * <ul>
 *   <li>a {@link Change.Kind#REGRESSION} when {@code p20_new > p80_old} (the new run's p20..p80 band lies wholly
 *       above the old one's, so the two bands do not overlap) and {@code r > 1 + MIN_CHANGE};</li>
 *   <li>an {@link Change.Kind#IMPROVEMENT} when {@code p80_new < p20_old} and {@code r < 1 / (1 + MIN_CHANGE)};</li>
 *   <li>otherwise {@link Change.Kind#WITHIN_NOISE}.</li>
 * </ul>
 * {@link #MIN_CHANGE} is 5%: below it, two quiet runs whose bands happen not to overlap are still not worth a
 * reader's attention. A band that was not recorded (NaN) is taken as the median alone. A pair whose statuses differ
 * is {@link Change.Kind#STATUS_CHANGED}; a pair with the same status and no timings is {@link Change.Kind#UNCHANGED}.
 * The rule is on times: the peaks of the two runs are shown beside it, since a shared machine drifts between runs
 * and a change that tracks the peak's is the machine's, not the code's. Cost: O(records) with hashing.
 */
public final class Compare {
    /** The smallest relative change in median time that counts, beyond non-overlapping bands. */
    public static final double MIN_CHANGE = 0.05;

    private Compare() {}

    /** The changes from {@code old} to {@code now}: one per matched pair, then the cases only in one run. */
    public static List<Change> compare(BenchRun old, BenchRun now) {
        List<BenchResult> left = new ArrayList<>(old.results());
        Map<String, BenchResult> byName = new LinkedHashMap<>();
        for (BenchResult r : left) byName.putIfAbsent(r.name(), r);
        List<BenchResult[]> pairs = new ArrayList<>();
        List<BenchResult> unmatched = new ArrayList<>();
        for (BenchResult r : now.results()) {
            BenchResult o = r.name() == null ? null : byName.remove(r.name());
            if (o != null) {
                left.remove(o);
                pairs.add(new BenchResult[] {o, r});
            } else {
                unmatched.add(r);
            }
        }
        List<Change> onlyNew = new ArrayList<>();
        for (BenchResult r : unmatched) {
            BenchResult o = left.stream().filter(x -> sameCase(x, r)).findFirst().orElse(null);
            if (o != null) {
                left.remove(o);
                pairs.add(new BenchResult[] {o, r});
            } else {
                onlyNew.add(new Change(Change.Kind.ONLY_NEW, r.name(), null, r, null, describe(r)));
            }
        }
        List<Change> out = new ArrayList<>();
        for (BenchResult[] p : pairs) out.add(change(p[0], p[1]));
        for (BenchResult o : left) out.add(new Change(Change.Kind.ONLY_OLD, o.name(), o, null, null, describe(o)));
        out.addAll(onlyNew);
        return out;
    }

    /** The change of one matched pair under the rule above. */
    static Change change(BenchResult o, BenchResult n) {
        if (o.status() != n.status()) {
            String d = status(o) + " -> " + status(n) + (n.reason() != null ? ": " + n.reason() : o.reason() != null ? " (was: " + o.reason() + ")" : "");
            return new Change(Change.Kind.STATUS_CHANGED, n.name(), o, n, null, d);
        }
        if (!Workloads.timed(o) || !Workloads.timed(n)) {
            return new Change(Change.Kind.UNCHANGED, n.name(), o, n, null, status(n) + (n.reason() == null ? "" : ": " + n.reason()));
        }
        BenchResult.Timing a = o.timing(), b = n.timing();
        double r = b.medianMs() / a.medianMs();
        double oLo = orMedian(a.p20Ms(), a), oHi = orMedian(a.p80Ms(), a), nLo = orMedian(b.p20Ms(), b), nHi = orMedian(b.p80Ms(), b);
        Change.Kind kind = nLo > oHi && r > 1 + MIN_CHANGE ? Change.Kind.REGRESSION
                : nHi < oLo && r < 1 / (1 + MIN_CHANGE) ? Change.Kind.IMPROVEMENT : Change.Kind.WITHIN_NOISE;
        String d = String.format(Locale.ROOT, "%s ms -> %s ms (%s; p20..p80 %s..%s -> %s..%s ms)", Fmt.ms(a.medianMs()), Fmt.ms(b.medianMs()),
                Fmt.ratio(r), Fmt.ms(oLo), Fmt.ms(oHi), Fmt.ms(nLo), Fmt.ms(nHi));
        if (o.pctPeak() != null && n.pctPeak() != null) d += String.format(Locale.ROOT, "; %% peak %.1f -> %.1f", o.pctPeak(), n.pctPeak());
        return new Change(kind, n.name(), o, n, r, d);
    }

    /** The changes as text: a count line, the peaks of both runs, then one section per kind (largest ratios first). */
    public static String render(BenchRun old, BenchRun now, List<Change> changes) {
        StringBuilder b = new StringBuilder();
        Map<Change.Kind, List<Change>> byKind = new LinkedHashMap<>();
        for (Change.Kind k : Change.Kind.values()) byKind.put(k, new ArrayList<>());
        for (Change c : changes) byKind.get(c.kind()).add(c);
        b.append(String.format(Locale.ROOT, "Compared %s with %s: %d regressions, %d improvements, %d status changes, %d within noise, "
                        + "%d unchanged, %d only in the old run, %d only in the new run.%n",
                label(old), label(now), byKind.get(Change.Kind.REGRESSION).size(), byKind.get(Change.Kind.IMPROVEMENT).size(),
                byKind.get(Change.Kind.STATUS_CHANGED).size(), byKind.get(Change.Kind.WITHIN_NOISE).size(),
                byKind.get(Change.Kind.UNCHANGED).size(), byKind.get(Change.Kind.ONLY_OLD).size(), byKind.get(Change.Kind.ONLY_NEW).size()));
        Peaks po = Peaks.of(old), pn = Peaks.of(now);
        if (po.fma() != null && pn.fma() != null) {
            b.append(String.format(Locale.ROOT, "Peaks: FMA %.1f -> %.1f GFLOP/s (%s)", po.fma(), pn.fma(), Fmt.ratio(pn.fma() / po.fma())));
            if (po.read() != null && pn.read() != null) {
                b.append(String.format(Locale.ROOT, ", read %.1f -> %.1f GB/s (%s)", po.read(), pn.read(), Fmt.ratio(pn.read() / po.read())));
            }
            b.append(". A change that follows the peaks is the machine's.\n");
        }
        b.append(String.format(Locale.ROOT, "Rule: a regression (improvement) is a new median more than %.0f%% slower (faster) whose p20..p80 band "
                + "does not overlap the old one; ratios are new time / old time.%n", 100 * MIN_CHANGE));
        section(b, "Regressions", byKind.get(Change.Kind.REGRESSION), Comparator.comparingDouble((Change c) -> -c.ratio()));
        section(b, "Improvements", byKind.get(Change.Kind.IMPROVEMENT), Comparator.comparingDouble(Change::ratio));
        section(b, "Status changes", byKind.get(Change.Kind.STATUS_CHANGED), null);
        section(b, "Only in the old run", byKind.get(Change.Kind.ONLY_OLD), null);
        section(b, "Only in the new run", byKind.get(Change.Kind.ONLY_NEW), null);
        section(b, "Within noise", byKind.get(Change.Kind.WITHIN_NOISE), Comparator.comparingDouble((Change c) -> -Math.abs(Math.log(c.ratio()))));
        section(b, "Unchanged (not timed)", byKind.get(Change.Kind.UNCHANGED), null);
        return b.toString();
    }

    private static void section(StringBuilder b, String title, List<Change> cs, Comparator<Change> order) {
        if (cs.isEmpty()) return;
        List<Change> sorted = new ArrayList<>(cs);
        if (order != null) sorted.sort(order);
        b.append('\n').append(title).append(" (").append(cs.size()).append("):\n");
        for (Change c : sorted) b.append("  ").append(c.name()).append(": ").append(c.detail()).append('\n');
    }

    private static boolean sameCase(BenchResult a, BenchResult b) {
        return a.mechanism() != null && a.mechanism().equals(b.mechanism()) && Workload.of(a).equals(Workload.of(b));
    }

    private static double orMedian(double v, BenchResult.Timing t) {
        return Double.isFinite(v) ? v : t.medianMs();
    }

    private static String status(BenchResult r) {
        return r.status().name().toLowerCase(Locale.ROOT);
    }

    private static String describe(BenchResult r) {
        String what = r.mechanism() + " " + Workload.of(r).label();
        return Workloads.timed(r) ? what + ": " + Fmt.ms(r.timing().medianMs()) + " ms" : what + ": " + status(r);
    }

    private static String label(BenchRun run) {
        Object date = run.machine().get("date");
        return "the " + (run.suite() == null ? "" : run.suite() + " ") + "run" + (date == null ? "" : " of " + date);
    }
}
