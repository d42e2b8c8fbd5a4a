package dev.attend.attention;

import dev.attend.attention.mask.Masks;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.tensor.Tensor;

import java.util.Arrays;
import java.util.Locale;

/**
 * The cost of a score mod in the flash kernels: a harness, not a test (nothing is asserted).
 * {@code java ... dev.attend.attention.ScoreModPerf [L] [runs]} times causal forward and backward (B=1, H=8, D=128) with
 * no mod, ALiBi, tanh soft-capping and a T5 relative bias, each the median of a few runs after a warm-up, in one JVM.
 */
public final class ScoreModPerf {
    private ScoreModPerf() {}

    public static void main(String[] args) {
        int l = args.length > 0 ? Integer.parseInt(args[0]) : 4096, runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int h = 8, d = 128;
        Tensor q = Tensor.randn(1, 1, h, l, d), k = Tensor.randn(2, 1, h, l, d), v = Tensor.randn(3, 1, h, l, d);
        Tensor dOut = Tensor.randn(4, 1, h, l, d);
        float[][] table = new float[h][32];
        for (int x = 0; x < h; x++) for (int y = 0; y < 32; y++) table[x][y] = (x - y) / 16f;
        ScoreMod[] mods = {ScoreMod.NONE, ScoreMod.alibi(h), ScoreMod.softCap(30f), ScoreMod.relativeBucketBias(table, false, 128)};
        FlashAttention flash = (FlashAttention) Attention.of("flash");
        double[] base = new double[2];
        for (ScoreMod mod : mods) {
            AttentionProblem p = new AttentionProblem(q, k, v, Masks.causal(), mod, (float) (1 / Math.sqrt(d)));
            double fwd = median(runs, () -> flash.forward(p));
            AttentionResult r = flash.forward(p);
            double bwd = median(Math.max(2, runs / 2), () -> flash.backward(p, r, dOut));
            if (mod.isIdentity()) { base[0] = fwd; base[1] = bwd; }
            System.out.printf(Locale.ROOT, "L=%d %-28s forward %8.1f ms (%+5.1f%%)  backward %8.1f ms (%+5.1f%%)%n", l, mod.describe(),
                    fwd, 100 * (fwd / base[0] - 1), bwd, 100 * (bwd / base[1] - 1));
        }
    }

    private static double median(int runs, Runnable body) {
        for (int i = 0; i < 2; i++) body.run();
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            long s = System.nanoTime();
            body.run();
            t[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(t);
        return t[runs / 2];
    }
}
