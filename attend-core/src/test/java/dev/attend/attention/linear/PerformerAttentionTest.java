package dev.attend.attention.linear;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FAVOR+: the features are orthogonal and N(0, I)-scaled, the kernel estimate is unbiased, and the error falls with m. */
class PerformerAttentionTest {

    @Test
    void featuresAreOrthogonalWithinABlock() {
        int d = 8;
        double[][] w = PerformerAttention.randomFeatures(20, d, 3);
        for (int i = 0; i < 20; i++) {
            for (int j = i / d * d; j < i; j++) assertEquals(0, KernelReference.dot(w[i], w[j]), 1e-9, "rows " + i + ", " + j);
        }
    }

    /** Mean over seeds of {@code phi(q) . phi(k)} (true scale restored) within 4 standard errors of {@code exp(scale q . k)}. */
    @Test
    void theKernelEstimateIsUnbiasedAcrossSeeds() {
        int d = 16, m = 16, seeds = 400;
        float scale = 0.25f;
        Tensor pair = Tensor.randn(5, 2, d);
        float[] x = pair.toArray();
        double[] q = new double[d], k = new double[d];
        for (int c = 0; c < d; c++) {
            q[c] = x[c] * 0.6;
            k[c] = x[d + c] * 0.6;
        }
        double exact = Math.exp(scale * KernelReference.dot(q, k)), sum = 0, sq = 0;
        float[] rows = new float[2 * d];
        for (int c = 0; c < d; c++) {
            rows[c] = (float) q[c];
            rows[d + c] = (float) k[c];
        }
        for (int s = 0; s < seeds; s++) {
            FeatureMap map = new PerformerAttention.Favor(PerformerAttention.randomFeatures(m, d, 1000 + s), m, d, scale);
            float[] phi = new float[2 * map.stride()], log = new float[2];
            map.map(FeatureMap.Side.KEY, rows, 2, d, 0, phi, log);
            double est = 0;
            for (int f = 0; f < m; f++) est += (double) phi[f] * phi[map.stride() + f];
            est *= Math.exp(log[0] + log[1]);
            sum += est;
            sq += est * est;
        }
        double mean = sum / seeds, se = Math.sqrt((sq / seeds - mean * mean) / seeds);
        assertTrue(Math.abs(mean - exact) < 4 * se, "mean " + mean + " vs exact " + exact + " (standard error " + se + ")");
        assertTrue(se < 0.1 * exact, "the check has power: standard error " + se);
    }

    @Test
    void theErrorAgainstSoftmaxFallsAsFeaturesGrow() {
        // Inputs of norm about 2 (q' . k' of about 1): FAVOR+'s variance grows as exp(|q' + k'|^2), so at randn norms
        // (|x| = 4 at D = 16) a thousand features are still far from the 1/sqrt(m) regime.
        AttentionProblem p = AttentionProblem.of(half(Tensor.randn(1, 1, 2, 64, 16)), half(Tensor.randn(2, 1, 2, 64, 16)), Tensor.randn(3, 1, 2, 64, 16), Masks.full());
        double[] want = KernelReference.forward(p, KernelReference.softmax(p.scale()), false);
        double[] err = new double[4];
        int[] features = {16, 64, 256, 1024};
        for (int f = 0; f < features.length; f++) {
            for (long seed = 0; seed < 3; seed++) {
                err[f] += relError(want, Attention.of("performer", Map.of("features", features[f], "seed", seed)).forward(p).out()) / 3;
            }
        }
        for (int f = 1; f < features.length; f++) assertTrue(err[f] < err[f - 1], "error " + java.util.Arrays.toString(err));
        assertTrue(err[3] < err[0] / 3, "64x the features: 1/sqrt(m) predicts an eighth of the error: " + java.util.Arrays.toString(err));
    }

    private static Tensor half(Tensor t) {
        float[] a = t.toArray();
        for (int i = 0; i < a.length; i++) a[i] *= 0.5f;
        return Tensor.of(a, t.shape());
    }

    private static double relError(double[] want, Tensor got) {
        float[] g = got.toArray();
        double diff = 0, norm = 0;
        for (int i = 0; i < g.length; i++) {
            diff += (g[i] - want[i]) * (g[i] - want[i]);
            norm += want[i] * want[i];
        }
        return Math.sqrt(diff / norm);
    }

    @Test
    void zeroFeaturesAreRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> Attention.of("performer:features=0"));
        assertEquals("mechanism 'performer': parameter 'features' expects an integer in [1, 16384], got '0'", e.getMessage());
    }
}
