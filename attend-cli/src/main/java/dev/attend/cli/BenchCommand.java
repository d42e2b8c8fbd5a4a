package dev.attend.cli;

import dev.attend.cli.bench.BenchCase;
import dev.attend.cli.bench.BenchReport;
import dev.attend.cli.bench.BenchRunner;
import dev.attend.cli.bench.BenchSuite;
import dev.attend.simd.MachinePeak;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code attend bench}: measures the machine's peaks, times every case of a suite and writes
 * {@code results.json} and {@code summary.md}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark attention mechanisms against the peaks this machine reaches now.",
            "Writes DIR/results.json and DIR/summary.md and prints the summary."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "Smaller shapes and shorter timing: a run of about a minute.")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).", defaultValue = "bench-out")
    Path out;

    @Option(names = "--suite", paramLabel = "NAME", defaultValue = "exact", converter = Converters.Suite.class,
            description = "Which cases to run (default: ${DEFAULT-VALUE}).")
    String suite;

    @Option(names = "--filter", paramLabel = "TEXT", description = "Run only the cases whose name contains TEXT (case-insensitive).")
    String filter;

    @Option(names = "--list", description = "List the cases and exit.")
    boolean list;

    @Option(names = "--progress", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Draw a progress bar when stderr is a terminal (default: on).")
    boolean progress;

    /** Timing settings override, for tests. */
    BenchRunner.Settings settings;

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
        if (!list) {
            // The results go here: refuse a bad directory now, not after minutes of measuring.
            if (Files.exists(out) && !Files.isDirectory(out)) {
                throw new ParameterException(spec.commandLine(), "--out: '" + out + "' is a file, expected a directory (created if missing)");
            }
            Files.createDirectories(out);
            if (!Files.isWritable(out)) throw new ParameterException(spec.commandLine(), "--out: directory '" + out + "' is not writable");
        }
        if (list) {
            for (BenchCase c : cases) stdout.println(c.name());
            stdout.flush();
            return 0;
        }
        boolean bar = progress && System.console() != null && System.console().isTerminal();
        BenchRunner.Settings s = settings != null ? settings : quick ? BenchRunner.Settings.quick() : BenchRunner.Settings.full();
        // The peaks are sampled once per timed round, beside the cases they are compared with.
        BenchRunner.Run run = new BenchRunner(s, bar ? null : line -> {
            stderr.println(line);
            stderr.flush();
        }, bar).run(cases, quick ? MachinePeak::quick : MachinePeak::measure);
        List<BenchRunner.Measurement> results = run.measurements();
        stderr.println("peaks, median of " + run.peakSamples().size() + " samples: " + run.peak());
        stderr.flush();
        MachineInfo machine = MachineInfo.current(run.peak());
        String md = BenchReport.write(out, suite, machine, MachineInfo.now(), results);
        stdout.print(md);
        stdout.println();
        stdout.println("wrote " + out.resolve(BenchReport.RESULTS) + " and " + out.resolve(BenchReport.SUMMARY));
        stdout.flush();
        return results.stream().anyMatch(r -> r.error() != null) ? Main.EXIT_FAILURE : 0;
    }
}
