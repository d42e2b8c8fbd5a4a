package dev.attend.cli.bench;

import dev.attend.simd.MachinePeak;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Times benchmark cases: each is set up (untimed) and warmed up first; then the timed runs go in rounds,
 * one run of every case per round, until every case has its minimum count and the rounds have lasted the
 * target time per case; reports the median. Rounds spread a shared machine's slow stretches over all
 * cases instead of letting one case sit in them. The machine's peaks are sampled once per round too, and
 * GFLOP/s and GB/s are set against their medians: the percentages compare numbers measured over the
 * same stretch of time, because a shared machine drifts even within a run.
 *
 * <p>A case that throws is recorded with its error and the run goes on.
 */
public final class BenchRunner {

    /**
     * How long to time each case.
     *
     * @param warmupRuns    runs before timing, at least
     * @param warmupSeconds warm up for at least this long too
     * @param minRuns       timed runs, at least
     * @param maxRuns       timed runs, at most
     * @param targetSeconds keep timing until this much time has passed (or maxRuns)
     */
    public record Settings(int warmupRuns, double warmupSeconds, int minRuns, int maxRuns, double targetSeconds) {
        public Settings {
            if (warmupRuns < 0 || minRuns < 1 || maxRuns < minRuns || warmupSeconds < 0 || targetSeconds < 0) {
                throw new IllegalArgumentException("settings: need warmupRuns >= 0, 1 <= minRuns <= maxRuns and times >= 0, got " + this);
            }
        }

        public static Settings full() {
            return new Settings(2, 3.0, 5, 100, 2.0);  // C2 compiles the Vector API kernels on the same 2 cores: give it time
        }

        public static Settings quick() {
            return new Settings(1, 1.5, 3, 20, 0.5);
        }
    }

    /**
     * One measured case. Rates are null where they do not apply (no FLOPs, no bytes, or the case failed).
     *
     * @param error null unless the case threw; then the times are NaN and runs is 0
     */
    public record Measurement(BenchCase benchCase, int runs, double medianMs, double minMs,
                              Double gflops, Double pctPeak, Double gbps, Double pctBw, String error) {}

    /** The measurements, the peak they are set against (per-field medians of the samples), and the samples. */
    public record Run(List<Measurement> measurements, MachinePeak.Result peak, List<MachinePeak.Result> peakSamples) {}

    private final Settings settings;
    private final Consumer<String> log;
    private final boolean progressBar;

    /**
     * @param log         receives a line per warmed-up case, per timed round and per finished case (null: silent)
     * @param progressBar draw a progress bar on stderr (for a terminal; CI logs read better with {@code log})
     */
    public BenchRunner(Settings settings, Consumer<String> log, boolean progressBar) {
        this.settings = settings;
        this.log = log == null ? s -> {} : log;
        this.progressBar = progressBar;
    }

