package dev.attend.cli.bench.report;

import dev.attend.cli.bench.BenchResult;
import dev.attend.cli.bench.report.Workloads.Family;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * CAB's efficiency length: the sequence length beyond which a mechanism is cheaper than exact attention.
 *
 * <p>For each mechanism over the lengths it ran at one pass, mask kind and shape (batch, heads, head dimension), the
 * cost is fitted as {@code t(L) = a L^p} by least squares on {@code log t = log a + p log L}; the crossing with
 * exact flash's fit in the same group is {@code L* = (a_flash / a)^(1 / (p - p_flash))}. A crossing outside
 * {@link #MIN_LENGTH}..{@link #MAX_LENGTH} (2^4..2^24), or parallel fits, are reported as "never", with which side
 * the mechanism stays on. The same is done for memory with {@code peak_heap_bytes}. {@code L} is the key length
 * ({@code Lk}; equal to {@code Lq} in self attention). The exponents themselves are reported: a flash time exponent
 * near 2 and a linear mechanism's near 1 are what one expects. Where the group also timed the scalar loop (the
 * baseline a Java user would write, {@link #SCALAR}), time crossings are given against it too: CAB measured against a
 * plain implementation, and a fast exact kernel moves every crossing out. Each row also has the mechanism's work
 * rate (the FLOPs it did, not exact attention's, per second, and as % of the FMA peak) at {@link #RATE_LENGTH}, or
 * at its longest length below that. Cost: one fit per mechanism and group, O(points).
 */
public final class EfficiencyLength {
    public static final double MIN_LENGTH = 1 << 4;
    public static final double MAX_LENGTH = 1 << 24;
    /** The mechanism name of the scalar baseline's records. */
    public static final String SCALAR = "scalar";
    /** The length whose work rate a row reports (the "% of peak at 64K"). */
    public static final int RATE_LENGTH = 1 << 16;

    private EfficiencyLength() {}

    /** A power law {@code a L^p} fitted through {@code points} lengths. */
    public record Fit(double a, double p, int points) {
        public double at(double length) {
            return a * Math.pow(length, p);
        }
    }

    /**
     * Where a fit crosses flash's: {@code length} (null when it does not cross within the range) and a sentence,
     * e.g. {@code 1877, faster above} or {@code never: faster at every length in 16..16M}.
     */
    public record Crossing(Double length, String text) {}

    /**
     * One mechanism in one group: pass, mask kind, shape without the length, the lengths fitted, and the time and
     * memory fits with their crossings with flash (null where the group has no flash, or the record no memory).
     */
    public record Row(String pass, String mask, String shape, String mechanism, List<Integer> lengths,
                      Fit time, Crossing timeCrossing, Crossing scalarCrossing, Fit memory, Crossing memoryCrossing, Rate rate) {}

    /**
     * The work rate of one record: {@code gflops} of the FLOPs the mechanism reports doing (exact attention's where it
     * reports none), {@code pctPeak} of the run's FMA peak (null without a peak), at key length {@code length}.
     */
    public record Rate(int length, double gflops, Double pctPeak) {}

    /**
     * The least-squares power law through {@code (lengths[i], values[i])} in log-log space.
     *
     * @throws IllegalArgumentException when the arrays differ in length, a value is not positive and finite, or
     *                                  fewer than two distinct lengths are given
     */
    public static Fit fit(double[] lengths, double[] values) {
        if (lengths.length != values.length) {
            throw new IllegalArgumentException("values: expected as many as lengths (" + lengths.length + "), got " + values.length);
        }
        int n = lengths.length;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++) {
            if (!(lengths[i] > 0) || !(values[i] > 0) || !Double.isFinite(lengths[i]) || !Double.isFinite(values[i])) {
                throw new IllegalArgumentException("point " + i + ": expected a positive finite length and value, got ("
                        + lengths[i] + ", " + values[i] + ")");
            }
            double x = Math.log(lengths[i]), y = Math.log(values[i]);
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        double den = n * sxx - sx * sx;
        if (n < 2 || !(den > 1e-12 * Math.max(1, sxx))) {
            throw new IllegalArgumentException("lengths: expected at least two distinct lengths, got " + java.util.Arrays.toString(lengths));
        }
        double p = (n * sxy - sx * sy) / den;
        double logA = (sy - p * sx) / n;
        return new Fit(Math.exp(logA), p, n);
    }

    /** Where {@code fit} crosses {@code reference} within {@link #MIN_LENGTH}..{@link #MAX_LENGTH}, in time's words. */
    public static Crossing crossing(Fit fit, Fit reference) {
        return crossing(fit, reference, "faster", "slower");
    }

    private static Crossing crossing(Fit fit, Fit reference, String better, String worse) {
        String range = Fmt.len(MIN_LENGTH) + ".." + Fmt.len(MAX_LENGTH);
        double dp = fit.p() - reference.p();
        if (Math.abs(dp) > 1e-9) {
            double l = Math.exp((Math.log(reference.a()) - Math.log(fit.a())) / dp);
            if (l >= MIN_LENGTH && l <= MAX_LENGTH) {
                // The smaller exponent wins beyond the crossing.
                return new Crossing(l, String.format(Locale.ROOT, "%s, %s %s", Fmt.len(l), better, dp < 0 ? "above" : "below"));
            }
        }
        boolean lowAtStart = fit.at(MIN_LENGTH) < reference.at(MIN_LENGTH);
        boolean lowAtEnd = fit.at(MAX_LENGTH) < reference.at(MAX_LENGTH);
        if (lowAtStart == lowAtEnd) return new Crossing(null, "never: " + (lowAtStart ? better : worse) + " at every length in " + range);
        return new Crossing(null, "never in " + range);
    }

    /** The rows of {@code run}: every mechanism with at least two timed lengths in a group that flash or it ran. */
    public static List<Row> table(BenchRun run) {
        String flash = Workloads.flashSpec(run.results());
        Map<List<Object>, List<BenchResult>> groups = new LinkedHashMap<>();
        List<BenchResult> timed = run.results().stream().filter(Workloads::timed).toList();
        for (Map.Entry<String, List<BenchResult>> byMask : Workloads.byMask(timed).entrySet()) {
            for (BenchResult r : byMask.getValue()) groups.computeIfAbsent(List.of(Family.of(r), byMask.getKey()), k -> new ArrayList<>()).add(r);
        }
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<List<Object>, List<BenchResult>> g : groups.entrySet()) {
            Family fam = (Family) g.getKey().get(0);
            String mask = (String) g.getKey().get(1);
            Map<String, List<BenchResult>> byMech = new LinkedHashMap<>();
            for (BenchResult r : g.getValue()) byMech.computeIfAbsent(r.mechanism(), k -> new ArrayList<>()).add(r);
            Fit flashTime = fitOf(byMech.get(flash), r -> r.timing().medianMs());
            Fit scalarTime = fitOf(byMech.get(SCALAR), r -> r.timing().medianMs());
            Fit flashMem = fitOf(byMech.get(flash), r -> r.peakHeapBytes() == null ? null : r.peakHeapBytes().doubleValue());
            for (Map.Entry<String, List<BenchResult>> m : byMech.entrySet()) {
                Fit time = fitOf(m.getValue(), r -> r.timing().medianMs());
                if (time == null) continue;
                Fit mem = fitOf(m.getValue(), r -> r.peakHeapBytes() == null ? null : r.peakHeapBytes().doubleValue());
                boolean self = m.getKey().equals(flash);
                Crossing tc = self || flashTime == null ? null : crossing(time, flashTime);
                Crossing sc = scalarTime == null || m.getKey().equals(SCALAR) ? null : crossing(time, scalarTime);
                Crossing mc = self || flashMem == null || mem == null ? null : crossing(mem, flashMem, "less memory", "more memory");
                rows.add(new Row(fam.pass(), mask, fam.shape(), m.getKey(), perLength(m.getValue(), r -> 1.0).keySet().stream().toList(),
                        time, tc, sc, mem, mc, rate(m.getValue())));
            }
        }
        return rows;
    }

    /** The work rate at {@link #RATE_LENGTH}, or at the longest length below it; null when none was timed there. */
    static Rate rate(List<BenchResult> rs) {
        BenchResult best = null;
        for (BenchResult r : rs) {
            if (r.kLen() > RATE_LENGTH || r.usefulFlops() == null || r.gflops() == null) continue;
            if (best == null || r.kLen() > best.kLen()) best = r;
        }
        if (best == null) return null;
        // gflops and pctPeak count exact attention's FLOPs; scale them to the FLOPs the mechanism did.
        double work = best.workFlops() != null ? best.workFlops() / best.usefulFlops() : 1.0;
        return new Rate(best.kLen(), best.gflops() * work, best.pctPeak() == null ? null : best.pctPeak() * work);
    }

    /** The fit of {@code value} over the records' lengths (first record per length), or null with fewer than two. */
    private static Fit fitOf(List<BenchResult> rs, Function<BenchResult, Double> value) {
        if (rs == null) return null;
        TreeMap<Integer, Double> points = perLength(rs, value);
        if (points.size() < 2) return null;
        double[] l = new double[points.size()], v = new double[points.size()];
        int i = 0;
        for (Map.Entry<Integer, Double> e : points.entrySet()) {
            l[i] = e.getKey();
            v[i++] = e.getValue();
        }
        return fit(l, v);
    }

    private static TreeMap<Integer, Double> perLength(List<BenchResult> rs, Function<BenchResult, Double> value) {
        TreeMap<Integer, Double> points = new TreeMap<>();
        for (BenchResult r : rs) {
            Double v = value.apply(r);
            if (v != null && v > 0 && Double.isFinite(v)) points.putIfAbsent(r.kLen(), v);
        }
        return points;
    }
}
