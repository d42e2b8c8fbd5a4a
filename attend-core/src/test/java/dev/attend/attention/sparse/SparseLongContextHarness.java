package dev.attend.attention.sparse;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.InputFamily;
import dev.attend.attention.Workload;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A measuring harness (not a test: no assertions, run by hand) for the long-context targets: causal self attention of
 * one head group, fp32, each mechanism against Attend's exact flash on the same inputs in the same JVM, with the error
 * at the same point (relative Frobenius and max |error| of the output against flash, whose own error against fp64 is
 * ~1e-6, far below the approximations'). Flash is timed once per family (its single call is also the reference of the
 * error), and each speed-up is against the flash time of the same family, measured minutes apart at most on a shared
 * machine; mechanisms get one warm-up and {@code runs} timed calls (median reported). {@code --only} also prints the
 * process's peak resident memory (VmHWM: heap, off-heap tensors and the JVM itself).
 * <pre>
 * java --add-modules jdk.incubator.vector -cp attend-core/target/classes:attend-core/target/test-classes \
 *     dev.attend.attention.sparse.SparseLongContextHarness L D families runs spec [spec..]
 * e.g. 131072 64 gaussian,needle 3 hyper cca
 * java ... SparseLongContextHarness --only L D runs spec     (no flash: the mechanism's time alone, e.g. at 1M tokens)
 * java ... SparseLongContextHarness --decode L D g s           (CCA's reduced cache: bytes held and per-step time)
 * </pre>
 */
public final class SparseLongContextHarness {
    private SparseLongContextHarness() {}

    public static void main(String[] args) {
        if (args[0].equals("--decode")) {
            decode(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            return;
        }
        if (args[0].equals("--only")) {
            only(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), args[4]);
            return;
        }
        int l = Integer.parseInt(args[0]), d = Integer.parseInt(args[1]), runs = Integer.parseInt(args[3]);
        List<InputFamily> families = new ArrayList<>();
        for (String f : args[2].split(",")) families.add(InputFamily.valueOf(f.toUpperCase(Locale.ROOT)));
        String[] specs = Arrays.copyOfRange(args, 4, args.length);
        Workload.Shape shape = Workload.Shape.self(1, 1, 1, l, d);
        for (InputFamily family : families) {
            AttentionProblem p = new Workload("flash", Workload.Pass.FORWARD, shape, Workload.MaskAt.fixed("causal")).problem(family, 11);
            long t0 = System.nanoTime();
            AttentionResult exact = Attention.flash().forward(p);
            double flashSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "L=%d D=%d %s flash %.3f s%n", l, d, family.label(), flashSeconds);
            for (String spec : specs) {
                AttentionMechanism m = Attention.of(spec);
                AttentionResult got = m.forward(p);   // warm-up, and the result the error is taken from
                double[] times = new double[runs];
                for (int r = 0; r < runs; r++) {
                    long s = System.nanoTime();
                    m.forward(p);
                    times[r] = (System.nanoTime() - s) / 1e9;
                }
                Arrays.sort(times);
                double med = times[runs / 2];
                double[] err = errors(exact, got);
                System.out.printf(Locale.ROOT, "L=%d D=%d %s %s median %.3f s (runs %s) speed-up %.1fx over flash %.3f s; rel err %.3e, max abs %.3e, worst row rel %.3e%n",
                        l, d, family.label(), m.spec(), med, Arrays.toString(times), flashSeconds / med, flashSeconds, err[0], err[1], err[2]);
            }
        }
    }

    /** Relative Frobenius error, max |error|, and the largest relative error of one row. */
    static double[] errors(AttentionResult want, AttentionResult got) {
        float[] a = want.out().toArray(), b = got.out().toArray();
        int d = (int) want.out().dim(3);
        double diff = 0, norm = 0, max = 0, worst = 0;
        for (int r = 0; r < a.length / d; r++) {
            double rd = 0, rn = 0;
            for (int x = r * d; x < (r + 1) * d; x++) {
                double e = (double) b[x] - a[x];
                rd += e * e;
                rn += (double) a[x] * a[x];
                max = Math.max(max, Math.abs(e));
            }
            diff += rd;
            norm += rn;
            worst = Math.max(worst, Math.sqrt(rd / Math.max(rn, 1e-30)));
        }
        return new double[] {Math.sqrt(diff / norm), max, worst};
    }

    private static void only(int l, int d, int runs, String spec) {
        AttentionProblem p = new Workload("flash", Workload.Pass.FORWARD, Workload.Shape.self(1, 1, 1, l, d), Workload.MaskAt.fixed("causal"))
                .problem(InputFamily.GAUSSIAN, 11);
        AttentionMechanism m = Attention.of(spec);
        for (int r = 0; r < runs; r++) {
            long s = System.nanoTime();
            AttentionResult res = m.forward(p);
            System.out.printf(Locale.ROOT, "L=%d D=%d %s run %d: %.3f s (%s)%n", l, d, m.spec(), r, (System.nanoTime() - s) / 1e9, res.stats());
        }
        System.out.println("peak resident memory: " + peakResident());
    }

    /** The VmHWM line of /proc/self/status (Linux), or why it is not known. */
    private static String peakResident() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return line.substring(6).trim();
            }
            return "unknown (no VmHWM in /proc/self/status)";
        } catch (java.io.IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /** Decodes L tokens of one head through {@link CcaCache}: bytes held against a full cache, and the last steps' time. */
    private static void decode(int l, int d, int g, int s) {
        AttentionProblem p = new Workload("cca", Workload.Pass.FORWARD, Workload.Shape.self(1, 1, 1, l, d), Workload.MaskAt.fixed("causal"))
                .problem(InputFamily.GAUSSIAN, 11);
        CcaCache cache = new CcaCache(g, s, 1, 1, 1, d);
        long start = System.nanoTime(), tail = 0;
        for (int t = 0; t < l; t++) {
            if (t == l - 1000) tail = System.nanoTime();
            cache.step(p.q().slice(2, t, t + 1), p.k().slice(2, t, t + 1), p.v().slice(2, t, t + 1), p.scale());
        }
        long end = System.nanoTime();
        System.out.printf(Locale.ROOT, "CCA decode L=%d D=%d g=%d s=%d: cache %d bytes (%d core + %d raw tokens) vs full %d bytes: %.1f%% smaller;"
                        + " %.1f s in all, last 1000 steps %.3f ms each, step reads %d bytes%n",
                l, d, g, s, cache.bytes(), cache.coreTokens(), cache.rawTokens(), cache.fullCacheBytes(),
                100.0 * (1 - (double) cache.bytes() / cache.fullCacheBytes()), (end - start) / 1e9, (end - tail) / 1e6 / 1000, cache.stepBytes());
    }
}