    /**
     * Warms up and times {@code cases}; {@code probe} measures the machine's peaks, once per round
     * (a fixed value in tests).
     */
    public Run run(List<BenchCase> cases, Supplier<MachinePeak.Result> probe) {
        int n = cases.size();
        List<MachinePeak.Result> samples = new ArrayList<>();
        Runnable[] bodies = new Runnable[n];
        String[] errors = new String[n];
        double[][] ms = new double[n][settings.maxRuns()];
        int[] runs = new int[n];
        try (ProgressBar bar = progressBar ? bar(n + settings.maxRuns(), System.err) : null) {
            for (int i = 0; i < n; i++) {
                if (bar != null) bar.setExtraMessage("warming up " + cases.get(i).name());
                try {
                    bodies[i] = warm(cases.get(i));
                } catch (RuntimeException | OutOfMemoryError e) {
                    errors[i] = describe(e);
                }
                if (bar != null) bar.step();
                log.accept(String.format("warmed up [%d/%d] %s", i + 1, n, cases.get(i).name()));
            }
            long end = System.nanoTime() + (long) (settings.targetSeconds() * n * 1e9);
            for (int round = 0; round < settings.maxRuns() && (round < settings.minRuns() || System.nanoTime() < end); round++) {
                if (bar != null) bar.setExtraMessage("round " + (round + 1));
                samples.add(probe.get());
                for (int i = 0; i < n; i++) {
                    if (errors[i] != null) continue;
                    try {
                        long t0 = System.nanoTime();
                        bodies[i].run();
                        ms[i][runs[i]++] = (System.nanoTime() - t0) / 1e6;
                    } catch (RuntimeException | OutOfMemoryError e) {
                        errors[i] = describe(e);
                    }
                }
                if (bar != null) bar.step();
                log.accept(String.format("timed round %d", round + 1));
            }
            if (bar != null) bar.stepTo(n + settings.maxRuns());
        }
        MachinePeak.Result peak = median(samples);
        List<Measurement> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Measurement m = errors[i] != null ? failed(cases.get(i), errors[i]) : measured(cases.get(i), Arrays.copyOf(ms[i], runs[i]), peak);
            out.add(m);
            log.accept(String.format("[%d/%d] %s: %s", i + 1, n, cases.get(i).name(), summary(m)));
        }
        return new Run(out, peak, List.copyOf(samples));
    }

    /** Per-field medians of the peak samples. */
    static MachinePeak.Result median(List<MachinePeak.Result> samples) {
        MachinePeak.Result first = samples.get(0);
        return new MachinePeak.Result(first.threads(), first.vectorBits(),
                median(samples.stream().mapToDouble(MachinePeak.Result::fmaGflopsOneThread).toArray()),
                median(samples.stream().mapToDouble(MachinePeak.Result::fmaGflops).toArray()),
                median(samples.stream().mapToDouble(MachinePeak.Result::readGBps).toArray()));
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static ProgressBar bar(int n, PrintStream err) {
        // An explicit consumer with a fixed width: the default one probes the terminal through JLine,
        // which logs a warning when there is none.
        return new ProgressBarBuilder().setTaskName("bench").setInitialMax(n).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(err, 110)).setUpdateIntervalMillis(250).build();
    }

    /** Sets a case up and warms it up; returns the body to time. */
    private Runnable warm(BenchCase c) {
        Runnable body = c.setup();
        // The first run may take seconds (the Vector API is slow until C2 compiles it): warm up after it.
        body.run();
        long warmEnd = System.nanoTime() + (long) (settings.warmupSeconds() * 1e9);
        for (int i = 0; i < settings.warmupRuns() || System.nanoTime() < warmEnd; i++) {
            body.run();
            if (i >= settings.warmupRuns() && i >= 1000) break;
        }
        return body;
    }

    private static Measurement measured(BenchCase c, double[] ms, MachinePeak.Result peak) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        int runs = sorted.length;
        double median = median(ms);
        Double gflops = c.flops() > 0 ? c.flops() / (median * 1e6) : null;
        Double gbps = c.bytes() > 0 ? c.bytes() / (median * 1e6) : null;
        Double pctPeak = gflops != null && peak != null && peak.fmaGflops() > 0 ? 100 * gflops / peak.fmaGflops() : null;
        Double pctBw = gbps != null && peak != null && peak.readGBps() > 0 ? 100 * gbps / peak.readGBps() : null;
        return new Measurement(c, runs, median, sorted[0], gflops, pctPeak, gbps, pctBw, null);
    }

    private static Measurement failed(BenchCase c, String error) {
        return new Measurement(c, 0, Double.NaN, Double.NaN, null, null, null, null, error);
    }

    private static String describe(Throwable e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
        return msg.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    static String summary(Measurement m) {
        if (m.error() != null) return "failed: " + m.error();
        StringBuilder b = new StringBuilder(String.format("%.3f ms", m.medianMs()));
        if (m.gflops() != null) b.append(String.format(", %.1f GFLOP/s", m.gflops()));
        if (m.pctPeak() != null) b.append(String.format(" (%.1f%% of peak)", m.pctPeak()));
        if (m.gbps() != null) b.append(String.format(", %.1f GB/s", m.gbps()));
        if (m.pctBw() != null) b.append(String.format(" (%.1f%% of bw)", m.pctBw()));
        return b.toString();
    }
}
