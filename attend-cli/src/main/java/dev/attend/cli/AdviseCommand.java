package dev.attend.cli;

import dev.attend.attention.Attention;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Workload;
import dev.attend.attention.mask.Mask;
import dev.attend.cli.bench.BenchCase;
import dev.attend.cli.bench.BenchResult;
import dev.attend.cli.bench.BenchRunner;
import dev.attend.cli.bench.FidelityCases;
import dev.attend.cli.bench.KernelCases;
import dev.attend.cli.bench.report.BenchRun;
import dev.attend.cli.bench.report.Recommendations;
import dev.attend.cli.bench.report.ReportReader;
import dev.attend.cli.bench.report.ReportWriter;
import dev.attend.simd.MachinePeak;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * {@code attend advise}: which attention to use for one shape, mask and error budget. It answers from a
 * benchmark run's results where they cover the shape ({@code --from DIR}), and measures what they lack: every
 * registered mechanism at this shape, and the error of each approximate one on Gaussian inputs at a small size.
 * It prints the choice, its expected time and error, and the runner-up.
 */
@Command(name = "advise", mixinStandardHelpOptions = true,
        description = {"Recommend an attention mechanism for one shape, mask and error budget, from measured results",
            "(--from DIR) and by measuring the cases they lack."})
final class AdviseCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--lq", required = true, paramLabel = "N", description = "Query length.")
    int lq;

    @Option(names = "--lk", paramLabel = "N", description = "Key length (default: --lq).")
    Integer lk;

    @Option(names = "--heads", paramLabel = "HQ:HKV", defaultValue = "8:8", description = "Query and key/value heads (default: ${DEFAULT-VALUE}).")
    String heads;

    @Option(names = "--d", paramLabel = "D", defaultValue = "128", description = "Head dimension (default: ${DEFAULT-VALUE}).")
    int d;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1", description = "Batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--mask", paramLabel = "SPEC", defaultValue = "causal", converter = Converters.MaskSpec.class,
            description = "Mask spec (default: ${DEFAULT-VALUE}).")
    Mask mask;

    @Option(names = "--pass", paramLabel = "PASS", defaultValue = "forward", description = "forward, backward or decode (default: ${DEFAULT-VALUE}).")
    String pass;

    @Option(names = "--max-error", paramLabel = "E", defaultValue = "0", description = "Largest relative Frobenius error accepted (default: 0, exact only).")
    double maxError;

    @Option(names = "--from", paramLabel = "DIR", description = "Results of an earlier 'attend bench' (DIR/results.json).")
    Path from;

    @Option(names = "--quick", description = "Shorter measurements of the missing cases.")
    boolean quick;

    @Override
    public Integer call() throws IOException {
        int[] h = parseHeads();
        int keys = lk == null ? lq : lk;
        if (lq < 1 || keys < 1 || d < 1 || batch < 1) throw new ParameterException(spec.commandLine(), "--lq, --lk, --d, --batch: expected positive sizes");
        if (!(maxError >= 0)) throw new ParameterException(spec.commandLine(), "--max-error: expected a number >= 0, got " + maxError);
        Workload.Pass p = switch (pass) {
            case "forward" -> Workload.Pass.FORWARD;
            case "backward" -> Workload.Pass.BACKWARD;
            case "decode" -> Workload.Pass.DECODE;
            default -> throw new ParameterException(spec.commandLine(), "--pass: expected forward, backward or decode, got '" + pass + "'");
        };
        Workload.Shape shape = new Workload.Shape(batch, h[0], h[1], lq, keys, d);
        Recommendations.Question q = new Recommendations.Question(p.label(), mask.describe(), batch, h[0], h[1], lq, keys, d, maxError);
        List<BenchResult> results = new ArrayList<>();
        if (from != null) {
            Path f = from.resolve(ReportWriter.RESULTS_JSON);
            if (!Files.isRegularFile(f)) throw new ParameterException(spec.commandLine(), "--from: no results file " + f);
            results.addAll(ReportReader.read(f).results());
        }
        PrintWriter out = spec.commandLine().getOut();
        Recommendations.Advice advice = Recommendations.advise(run(results), q);
        if (!advice.measured() || !advice.missing().isEmpty()) {
            List<BenchCase> cases = missing(shape, p, results);
            if (!cases.isEmpty()) {
                BenchRunner.Settings s = quick ? BenchRunner.Settings.quick() : BenchRunner.Settings.full();
                s = new BenchRunner.Settings(s.warmupRuns(), s.warmupSeconds(), s.minRuns(), s.minSeconds(), s.maxSeconds(), s.maxRuns(),
                        s.stableSpread(), s.unstableSpread(), 600, s.peakEverySeconds(), Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY,
                        s.remeasureSeconds());
                results.addAll(measure(cases, s));
                advice = Recommendations.advise(run(results), q);
            }
        }
        print(out, q, advice);
        out.flush();
        return advice.measured() ? 0 : Main.EXIT_FAILURE;
    }

    private int[] parseHeads() {
        String[] f = heads.split(":");
        try {
            int hq = Integer.parseInt(f[0].strip()), hkv = f.length > 1 ? Integer.parseInt(f[1].strip()) : hq;
            if (f.length > 2 || hq < 1 || hkv < 1 || hq % hkv != 0) throw new NumberFormatException();
            return new int[] {hq, hkv};
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), "--heads: expected HQ:HKV with HQ a multiple of HKV (e.g. 32:8), got '" + heads + "'");
        }
    }

    /** The timing of every mechanism at this shape, and the error of every approximate one, where the results have none. */
    private List<BenchCase> missing(Workload.Shape shape, Workload.Pass p, List<BenchResult> have) {
        List<BenchCase> cases = new ArrayList<>();
        Set<String> names = new java.util.HashSet<>();
        for (BenchResult r : have) names.add(r.name());
        for (MechanismDescriptor dsc : Attention.descriptors()) {
            if (dsc.isOracle()) continue;
            String specOf = Attention.of(dsc.name()).spec();
            BenchCase c = KernelCases.of("advise", new Workload(specOf, p, shape, Workload.MaskAt.fixed(mask.describe())), null);
            if (c.unsupported() == null && !names.contains(c.name())) cases.add(c);
            if (!dsc.isExact() && have.stream().noneMatch(r -> r.fidelity() != null && r.mechanism().startsWith(dsc.name()))) {
                int small = Math.min(512, Math.min(shape.qLen(), shape.kLen()));
                for (BenchCase f : FidelityCases.of(dsc, Workload.Shape.self(1, Math.min(shape.qHeads(), 4), Math.min(shape.qHeads(), 4), small,
                        shape.headDim()), "causal")) {
                    if (f.unsupported() == null) cases.add(f);
                }
            }
        }
        return cases;
    }

    private List<BenchResult> measure(List<BenchCase> cases, BenchRunner.Settings s) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("measuring " + cases.size() + " cases the results lack...");
        err.flush();
        boolean bar = System.console() != null && System.console().isTerminal();
        try (ProgressBar pb = bar ? new ProgressBarBuilder().setTaskName("advise").setInitialMax(cases.size()).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err, 110)).build() : null) {
            return new BenchRunner(s, new BenchRunner.Listener() {
                @Override
                public void started(int index, int total, BenchCase c) {
                    if (pb != null) pb.setExtraMessage(c.name());
                    else {
                        err.println("[" + (index + 1) + "/" + total + "] " + c.name());
                        err.flush();
                    }
                }

                @Override
                public void finished(int index, int total, BenchResult r, List<BenchResult> soFar, MachinePeak.Result peak,
                                     List<MachinePeak.Result> samples) {
                    if (pb != null) pb.step();
                }
            }).run(cases, quick ? MachinePeak::quick : MachinePeak::measure, Set.of(), Long.MAX_VALUE).results();
        }
    }

    private BenchRun run(List<BenchResult> results) {
        Map<String, Object> machine = new LinkedHashMap<>(MachineInfo.current((MachinePeak.Result) null).toMap());
        machine.put("date", MachineInfo.now());
        machine.put("peak_unstable", false);
        return new BenchRun("advise", "attend advise", machine, List.of(), results, List.of());
    }

    private static void print(PrintWriter out, Recommendations.Question q, Recommendations.Advice a) {
        out.printf("For %s, %s, B=%d, Hq=%d, Hkv=%d, Lq=%d, Lk=%d, D=%d, error <= %s:%n", q.pass(), q.mask(), q.batch(), q.qHeads(), q.kvHeads(),
                q.qLen(), q.kLen(), q.headDim(), q.maxError() == 0 ? "0 (exact)" : q.maxError());
        if (a.choice() == null) {
            out.println("  no measured candidate");
        } else {
            out.println("  use " + describe(a.choice()));
            if (a.runnerUp() != null) out.println("  runner-up " + describe(a.runnerUp()) + (a.tie() ? " (within the noise of the choice)" : ""));
        }
        for (String m : a.missing()) out.println("  note: " + m);
    }

    private static String describe(Recommendations.Pick p) {
        return String.format("%s: %.3f ms (p20-p80 %.3f-%.3f), %s", p.mechanism(), p.medianMs(), p.p20Ms(), p.p80Ms(),
                p.exact() ? "exact" : p.error() == null ? "error unknown" : String.format("relative error %.2e", p.error()));
    }
}
