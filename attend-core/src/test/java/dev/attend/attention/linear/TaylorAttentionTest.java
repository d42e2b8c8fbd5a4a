package dev.attend.attention.linear;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 2nd-order Taylor softmax against exact softmax: within its series bound on small-norm inputs. */
class TaylorAttentionTest {

    /**
     * Each weight is within a relative {@code delta = max |s|^3 / 6 e^|s|} of {@code e^s}; a ratio of sums of such weights is
     * then within {@code 2 delta / (1 - delta) max |v|} of the softmax output.
     */
    @Test
    void theErrorAgainstSoftmaxIsWithinTheSeriesBound() {
        int l = 40, d = 16;
        for (float norm : new float[] {0.2f, 0.3f, 0.4f}) {
            AttentionProblem p = AttentionProblem.of(scaled(Tensor.randn(1, 1, 1, l, d), norm), scaled(Tensor.randn(2, 1, 1, l, d), norm),
                    Tensor.randn(3, 1, 1, l, d), Masks.causal());
            double maxS = 0, maxV = 0;
            for (int i = 0; i < l; i++) {
                double[] q = KernelReference.row(p.q(), i, d);
                for (int j = 0; j < l; j++) maxS = Math.max(maxS, Math.abs(p.scale() * KernelReference.dot(q, KernelReference.row(p.k(), j, d))));
            }
            for (float v : p.v().toArray()) maxV = Math.max(maxV, Math.abs(v));
            double delta = Math.pow(maxS, 3) / 6 * Math.exp(maxS), bound = 2 * delta / (1 - delta) * maxV;
            double err = KernelReference.maxDiff(KernelReference.forward(p, KernelReference.softmax(p.scale()), true),
                    Attention.of("taylor").forward(p).out());
            assertTrue(err <= bound + 1e-6, "norm " + norm + ": error " + err + " above the bound " + bound);
            assertTrue(err > 0, "the check is not vacuous");
        }
    }

    private static Tensor scaled(Tensor t, float norm) {
        float[] a = t.toArray();
        int d = (int) t.dim(3);
        for (int r = 0; r < a.length / d; r++) {
            double n = 0;
            for (int x = 0; x < d; x++) n += a[r * d + x] * a[r * d + x];
            for (int x = 0; x < d; x++) a[r * d + x] *= (float) (norm * 4 / Math.sqrt(n));   // |x| = 4 norm: |s| <= 4 norm^2
        }
        return Tensor.of(a, t.shape());
    }
}
