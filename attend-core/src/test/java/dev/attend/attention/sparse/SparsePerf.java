package dev.attend.attention.sparse;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.InputFamily;
import dev.attend.attention.mask.Mask;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A measuring harness, not a test (no JUnit, never run by the suite): time of routing and landmark attention against
 * Attend's exact flash in the same JVM, one head group (B = Hq = Hkv = 1), fp32, with the relative Frobenius error of
 * the output against flash's (fp32 exact, used as the reference at lengths where the fp64 one takes hours).
 * <pre>
 * java --add-modules jdk.incubator.vector -cp attend-core/target/classes:attend-core/target/test-classes \
 *     dev.attend.attention.sparse.SparsePerf 16384,65536 64,128 causal "routing;landmark;landmark:topK=1;..."
 * </pre>
 * Each case: one warm-up call, then the median of 3 calls; flash beyond 16K: one call, no warm-up (the JIT is warm from 2K).
 */
public final class SparsePerf {
    private SparsePerf() {}

    public static void main(String[] args) {
        int[] lengths = Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray();
        int[] dims = Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray();
        Mask mask = Mask.parse(args[2]);
        String[] specs = args[3].split(";");
        List<InputFamily> families = args.length > 4 ? Arrays.stream(args[4].split(",")).map(InputFamily::valueOf).toList()
                : List.of(InputFamily.values());
        // Warm the JIT on a small problem of every mechanism.
        AttentionProblem warm = SparseTesting.family(InputFamily.GAUSSIAN, 1, 2048, 64, mask, 1);
        for (int i = 0; i < 3; i++) {
            Attention.flash().forward(warm);
            for (String s : specs) Attention.of(s).forward(warm);
        }
        System.out.println("| L | D | family | mechanism | time ms | flash ms | speed-up | rel. error |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (int l : lengths) {
            for (int d : dims) {
                for (InputFamily f : families) {
                    AttentionProblem p = SparseTesting.family(f, 1, l, d, mask, 11);
                    double[] tf = new double[1];
                    AttentionResult exact = time(Attention.flash(), p, l > 16384 ? 1 : 3, l <= 16384, tf);
                    for (String s : specs) {
                        double[] t = new double[1];
                        AttentionResult got = time(Attention.of(s), p, 3, true, t);
                        System.out.printf(Locale.ROOT, "| %d | %d | %s | `%s` | %.1f | %.1f | %.1fx | %.2e |%n", l, d, f.label(), s, t[0], tf[0],
                                tf[0] / t[0], SparseTesting.relError(exact.out(), got.out()));
                    }
                    System.out.flush();
                }
            }
        }
    }

    /** The median wall time of {@code runs} calls (after one warm-up call when {@code warm}), in {@code ms[0]}; the last result. */
    private static AttentionResult time(AttentionMechanism m, AttentionProblem p, int runs, boolean warm, double[] ms) {
        AttentionResult r = warm ? m.forward(p) : null;
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            r = m.forward(p);
            times.add((System.nanoTime() - t0) / 1e6);
        }
        times.sort(null);
        ms[0] = times.get(times.size() / 2);
        return r;
    }
}
