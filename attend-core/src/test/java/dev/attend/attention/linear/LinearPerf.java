package dev.attend.attention.linear;

import dev.attend.attention.RecurrentState;
import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.simd.MachinePeak;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A manual measurement (not a test): time against length for the linear family beside flash in one run, the fitted
 * exponent, the kernels' GFLOP/s against the FMA peak measured in the same run, and decode time per token at two
 * history lengths. {@code java ... LinearPerf scaling [maxLen] [spec@mask,spec@mask]} or {@code LinearPerf decode [history]}.
 */
public final class LinearPerf {
    private LinearPerf() {}

    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "scaling";
        MachinePeak.Result peak = MachinePeak.quick();
        System.out.println(peak + ", " + Parallel.threads() + " threads");
        if (what.equals("scaling")) scaling(args.length > 1 ? Integer.parseInt(args[1]) : 65536, args.length > 2 ? args[2].split(",") : null, peak);
        else decode(args.length > 1 ? Integer.parseInt(args[1]) : 1 << 20);
    }

    private static void scaling(int maxLen, String[] only, MachinePeak.Result peak) {
        int h = 2, d = Integer.getInteger("d", 64);   // -Dd=128: the bench's head dimension
        String[][] specs = {
                {"flash", "causal"}, {"linear", "causal"}, {"linear", "full"}, {"performer", "causal"}, {"performer", "full"},
                {"cosformer", "causal"}, {"cosformer", "full"}, {"taylor", "causal"}, {"keypos", "causal"}, {"local", "causal"},
                {"nystrom:landmarks=64", "full"}, {"long-conv", "causal"}, {"s4d", "causal"}, {"fnet", "full"}, {"sdim", "full"}};
        if (only != null) {
            specs = new String[only.length][];
            for (int i = 0; i < only.length; i++) specs[i] = only[i].split("@");
        }
        for (String[] s : specs) {
            AttentionMechanism m = Attention.of(s[0]);
            Mask mask = s[1].equals("causal") ? Masks.causal() : Masks.full();
            List<double[]> points = new ArrayList<>();
            StringBuilder line = new StringBuilder(String.format("%-22s %-6s", s[0], s[1]));
            // Quadratic flash, Taylor's D^2/2 features and S4D's O(L N D) kernel stop at 64K to keep a run within minutes.
            int top = List.of("flash", "taylor", "s4d", "fnet").contains(s[0]) ? Math.min(maxLen, 65536) : maxLen;
            for (int l = 1024; l <= top; l *= 2) {
                AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 1, h, l, d), Tensor.randn(2, 1, h, l, d), Tensor.randn(3, 1, h, l, d), mask);
                double best = Double.MAX_VALUE, flops = 0;
                int runs = l >= 32768 && s[0].equals("flash") ? 1 : 3;
                m.forward(p);
                for (int r = 0; r < runs; r++) {
                    long t0 = System.nanoTime();
                    AttentionResult res = m.forward(p);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                    flops = res.stats().flops();
                }
                points.add(new double[] {l, best});
                line.append(String.format(" %dK:%.4fs", l / 1024, best));
                if (l == 65536 || l == top) line.append(String.format(" | at %dK %.1f GFLOP/s done = %.0f%% of %.1f", l / 1024, flops / best / 1e9,
                        100 * flops / best / 1e9 / peak.fmaGflops(), peak.fmaGflops()));
            }
            line.append(String.format(" | exponent (4K..) %.2f", exponent(points, 4096)));
            System.out.println(line);
        }
    }

    /** Least-squares slope of log time against log length over the points at or above {@code from}. */
    static double exponent(List<double[]> points, int from) {
        double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (double[] pt : points) {
            if (pt[0] < from) continue;
            double x = Math.log(pt[0]), y = Math.log(pt[1]);
            n++;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    private static void decode(int history) {
        int d = 64;
        Object[][] states = {
                {"linear", ((KernelAttention) Attention.of("linear")).newState(d, 0.125f, Integer.MAX_VALUE)},
                {"performer", ((KernelAttention) Attention.of("performer")).newState(d, 0.125f, Integer.MAX_VALUE)},
                {"cosformer:horizon=" + (history + 4096), ((KernelAttention) Attention.of("cosformer:horizon=" + (history + 4096))).newState(d, 0.125f, history + 4096)},
                {"taylor (D=16)", ((KernelAttention) Attention.of("taylor")).newState(16, 0.25f, Integer.MAX_VALUE)},
                {"local", ((LocalAttention) Attention.of("local")).newState(d, 0.125f, Integer.MAX_VALUE)}};
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        float[][] tokens = new float[4096][d];
        for (float[] t : tokens) for (int x = 0; x < d; x++) t[x] = (float) r.nextGaussian();
        float[] out = new float[d];
        for (Object[] s : states) {
            RecurrentState st = (RecurrentState) s[1];
            int n = s[0].toString().startsWith("taylor") ? 16 : d;
            float[][] tk = new float[4096][];
            for (int i = 0; i < 4096; i++) tk[i] = java.util.Arrays.copyOf(tokens[i], n);
            double late = perToken(st, tk, history, out);
            // The short history second, on a fresh state, so that both windows run compiled code.
            RecurrentState fresh = fresh(s[0].toString(), d, history);
            double early = perToken(fresh, tk, 1024, out);
            System.out.printf("%-28s state %d floats/head: %.2f us/token at history 1K, %.2f us/token at history %dK%n",
                    s[0], st.stateFloats(), early / 1e3, late / 1e3, history / 1024);
        }
    }

    /** Steps {@code history} tokens, then times 2048 more: nanoseconds per token. */
    private static double perToken(RecurrentState st, float[][] tk, long history, float[] out) {
        for (long i = 0; i < history; i++) {
            float[] x = tk[(int) (i & 4095)];
            st.step(x, x, x, out);
        }
        long t0 = System.nanoTime();
        for (long i = history; i < history + 2048; i++) {
            float[] x = tk[(int) (i & 4095)];
            st.step(x, x, x, out);
        }
        return (System.nanoTime() - t0) / 2048.0;
    }

    private static RecurrentState fresh(String name, int d, int history) {
        if (name.startsWith("taylor")) return ((KernelAttention) Attention.of("taylor")).newState(16, 0.25f, Integer.MAX_VALUE);
        if (name.equals("local")) return ((LocalAttention) Attention.of("local")).newState(d, 0.125f, Integer.MAX_VALUE);
        return ((KernelAttention) Attention.of(name)).newState(d, 0.125f, history + 4096);
    }
}
