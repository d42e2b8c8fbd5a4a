package dev.attend.nn.optim;

import dev.attend.nn.autograd.Buf;
import dev.attend.nn.autograd.Var;
import dev.attend.simd.Parallel;
import dev.attend.simd.VMath;
import dev.attend.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Losses, each one fused op returning a scalar mean: cross-entropy over logits with an ignore index and label
 * smoothing, binary cross-entropy with logits, and mean squared error.
 *
 * <p>Cross-entropy keeps only the per-row log-sum-exp; backward writes {@code softmax - target} straight into the
 * logits' gradient, rows split over workers. Lane sums are in lane order so results do not depend on JIT state.
 */
public final class Losses {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    private Losses() {}

    /**
     * Mean over the rows whose target is not {@code ignoreIndex} of
     * {@code -(1-s) log p[target] - (s/V) sum_j log p[j]} (PyTorch's label smoothing s). logits {@code [..., V]},
     * one target per row in [0, V) or equal to ignoreIndex. When every row is ignored the loss is 0.
     */
    public static Var crossEntropy(Var logits, int[] targets, int ignoreIndex, float smoothing) {
        if (logits.rank() < 1) throw new IllegalArgumentException("crossEntropy: logits need a class dimension, got a scalar");
        if (!(smoothing >= 0f && smoothing < 1f)) throw new IllegalArgumentException("crossEntropy: smoothing must be in [0, 1), got " + smoothing);
        int v = logits.dim(-1);
        int rows = (int) (logits.size() / v);
        if (targets.length != rows) {
            throw new IllegalArgumentException("crossEntropy: expected " + rows + " targets (one per row of " + Arrays.toString(logits.shape()) + "), got " + targets.length);
        }
        int counted = 0;
        for (int r = 0; r < rows; r++) {
            int t = targets[r];
            if (t == ignoreIndex) continue;
            if (t < 0 || t >= v) throw new IllegalArgumentException("crossEntropy: target at row " + r + " must be in [0, " + v + ") or " + ignoreIndex + ", got " + t);
            counted++;
        }
        float[] x = logits.data(), lse = new float[rows];
        double[] perRow = new double[rows];
        int workers = Math.max(1, Math.min(Parallel.workers(), rows / 8));
        Parallel.run(workers, (w, n) -> {
            for (int r = rows * w / n; r < rows * (w + 1) / n; r++) {
                if (targets[r] == ignoreIndex) continue;
                int o = r * v;
                float m = max(x, o, v);
                float s = sumExp(x, o, v, m);
                lse[r] = m + (float) Math.log(s);
                double loss = (1 - smoothing) * (lse[r] - x[o + targets[r]]);
                if (smoothing > 0f) loss += smoothing * (lse[r] - sum(x, o, v) / v);
                perRow[r] = loss;
            }
        });
        double total = 0;
        for (double d : perRow) total += d;
        int count = counted;
        float mean = count == 0 ? 0f : (float) (total / count);
        return Var.of("crossEntropy", Tensor.of(new float[] {mean}), g -> {
            if (count == 0) return;
            float[] gx = logits.gradData();
            float k = g[0] / count, off = smoothing / v;
            Parallel.run(workers, (w, n) -> {
                for (int r = rows * w / n; r < rows * (w + 1) / n; r++) {
                    if (targets[r] == ignoreIndex) continue;
                    int o = r * v;
                    FloatVector lv = FloatVector.broadcast(F, lse[r]);
                    int j = 0, ub = F.loopBound(v);
                    for (; j < ub; j += L) {
                        FloatVector p = VMath.exp(FloatVector.fromArray(F, x, o + j).sub(lv));
                        FloatVector.fromArray(F, gx, o + j).add(p.sub(off).mul(k)).intoArray(gx, o + j);
                    }
                    for (; j < v; j++) gx[o + j] += k * ((float) Math.exp(x[o + j] - lse[r]) - off);
                    gx[o + targets[r]] -= k * (1 - smoothing);
                }
            });
        }, logits);
    }

    /** Mean of {@code max(x, 0) - x y + log(1 + e^-|x|)} (the stable form); targets y in [0, 1], shaped like x. */
    public static Var bceWithLogits(Var x, Tensor y) {
        if (!Arrays.equals(x.shape(), y.shape())) {
            throw new IllegalArgumentException("bceWithLogits: targets must have the shape of the logits " + Arrays.toString(x.shape()) + ", got " + Arrays.toString(y.shape()));
        }
        float[] a = x.data(), t = Buf.data(y);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += Math.max(a[i], 0) - a[i] * t[i] + Math.log1p(Math.exp(-Math.abs(a[i])));
        int n = Math.max(1, a.length);
        return Var.of("bceWithLogits", Tensor.of(new float[] {(float) (s / n)}), g -> {
            float[] gx = x.gradData();
            for (int i = 0; i < a.length; i++) gx[i] += g[0] / n * (float) (1 / (1 + Math.exp(-a[i])) - t[i]);
        }, x);
    }

    /** Mean of {@code (x - y)^2}; both may require gradients. */
    public static Var mse(Var x, Var y) {
        if (!Arrays.equals(x.shape(), y.shape())) {
            throw new IllegalArgumentException("mse: shapes must be equal, got " + Arrays.toString(x.shape()) + " and " + Arrays.toString(y.shape()));
        }
        float[] a = x.data(), b = y.data();
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) (a[i] - b[i]) * (a[i] - b[i]);
        int n = Math.max(1, a.length);
        return Var.of("mse", Tensor.of(new float[] {(float) (s / n)}), g -> {
            float k = 2 * g[0] / n;
            if (x.requiresGrad()) {
                float[] gx = x.gradData();
                for (int i = 0; i < a.length; i++) gx[i] += k * (a[i] - b[i]);
            }
            if (y.requiresGrad()) {
                float[] gy = y.gradData();
                for (int i = 0; i < a.length; i++) gy[i] -= k * (a[i] - b[i]);
            }
        }, x, y);
    }

    private static float max(float[] x, int o, int n) {
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0, ub = F.loopBound(n);
        for (; i < ub; i += L) acc = acc.max(FloatVector.fromArray(F, x, o + i));
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, x[o + i]);
        return m;
    }

    private static float sumExp(float[] x, int o, int n, float m) {
        FloatVector acc = FloatVector.zero(F), mv = FloatVector.broadcast(F, m);
        int i = 0, ub = F.loopBound(n);
        for (; i < ub; i += L) acc = acc.add(VMath.exp(FloatVector.fromArray(F, x, o + i).sub(mv)));
        float s = VMath.sumLanes(acc);
        for (; i < n; i++) s += (float) Math.exp(x[o + i] - m);
        return s;
    }

    private static float sum(float[] x, int o, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0, ub = F.loopBound(n);
        for (; i < ub; i += L) acc = acc.add(FloatVector.fromArray(F, x, o + i));
        float s = VMath.sumLanes(acc);
        for (; i < n; i++) s += x[o + i];
        return s;
    }
}
