package dev.attend.cli.bench.report;

import dev.attend.cli.bench.BenchResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The peaks a run measured (the machine block's medians) and what its samples say about them: their range, and the
 * contradictions a reader should know of before trusting a percentage (all threads below one thread, samples
 * spread more than {@link #SPREAD}, a case above 100% of the peak).
 *
 * @param fma1t   FMA GFLOP/s on one thread (null when not measured)
 * @param fma     FMA GFLOP/s on all threads, what % peak is against
 * @param read    read GB/s, what % bw is against
 * @param threads the threads of the all-threads figures (null when unknown)
 * @param samples how many samples were taken
 * @param fmaMin  smallest all-threads FMA sample (null without samples), {@code fmaMax} the largest
 * @param readMin smallest read sample, {@code readMax} the largest
 * @param warnings one sentence per contradiction
 */
record Peaks(Double fma1t, Double fma, Double read, Integer threads, int samples, Double fmaMin, Double fmaMax,
             Double readMin, Double readMax, List<String> warnings) {
    /** Samples spread beyond this fraction of their median make percentages of cases timed apart incomparable. */
    static final double SPREAD = 0.25;

    static Peaks of(BenchRun run) {
        Map<String, Object> m = run.machine();
        Double fma1t = num(m.get("fma_gflops_1t")), fma = num(m.get("fma_gflops")), read = num(m.get("read_gbps"));
        Integer threads = m.get("threads") instanceof Number n ? n.intValue() : null;
        List<String> warnings = new ArrayList<>();
        if (Boolean.TRUE.equals(m.get("peak_unstable"))) {
            warnings.add("The harness marked the peaks unstable: a sample contradicted itself, so percentages of peak are rough.");
        }
        Double fMin = null, fMax = null, rMin = null, rMax = null;
        List<Map<String, Object>> ss = run.peakSamples();
        for (int i = 0; i < ss.size(); i++) {
            Double f1 = num(ss.get(i).get("fma_gflops_1t")), f = num(ss.get(i).get("fma_gflops")), r = num(ss.get(i).get("read_gbps"));
            Integer t = ss.get(i).get("threads") instanceof Number n ? n.intValue() : threads;
            if (f != null) {
                fMin = fMin == null ? f : Math.min(fMin, f);
                fMax = fMax == null ? f : Math.max(fMax, f);
            }
            if (r != null) {
                rMin = rMin == null ? r : Math.min(rMin, r);
                rMax = rMax == null ? r : Math.max(rMax, r);
            }
            if (f1 != null && f != null && t != null && t > 1 && f < f1) {
                warnings.add(String.format(Locale.ROOT, "Peak sample %d: %d threads reached %.1f GFLOP/s, below one thread's %.1f.", i + 1, t, f, f1));
            }
        }
        spread(warnings, "FMA", "GFLOP/s", fMin, fMax, fma);
        spread(warnings, "read-bandwidth", "GB/s", rMin, rMax, read);
        for (BenchResult r : run.results()) {
            // An approximate mechanism is credited with exact attention's FLOPs: above 100% is expected of it.
            boolean didTheWork = r.exact() || (r.workFlops() != null && r.usefulFlops() != null && r.workFlops() >= 0.9 * r.usefulFlops());
            if (didTheWork && r.pctPeak() != null && r.pctPeak() > 100) {
                warnings.add(String.format(Locale.ROOT, "%s reached %.0f%% of the measured FMA peak: the peak was measured low.", r.name(), r.pctPeak()));
            }
            if (r.pctBw() != null && r.pctBw() > 100) {
                warnings.add(String.format(Locale.ROOT, "%s read at %.0f%% of the measured bandwidth: it reads from cache, or the bandwidth was "
                        + "measured low.", r.name(), r.pctBw()));
            }
        }
        return new Peaks(fma1t, fma, read, threads, ss.size(), fMin, fMax, rMin, rMax, warnings);
    }

    private static void spread(List<String> warnings, String what, String unit, Double min, Double max, Double median) {
        if (min == null || max == null || median == null || median <= 0) return;
        if ((max - min) / median > SPREAD) {
            warnings.add(String.format(Locale.ROOT, "The %s peak samples range %.1f..%.1f %s (%.0f%% of their median): rates of cases timed "
                    + "far apart in the run are set against a moving peak.", what, min, max, unit, 100 * (max - min) / median));
        }
    }

    static Double num(Object v) {
        return v instanceof Number n && Double.isFinite(n.doubleValue()) ? n.doubleValue() : null;
    }
}
