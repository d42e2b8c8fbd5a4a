package dev.attend.cli;

import dev.attend.cli.bench.BenchCase;
import dev.attend.cli.bench.BenchResult;
import dev.attend.cli.bench.BenchRunner;
import dev.attend.cli.bench.BenchSuite;
import dev.attend.cli.bench.KernelCases;
import dev.attend.cli.bench.report.BenchRun;
import dev.attend.cli.bench.report.Compare;
import dev.attend.cli.bench.report.ReportReader;
import dev.attend.cli.bench.report.ReportWriter;
import dev.attend.simd.MachinePeak;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code attend bench}: measures the machine's peaks, times every case of a suite and writes the report as it
 * goes (results.json, results.csv, summary.md after every case; index.html and its charts at the end), so an
 * interrupted run leaves a valid partial report.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark attention mechanisms against the peaks this machine reaches now, and against each other.",
            "Writes DIR/results.json, results.csv and summary.md as it goes, and DIR/index.html with charts at the end."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "Smaller shapes and shorter timing.")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).", defaultValue = "bench-out")
    Path out;

    @Option(names = "--suite", paramLabel = "NAME", defaultValue = "standard", converter = Converters.Suite.class,
            description = "Which cases to run: standard (default: kernels, decode, fidelity, scaling), kernels, decode, fidelity, scaling, peers, exact.")
    String suite;

    @Option(names = "--filter", paramLabel = "TEXT", description = "Run only the cases whose name contains TEXT (case-insensitive).")
    String filter;

    @Option(names = "--list", description = "List the cases and exit.")
    boolean list;

    @Option(names = "--resume", paramLabel = "DIR", description = "Keep the cases already measured in DIR/results.json and measure the rest there.")
    Path resume;

    @Option(names = "--compare", paramLabel = "OLD.json", description = "Compare this run with an earlier results.json: regressions and improvements beyond the noise both runs measured.")
    Path compare;

    @Option(names = "--time-budget", paramLabel = "MINUTES", description = "Start no new case after this many minutes (the report says how many were left).")
    Double timeBudget;

    @Option(names = "--progress", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Draw a progress bar when stderr is a terminal (default: on).")
    boolean progress;

    /** Timing settings override, for tests. */
    BenchRunner.Settings settings;

    /** Peak probe override, for tests. */
    java.util.function.Supplier<MachinePeak.Result> probe;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        List<BenchCase> cases = BenchSuite.named(suite).cases(quick);
        if (filter != null) {
            String f = filter.toLowerCase(Locale.ROOT);
            cases = cases.stream().filter(c -> c.name().toLowerCase(Locale.ROOT).contains(f)).toList();
            if (cases.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--filter: no case of suite '" + suite + "' matches '" + filter
                        + "' (see --list)");
            }
        }
        if (list) {
            for (BenchCase c : cases) stdout.println(c.name());
            stdout.flush();
            return 0;
        }
        if (timeBudget != null && !(timeBudget > 0)) throw new ParameterException(spec.commandLine(), "--time-budget: expected minutes > 0, got " + timeBudget);
        Path dir = resume != null ? resume : out;
        // The results go here: refuse a bad directory now, not after minutes of measuring.
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ParameterException(spec.commandLine(), (resume != null ? "--resume" : "--out") + ": '" + dir + "' is a file, expected a directory"
                    + (resume != null ? "" : " (created if missing)"));
        }
        BenchRun old = compare == null ? null : readOrRefuse("--compare", compare);
        List<BenchResult> kept = resume != null ? readOrRefuse("--resume", dir.resolve(ReportWriter.RESULTS_JSON)).results() : List.of();
        Files.createDirectories(dir);
        if (!Files.isWritable(dir)) throw new ParameterException(spec.commandLine(), "--out: directory '" + dir + "' is not writable");
        Set<String> done = new HashSet<>();
        for (BenchResult r : kept) if (r.status() != BenchResult.Status.ERROR) done.add(r.name());

        BenchRunner.Settings s = settings != null ? settings : quick ? BenchRunner.Settings.quick() : BenchRunner.Settings.full();
        boolean bar = progress && System.console() != null && System.console().isTerminal();
        String command = "attend bench --suite " + suite + (quick ? " --quick" : "") + (filter != null ? " --filter " + filter : "");
        long deadline = timeBudget == null ? Long.MAX_VALUE : System.nanoTime() + (long) (timeBudget * 60e9);
        long todo = cases.stream().filter(c -> !done.contains(c.name())).count();
        try (ProgressBar pb = bar ? new ProgressBarBuilder().setTaskName("bench").setInitialMax(todo).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err, 110)).setUpdateIntervalMillis(250).build() : null) {
            BenchRunner.Listener listener = new BenchRunner.Listener() {
                @Override
                public void started(int index, int total, BenchCase c) {
                    if (pb != null) pb.setExtraMessage(c.name());
                }

                @Override
                public void finished(int index, int total, BenchResult r, List<BenchResult> soFar, MachinePeak.Result peak,
                                     List<MachinePeak.Result> samples) {
                    if (pb != null) pb.step();
                    else {
                        stderr.println(String.format("[%d/%d] %s: %s", index + 1, total, r.name(), summaryOf(r)));
                        stderr.flush();
                    }
                    // The results at most 2 s apart, the tables and the page every 10 s: rewriting all the results
                    // after each case grew to 56 ms a case by the end of a standard run (1.4 minutes of its 44), and
                    // rendering the tables after each of a quick run's cases took longer than measuring them.
                    long now = System.nanoTime();
                    boolean full = now - lastFullWrite > FULL_WRITE_EVERY_NANOS;
                    if (!full && lastWrite != 0 && now - lastWrite < RESULTS_WRITE_EVERY_NANOS) return;
                    write(dir, command, peak, samples, merge(kept, soFar), List.of(), false, full);
                    lastWrite = System.nanoTime();
                    if (full) lastFullWrite = lastWrite;
                }

                private long lastFullWrite = System.nanoTime(), lastWrite;
            };
            if (settings == null && cases.stream().anyMatch(c -> "attend".equals(c.source()))) {
                if (pb != null) pb.setExtraMessage("warming up the JIT");
                KernelCases.warmJit(quick ? 2 : 5);
            }
            BenchRunner.Run run = new BenchRunner(s, listener).run(cases, probe != null ? probe : quick ? MachinePeak::quick : MachinePeak::measure,
                    done, deadline);
            List<BenchResult> all = merge(kept, run.results());
            if (pb != null) pb.stepTo(todo);
            BenchRun done2 = runOf(command, run.peak(), run.peakSamples(), all, run.warnings(), run.peakUnstable());
            String md = ReportWriter.write(dir, done2);
            stdout.print(md);
            stdout.println();
            if (old != null) stdout.println(Compare.render(old, done2, Compare.compare(old, done2)));
            stdout.println("wrote " + dir.resolve(ReportWriter.INDEX) + ", " + ReportWriter.RESULTS_JSON + ", " + ReportWriter.RESULTS_CSV
                    + " and " + ReportWriter.SUMMARY);
            stdout.flush();
            // A case that failed fails the run; one that hit the run's time or memory limit is an E cell and no more.
            return all.stream().anyMatch(r -> r.status() == BenchResult.Status.ERROR && !BenchRunner.overALimit(r)) ? Main.EXIT_FAILURE : 0;
        }
    }

    private static String summaryOf(BenchResult r) {
        if (r.status() != BenchResult.Status.OK) return r.status().cell() + ": " + r.reason();
        BenchResult.Timing t = r.timing();
        return String.format("%.3f ms (p20-p80 %.3f-%.3f)%s%s", t.medianMs(), t.p20Ms(), t.p80Ms(),
                r.pctPeak() == null ? "" : String.format(", %.1f%% of peak", r.pctPeak()),
                r.pctBw() == null ? "" : String.format(", %.1f%% of bw", r.pctBw()));
    }

    private static final long FULL_WRITE_EVERY_NANOS = 10_000_000_000L, RESULTS_WRITE_EVERY_NANOS = 2_000_000_000L;

    private void write(Path dir, String command, MachinePeak.Result peak, List<MachinePeak.Result> samples, List<BenchResult> results,
                       List<String> warnings, boolean peakUnstable, boolean tables) {
        try {
            BenchRun run = runOf(command, peak, samples, results, warnings, peakUnstable);
            if (tables) ReportWriter.write(dir, run, false);
            else ReportWriter.writeResults(dir, run);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private BenchRun runOf(String command, MachinePeak.Result peak, List<MachinePeak.Result> samples, List<BenchResult> results,
                           List<String> warnings, boolean peakUnstable) {
        Map<String, Object> machine = new LinkedHashMap<>(MachineInfo.current(peak).toMap());
        machine.put("date", MachineInfo.now());
        machine.put("peak_unstable", peakUnstable);
        List<Map<String, Object>> peaks = new ArrayList<>();
        for (MachinePeak.Result r : samples) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("threads", r.threads());
            m.put("fma_gflops_1t", r.fmaGflopsOneThread());
            m.put("fma_gflops", r.fmaGflops());
            m.put("read_gbps", r.readGBps());
            peaks.add(m);
        }
        return new BenchRun(suite, command, machine, peaks, results, warnings);
    }

    /** Earlier records first, replaced where measured again. */
    private static List<BenchResult> merge(List<BenchResult> kept, List<BenchResult> now) {
        Map<String, BenchResult> byName = new LinkedHashMap<>();
        for (BenchResult r : kept) byName.put(r.name(), r);
        for (BenchResult r : now) byName.put(r.name(), r);
        return new ArrayList<>(byName.values());
    }

    /** An earlier run, or a usage error naming the option and the problem. */
    private BenchRun readOrRefuse(String option, Path file) {
        if (!Files.isRegularFile(file)) throw new ParameterException(spec.commandLine(), option + ": no results file " + file);
        try {
            return ReportReader.read(file);
        } catch (IOException | RuntimeException e) {
            throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage());
        }
    }
}
