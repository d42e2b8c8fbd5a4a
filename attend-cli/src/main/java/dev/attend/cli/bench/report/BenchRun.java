package dev.attend.cli.bench.report;

import dev.attend.cli.bench.BenchResult;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one run produced, in the order measured: what {@link ReportWriter} writes and {@link ReportReader}
 * reads back ({@code results.json}, schema 1 of {@code docs/bench-results.md}).
 *
 * @param suite       the suite that ran ({@code kernels}, {@code decode}, ...; {@code all} for several)
 * @param command     the command line that started the run, for the reader of the report
 * @param machine     {@code MachineInfo.toMap()} plus {@code date} and {@code peak_unstable}; values may be null
 * @param peakSamples the machine's peaks, sampled once per timed round: maps with {@code fma_gflops_1t},
 *                    {@code fma_gflops}, {@code read_gbps} (and {@code threads}), in the order taken
 * @param results     one record per case, in the order measured
 * @param warnings    what the harness found worth a reader's attention (one sentence each)
 */
public record BenchRun(String suite, String command, Map<String, Object> machine, List<Map<String, Object>> peakSamples,
                       List<BenchResult> results, List<String> warnings) {

    public BenchRun {
        Objects.requireNonNull(machine, "machine: expected a map (MachineInfo.toMap() plus date), got null");
        Objects.requireNonNull(peakSamples, "peakSamples: expected a list (empty when none were taken), got null");
        Objects.requireNonNull(results, "results: expected a list of records, got null");
        Objects.requireNonNull(warnings, "warnings: expected a list (empty when none), got null");
    }
}
