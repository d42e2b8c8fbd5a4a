package dev.attend.cli.bench;

import dev.attend.attention.AttentionResult;
import dev.attend.attention.Pattern;
import dev.attend.attention.Workload;
import dev.attend.attention.mask.Mask;
import dev.attend.simd.MachinePeak;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Measures benchmark cases one after the other, so that nothing of one case leaks into the next: each is set
 * up (untimed), warmed up, then timed until its timing is stable (the spread (p80 - p20) / median below
 * {@link Settings#stableSpread} after at least {@link Settings#minRuns} runs and {@link Settings#minSeconds})
 * or its budget ({@link Settings#maxSeconds}) is spent (a call that takes half the budget is its own warm-up and
 * gets two timed runs); its inputs are then dropped and the heap collected.
 * Every call's allocated bytes are measured, and the case's peak heap. A case whose spread stays above
 * {@link Settings#unstableSpread} is flagged and measured once more at the end of the run.
 *
 * <p>The machine's peaks are sampled at the start, every {@link Settings#peakEverySeconds} between cases and at
 * the end; percentages are set against their medians. A sample that contradicts itself (all threads below one
 * thread) is taken again and, if it persists, flagged. A case that throws, runs out of memory or needs more
 * memory than the heap has is recorded as an error and the run goes on; a case the mechanism does not support
 * is recorded with the descriptor's reason.
 */
public final class BenchRunner {

    /**
     * How to time each case.
     *
     * @param warmupRuns       runs before timing, at least
     * @param warmupSeconds    warm up for at least this long too (C2 compiles the Vector API kernels on the same cores)
     * @param minRuns          timed runs, at least
     * @param minSeconds       time for at least this long
     * @param maxSeconds       the case's budget: stop timing after this long (and minRuns) even if not stable
     * @param maxRuns          timed runs, at most
     * @param stableSpread     stop once (p80 - p20) / median is below this
     * @param unstableSpread   flag the case (and re-measure it at the end) when the spread is still above this
     * @param maxCallSeconds   a single call longer than this is an error ("over its time budget")
     * @param peakEverySeconds sample the peaks again after this much measuring
     * @param mechanismSeconds an approximate mechanism's budget in one suite of the run (times the suite's
     *                         {@link BenchSuite#budgetShare}): once its cases have taken this long,
     *                         the rest are E cells (the longest come last in every sweep), so that one slow mechanism
     *                         cannot take the run's time; infinity for no budget
     * @param exactSeconds     the same for an exact mechanism (flash is every comparison's baseline: a larger budget)
     * @param remeasureSeconds the end-of-run re-measuring of unstable cases starts no case after this long (they keep
     *                         their first timing, flagged)
     */
    public record Settings(int warmupRuns, double warmupSeconds, int minRuns, double minSeconds, double maxSeconds, int maxRuns,
                           double stableSpread, double unstableSpread, double maxCallSeconds, double peakEverySeconds,
                           double mechanismSeconds, double exactSeconds, double remeasureSeconds) {
        public Settings {
            if (warmupRuns < 0 || minRuns < 1 || maxRuns < minRuns || warmupSeconds < 0 || minSeconds < 0 || maxSeconds < minSeconds
                    || !(stableSpread > 0) || unstableSpread < stableSpread || !(maxCallSeconds > 0) || !(peakEverySeconds > 0)
                    || !(mechanismSeconds > 0) || !(exactSeconds > 0) || !(remeasureSeconds >= 0)) {
                throw new IllegalArgumentException("settings: need 1 <= minRuns <= maxRuns, 0 <= minSeconds <= maxSeconds, "
                        + "0 < stableSpread <= unstableSpread and positive limits, got " + this);
            }
        }

        public static Settings full() {
            // The JIT is warmed before the run, so half a second of warm-up per case is enough. Budgets (the kernels
            // suite's; the others get BenchSuite.budgetShare of them): 40 s per approximate mechanism, 12 minutes for an
            // exact one (flash's mask grid, block-sparse densities and length sweep to 64K), and 30 s of
            // re-measuring, for the whole run (24 mechanisms, about 2,300 cases) to fit about 45 minutes on 2 cores (49
            // minutes measured with the scaling suite's lengths in steps of two and a minute of re-measuring); the
            // peaks (about 2 s a sample) every 90 s.
            return new Settings(2, 0.5, 5, 0.5, 4.0, 200, 0.05, 0.20, 120.0, 90.0, 40.0, 720.0, 30.0);
        }

        public static Settings quick() {
            // Short: the quick run has ~400 cases (every mechanism x mask x pattern) and must finish in about 3 minutes.
            // The first call is the warm-up (the JIT was warmed before the run); short calls warm for 20 ms more. A
            // call predicted over 6 s (a mechanism far slower than exact at this size) is not started.
            return new Settings(0, 0.02, 3, 0.03, 0.5, 50, 0.08, 0.25, 6.0, 30.0, 12.0, 60.0, 10.0);
        }
    }

    /** What the harness tells the command as it goes: for the progress bar and the partial report. */
    public interface Listener {
        default void started(int index, int total, BenchCase c) {}

        /** {@code soFar} holds every record so far, rated against the peaks sampled so far ({@code peak}). */
        default void finished(int index, int total, BenchResult r, List<BenchResult> soFar, MachinePeak.Result peak, List<MachinePeak.Result> samples) {}
    }

    /** The results in the order measured, the peak medians they are set against, and the samples. */
    public record Run(List<BenchResult> results, MachinePeak.Result peak, List<MachinePeak.Result> peakSamples, boolean peakUnstable,
                      List<String> warnings) {}

    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final Settings settings;
    private final Listener listener;

    public BenchRunner(Settings settings, Listener listener) {
        this.settings = settings;
        this.listener = listener == null ? new Listener() {} : listener;
    }

    /**
     * Measures {@code cases} in order, skipping those named in {@code done} (their earlier records are kept by
     * the caller), and starting no new case after {@code deadlineNanos} ({@code Long.MAX_VALUE}: no deadline).
     */
    public Run run(List<BenchCase> cases, Supplier<MachinePeak.Result> probe, Set<String> done, long deadlineNanos) {
        List<MachinePeak.Result> samples = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        boolean[] unstablePeak = {false};
        sample(probe, samples, unstablePeak);
        long lastSample = System.nanoTime();
        List<BenchResult> results = new ArrayList<>();
        List<Integer> unstable = new ArrayList<>();
        Map<String, double[]> lastCall = new HashMap<>();  // series -> {length, seconds per call, growth} of its longest timed case
        Map<String, Double> spent = new HashMap<>();  // mechanism -> seconds its cases took so far
        int skippedForTime = 0;
        for (int i = 0; i < cases.size(); i++) {
            BenchCase c = cases.get(i);
            if (done.contains(c.name())) continue;
            if (System.nanoTime() > deadlineNanos) {
                skippedForTime++;
                continue;
            }
            listener.started(i, cases.size(), c);
            // Each suite of the run gets its own share of a mechanism's budget, so the kernels cannot starve the
            // fidelity or scaling cases of the same mechanism (the Pareto picture and the exponents need them).
            String family = c.suite() + ": " + familyOf(c);
            double budget = (c.exact() ? settings.exactSeconds() : settings.mechanismSeconds()) * BenchSuite.budgetShare(c.suite()),
                    used = spent.getOrDefault(family, 0.0);
            String predicted = used > budget
                    ? String.format("%s: %s's %s cases took %.0f s of their %.0f s in this run (the mechanism's budget)", OVER_BUDGET,
                            familyOf(c), c.suite(), used, budget)
                    : predictedOverBudget(c, lastCall, Math.min(settings.maxCallSeconds(), budget - used));
            long caseStart = System.nanoTime();
            BenchResult r = predicted != null ? base(c, BenchResult.Status.ERROR, predicted) : measure(c, median(samples), false);
            spent.merge(family, (System.nanoTime() - caseStart) / 1e9, Double::sum);
            if (r.timing() != null) lastCall.put(series(c), timedCall(lastCall.get(series(c)), c.dims().kLen(), r.timing().medianMs() / 1e3));
            results.add(r);
            if (r.timing() != null && r.timing().unstable()) unstable.add(results.size() - 1);
            listener.finished(i, cases.size(), rate(r, median(samples)), rated(results, median(samples)), median(samples), List.copyOf(samples));
            if ((System.nanoTime() - lastSample) / 1e9 > settings.peakEverySeconds()) {
                sample(probe, samples, unstablePeak);
                lastSample = System.nanoTime();
            }
        }
        // Once more for the cases whose timing never settled: a slow stretch of a shared machine passes.
        long remeasureEnd = System.nanoTime() + (long) Math.min(Long.MAX_VALUE / 4.0, settings.remeasureSeconds() * 1e9);
        for (int at : unstable) {
            if (System.nanoTime() > deadlineNanos || System.nanoTime() > remeasureEnd) break;
            BenchCase c = cases.stream().filter(x -> x.name().equals(results.get(at).name())).findFirst().orElseThrow();
            listener.started(at, cases.size(), c);
            results.set(at, measure(c, median(samples), true));
            listener.finished(at, cases.size(), rate(results.get(at), median(samples)), rated(results, median(samples)), median(samples),
                    List.copyOf(samples));
        }
        sample(probe, samples, unstablePeak);
        MachinePeak.Result peak = median(samples);
        List<BenchResult> rated = rated(results, peak);
        for (BenchResult r : rated) {
            if (r.timing() != null && r.timing().unstable()) {
                warnings.add("unstable: " + r.name() + " (spread " + pct((r.timing().p80Ms() - r.timing().p20Ms()) / r.timing().medianMs())
                        + " of the median" + (r.timing().remeasured() ? " after re-measuring" : "") + ")");
            }
        }
        if (unstablePeak[0]) warnings.add("unstable peak: a sample measured all threads below one thread, even when taken again");
        if (skippedForTime > 0) warnings.add("time budget reached: " + skippedForTime + " cases were not run");
        return new Run(rated, peak, List.copyOf(samples), unstablePeak[0], warnings);
    }

    /** The registry name of a case's mechanism, whatever its parameters ({@code sale:tau=0.5} is {@code sale}). */
    private static String familyOf(BenchCase c) {
        int colon = c.mechanism().indexOf(':');
        return colon < 0 ? c.mechanism() : c.mechanism().substring(0, colon);
    }

    /** The cases that differ only in length form a series: the same mechanism, mask kind, pass and heads. */
    private static String series(BenchCase c) {
        return series(c, c.pass());
    }

    /** The series {@code c} would be in with pass {@code pass}. */
    private static String series(BenchCase c, Workload.Pass pass) {
        var d = c.dims();
        String kind = c.mask().contains(":") ? c.mask().substring(0, c.mask().indexOf(':')) : c.mask();
        return c.suite() + "|" + c.mechanism() + "|" + kind + "|" + pass + "|" + d.batch() + "|" + d.qHeads() + "|" + d.kvHeads() + "|" + d.headDim()
                + "|" + (d.qLen() == d.kLen());
    }

    /**
     * The series' newest timed call, {@code {length, seconds, growth}}: growth is the exponent of the cost between the
     * two longest timed calls of the series, within [1, 2] (a linear mechanism is not predicted at a quadratic cost
     * four lengths on), and 2 (exact attention's, the worst case) from a single call.
     */
    static double[] timedCall(double[] previous, double length, double seconds) {
        double growth = 2;
        if (previous != null && length > previous[0] && previous[1] > 0 && seconds > 0) {
            growth = Math.log(seconds / previous[1]) / Math.log(length / previous[0]);
            growth = Double.isFinite(growth) ? Math.min(2, Math.max(1, growth)) : 2;
        }
        return new double[] {length, seconds, growth};
    }

    /**
     * A case whose call the series' longest timed case predicts to exceed {@code limit} seconds (at the series' growth,
     * {@link #timedCall}; quadratic from a single call) is not started: {@link Settings#maxCallSeconds}, or less when the mechanism's
     * budget has less left. A 64K call that takes minutes would spend the run's time to end as an error anyway.
     */
    private static String predictedOverBudget(BenchCase c, Map<String, double[]> lastCall, double limit) {
        double[] last = lastCall.get(series(c));
        if (last != null && c.dims().kLen() > last[0]) {
            double ratio = c.dims().kLen() / last[0], predicted = last[1] * Math.pow(ratio, last[2]);
            if (predicted <= limit) return null;
            return String.format(OVER_BUDGET + ": one call predicted to take %.0f s (%.1f s at Lk=%d, cost growing as the length to the "
                            + "power %.2f), the limit is %.0f s (the call limit, or what is left of the mechanism's budget)",
                    predicted, last[1], (long) last[0], last[2], Math.max(0, limit));
        }
        // The first backward of a series: its forward twin at the same shape, measured just before it, bounds it.
        double[] twin = c.pass() == Workload.Pass.BACKWARD ? lastCall.get(series(c, Workload.Pass.FORWARD)) : null;
        if (last != null || twin == null || twin[0] != c.dims().kLen() || BACKWARD_OVER_FORWARD * twin[1] <= limit) return null;
        return String.format(OVER_BUDGET + ": one call predicted to take %.0f s (%.0f times the forward's %.1f s at this shape), "
                        + "the limit is %.0f s (the call limit, or what is left of the mechanism's budget)",
                BACKWARD_OVER_FORWARD * twin[1], BACKWARD_OVER_FORWARD, twin[1], Math.max(0, limit));
    }

    /** A backward pass's cost as a multiple of its forward's, at most, for the prediction (flash's is about 3). */
    static final double BACKWARD_OVER_FORWARD = 4.0;

    /** The reasons of the E cells that are the run's limits, not failures: the case was not (fully) run. */
    static final String OVER_BUDGET = "over its time budget", NEEDS_MEMORY = "needs at least";

    /** Whether {@code r} is an E cell for a limit of the run (time or memory) rather than a failure of the case. */
    public static boolean overALimit(BenchResult r) {
        return r.status() == BenchResult.Status.ERROR && r.reason() != null
                && (r.reason().startsWith(OVER_BUDGET) || r.reason().startsWith(NEEDS_MEMORY));
    }

    /** One case, start to end; never throws. */
    BenchResult measure(BenchCase c, MachinePeak.Result peak, boolean again) {
        BenchResult base = base(c, BenchResult.Status.OK, null);
        String reason = c.unsupported();
        if (reason != null) return base(c, BenchResult.Status.UNSUPPORTED, reason);
        long heap = Runtime.getRuntime().maxMemory();
        if (c.memoryBytes() > 0.8 * heap) {
            return base(c, BenchResult.Status.ERROR, NEEDS_MEMORY + " " + gib(c.memoryBytes()) + " of memory, the heap has " + gib(heap)
                    + " (raise it with ATTEND_JAVA_OPTS=-Xmx...)");
        }
        BenchResult external = c.external(settings);
        if (external != null) return external;
        // Nothing of the previous case may leak into this one: collect what it left, unless that is so little that
        // the collection (about 45 ms with a large heap, a third of a quick case's overhead) would cost more than it
        // guards (a young collection of under 768 MB takes a few ms if it comes during the timed runs).
        if (usedHeap() > GC_ABOVE_BYTES) System.gc();
        resetPeaks();
        long heapAtStart = usedHeap();
        try {
            Supplier<?> body = c.setup();
            long t0 = System.nanoTime();
            Object last = body.get();  // the first call may take seconds while C2 compiles
            double first = (System.nanoTime() - t0) / 1e9;
            if (first > settings.maxCallSeconds()) {
                return base(c, BenchResult.Status.ERROR, String.format(OVER_BUDGET + ": one call took %.1f s, the limit is %.0f s",
                        first, settings.maxCallSeconds()));
            }
            // A call that takes half the budget is long enough to be its own warm-up, and two timed runs are all it
            // gets; one that takes the whole budget, one (a 64K exact call takes minutes on two cores).
            boolean longCall = first > settings.maxSeconds() / 2;
            int minRuns = first > settings.maxSeconds() ? 1 : longCall ? Math.min(2, settings.minRuns()) : settings.minRuns();
            long warmEnd = System.nanoTime() + (long) (settings.warmupSeconds() * 1e9);
            for (int i = 0; !longCall && (i < settings.warmupRuns() || (System.nanoTime() < warmEnd && i < 1000)); i++) last = body.get();
            double[] ms = new double[settings.maxRuns()];
            long[] alloc = new long[settings.maxRuns()];
            int runs = 0;
            long start = System.nanoTime();
            while (runs < settings.maxRuns()) {
                long a0 = THREADS.getTotalThreadAllocatedBytes(), s0 = System.nanoTime();
                last = body.get();
                long s1 = System.nanoTime();
                alloc[runs] = THREADS.getTotalThreadAllocatedBytes() - a0;
                ms[runs++] = (s1 - s0) / 1e6;
                double elapsed = (s1 - start) / 1e9;
                if (elapsed >= settings.maxSeconds() && runs >= minRuns) break;
                if (runs >= minRuns && elapsed >= settings.minSeconds() && spread(Arrays.copyOf(ms, runs)) <= settings.stableSpread()) break;
            }
            double[] times = Arrays.copyOf(ms, runs);
            BenchResult.Timing t = timing(times, again);
            // The pools record their peak at collections only: what is in use now (the case's garbage, when no
            // collection ran) and what one call allocates bound it from below.
            long allocMedian = (long) percentile(Arrays.stream(alloc, 0, runs).asDoubleStream().toArray(), 0.5);
            long peakHeap = Math.max(allocMedian, Math.max(peakHeap(), usedHeap()) - heapAtStart);
            BenchResult.Fidelity f = c.fidelity(last);
            Double work = last instanceof AttentionResult ar && ar.stats().flops() > 0 ? ar.stats().flops() : null;
            return new BenchResult(base.suite(), base.name(), base.mechanism(), base.source(), base.params(), base.exact(), base.mask(),
                    base.maskKind(), base.pattern(), base.pass(), base.batch(), base.qHeads(), base.kvHeads(), base.qLen(), base.kLen(),
                    base.headDim(), BenchResult.Status.OK, null, t, c.flops() > 0 ? c.flops() : null, null, null, work,
                    c.bytes() > 0 ? c.bytes() : null, null, null, allocMedian, peakHeap, f, null);
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            return base(c, BenchResult.Status.ERROR, describe(e));
        }  // the next case collects what this one left, before it starts
    }

    /** The record of a case without measurements. */
    static BenchResult base(BenchCase c, BenchResult.Status status, String reason) {
        String kind = null, pattern = null;
        try {
            Mask m = Mask.parse(c.mask());
            kind = m.kind().orElse(null);
            var d = c.dims();
            boolean causal = m.isCausal(d.batch(), d.qHeads(), d.qLen(), d.kLen());
            boolean self = d.qLen() == d.kLen();
            pattern = (self ? (causal ? Pattern.CAUSAL_SELF : Pattern.NONCAUSAL_SELF) : (causal ? Pattern.CAUSAL_CROSS : Pattern.NONCAUSAL_CROSS)).name();
        } catch (RuntimeException e) {
            // a mask that does not fit its lengths: the case's own check reports it
        }
        return BenchResult.of(c.suite(), c.name(), c.mechanism(), c.source(), c.params(), c.exact(), c.mask(), kind, pattern,
                c.pass().label(), c.dims(), status, reason);
    }

    private static List<BenchResult> rated(List<BenchResult> results, MachinePeak.Result peak) {
        List<BenchResult> out = new ArrayList<>(results.size());
        for (BenchResult r : results) out.add(rate(r, peak));
        return out;
    }

    /** Rates from the useful work and the run's peaks. */
    public static BenchResult rate(BenchResult r, MachinePeak.Result peak) {
        if (r.timing() == null) return r;
        double ms = r.timing().medianMs();
        Double gflops = r.usefulFlops() != null ? r.usefulFlops() / (ms * 1e6) : null;
        Double gbps = r.bytes() != null ? r.bytes() / (ms * 1e6) : null;
        Double pctPeak = gflops != null && peak != null && peak.fmaGflops() > 0 ? 100 * gflops / peak.fmaGflops() : null;
        Double pctBw = gbps != null && peak != null && peak.readGBps() > 0 ? 100 * gbps / peak.readGBps() : null;
        return new BenchResult(r.suite(), r.name(), r.mechanism(), r.source(), r.params(), r.exact(), r.mask(), r.maskKind(), r.pattern(),
                r.pass(), r.batch(), r.qHeads(), r.kvHeads(), r.qLen(), r.kLen(), r.headDim(), r.status(), r.reason(), r.timing(),
                r.usefulFlops(), gflops, pctPeak, r.workFlops(), r.bytes(), gbps, pctBw, r.allocBytesPerCall(), r.peakHeapBytes(),
                r.fidelity(), r.variant());
    }

    BenchResult.Timing timing(double[] times, boolean again) {
        double mean = Arrays.stream(times).average().orElse(Double.NaN);
        double var = Arrays.stream(times).map(t -> (t - mean) * (t - mean)).sum() / Math.max(1, times.length - 1);
        double cv = times.length > 1 ? Math.sqrt(var) / mean : 0;
        boolean unstable = spread(times) > settings.unstableSpread();
        return new BenchResult.Timing(times.length, percentile(times, 0.5), percentile(times, 0.2), percentile(times, 0.8),
                Arrays.stream(times).min().orElse(Double.NaN), cv, unstable, again, Arrays.stream(times).boxed().toList());
    }

    /** (p80 - p20) / median: robust to the odd slow run a shared machine throws in. */
    static double spread(double[] times) {
        double m = percentile(times, 0.5);
        return m > 0 ? (percentile(times, 0.8) - percentile(times, 0.2)) / m : 0;
    }

    /** Linear interpolation between order statistics. */
    static double percentile(double[] x, double p) {
        if (x.length == 0) return Double.NaN;
        double[] s = x.clone();
        Arrays.sort(s);
        double at = p * (s.length - 1);
        int lo = (int) Math.floor(at), hi = (int) Math.ceil(at);
        return s[lo] + (s[hi] - s[lo]) * (at - lo);
    }

    private static void sample(Supplier<MachinePeak.Result> probe, List<MachinePeak.Result> samples, boolean[] unstable) {
        MachinePeak.Result r = probe.get();
        if (r.threads() > 1 && r.fmaGflops() < r.fmaGflopsOneThread()) {
            r = probe.get();  // all threads below one: the machine was busy; once more
            if (r.fmaGflops() < r.fmaGflopsOneThread()) unstable[0] = true;
        }
        samples.add(r);
    }

    /** Per-field medians of the peak samples. */
    public static MachinePeak.Result median(List<MachinePeak.Result> samples) {
        MachinePeak.Result first = samples.get(0);
        return new MachinePeak.Result(first.threads(), first.vectorBits(),
                percentile(samples.stream().mapToDouble(MachinePeak.Result::fmaGflopsOneThread).toArray(), 0.5),
                percentile(samples.stream().mapToDouble(MachinePeak.Result::fmaGflops).toArray(), 0.5),
                percentile(samples.stream().mapToDouble(MachinePeak.Result::readGBps).toArray(), 0.5));
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) p.resetPeakUsage();
    }

    private static final long GC_ABOVE_BYTES = 768L << 20;

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long peakHeap() {
        long s = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) s += p.getPeakUsage().getUsed();
        return s;
    }

    static String describe(Throwable e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
        return msg.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    private static String gib(long bytes) {
        return String.format("%.1f GiB", bytes / (double) (1L << 30));
    }

    private static String pct(double x) {
        return String.format("%.0f%%", 100 * x);
    }

    /** One line for logs: the time, the rates, the spread. */
    static String summary(BenchResult r) {
        if (r.status() != BenchResult.Status.OK) return r.status().cell() + ": " + r.reason();
        BenchResult.Timing t = r.timing();
        StringBuilder b = new StringBuilder(String.format("%.3f ms (p20-p80 %.3f-%.3f)", t.medianMs(), t.p20Ms(), t.p80Ms()));
        if (r.gflops() != null) b.append(String.format(", %.1f GFLOP/s", r.gflops()));
        if (r.pctPeak() != null) b.append(String.format(" (%.1f%% of peak)", r.pctPeak()));
        if (r.gbps() != null) b.append(String.format(", %.1f GB/s", r.gbps()));
        if (r.pctBw() != null) b.append(String.format(" (%.1f%% of bw)", r.pctBw()));
        if (r.fidelity() != null) b.append(String.format(", rel. error %.2e", r.fidelity().relFrobenius()));
        if (t.unstable()) b.append(" [unstable]");
        return b.toString();
    }
}
