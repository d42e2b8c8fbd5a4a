package dev.attend.attention.sparse;

import dev.attend.attention.AttentionProblem;
import dev.attend.attention.InputFamily;
import dev.attend.attention.Workload;
import dev.attend.attention.mask.Mask;
import dev.attend.tensor.Tensor;

import java.lang.foreign.ValueLayout;
import java.util.function.ToDoubleFunction;

/** Small helpers shared by the sparse mechanisms' tests: errors, problems from the fidelity families, finite differences. */
final class SparseTesting {
    private SparseTesting() {}

    static double maxAbsDiff(Tensor a, Tensor b) {
        float[] x = a.toArray(), y = b.toArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] == y[i]) continue;   // equal infinities too
            m = Math.max(m, Math.abs((double) x[i] - y[i]));
        }
        return m;
    }

    static double maxAbs(Tensor a) {
        double m = 0;
        for (float x : a.toArray()) m = Math.max(m, Math.abs(x));
        return m;
    }

    /** Relative Frobenius error of {@code got} against {@code want}, as the bench's fidelity suite reports it. */
    static double relError(Tensor want, Tensor got) {
        float[] a = want.toArray(), b = got.toArray();
        double diff = 0, norm = 0;
        for (int i = 0; i < a.length; i++) {
            double e = (double) b[i] - a[i];
            diff += e * e;
            norm += (double) a[i] * a[i];
        }
        return Math.sqrt(diff / Math.max(norm, Double.MIN_VALUE));
    }

    static AttentionProblem random(long seed, int b, int hq, int hkv, int lq, int lk, int d, Mask mask) {
        return AttentionProblem.of(Tensor.randn(seed, b, hq, lq, d), Tensor.randn(seed + 1, b, hkv, lk, d), Tensor.randn(seed + 2, b, hkv, lk, d), mask);
    }

    static AttentionProblem family(InputFamily f, int heads, int l, int d, Mask mask, long seed) {
        Tensor[] t = f.draw(Workload.Shape.self(1, heads, heads, l, d), seed);
        return AttentionProblem.of(t[0], t[1], t[2], mask);
    }

    /** The first {@code n} rows of every (b, h) of {@code t [B, H, L, D]}, copied. */
    static Tensor prefix(Tensor t, int n) {
        return t.slice(2, 0, n).contiguous();
    }

    /**
     * Central differences of {@code loss} with respect to every {@code stride}-th element of {@code x} (changed in
     * place and restored), compared with {@code grad}: the largest difference, relative to max(1, max |grad|).
     */
    static double finiteDifferenceError(Tensor x, Tensor grad, double h, int stride, ToDoubleFunction<Void> loss) {
        float[] g = grad.toArray();
        double scale = Math.max(1, maxAbs(grad)), worst = 0;
        for (int i = 0; i < x.size(); i += stride) {
            float keep = x.segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            float up = (float) (keep + h), down = (float) (keep - h);   // the steps as stored
            x.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, up);
            double plus = loss.applyAsDouble(null);
            x.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, down);
            double minus = loss.applyAsDouble(null);
            x.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, keep);
            worst = Math.max(worst, Math.abs((plus - minus) / ((double) up - down) - g[i]) / scale);
        }
        return worst;
    }

    /** {@code sum(w * out)} in fp64. */
    static double dot(Tensor w, Tensor out) {
        float[] a = w.toArray(), b = out.toArray();
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
