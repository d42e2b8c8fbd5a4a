package dev.attend.attention.linear;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nystromformer: the error against softmax falls as landmarks grow, the pseudo-inverse converges, too many landmarks
 * are refused, the gradients equal finite differences.
 */
class NystromAttentionTest {

    @Test
    void theErrorFallsAsLandmarksGrow() {
        int l = 64, d = 16;
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 1, 2, l, d), Tensor.randn(2, 1, 2, l, d), Tensor.randn(3, 1, 2, l, d), Masks.full());
        double[] want = KernelReference.forward(p, KernelReference.softmax(p.scale()), false);
        int[] landmarks = {4, 16, 32, 64};
        double[] err = new double[landmarks.length];
        for (int i = 0; i < landmarks.length; i++) err[i] = relError(want, Attention.of("nystrom", Map.of("landmarks", landmarks[i])).forward(p).out());
        for (int i = 1; i < err.length; i++) assertTrue(err[i] < err[i - 1], Arrays.toString(err));
        assertTrue(err[3] < 0.1, "one landmark per token, six iterations of the inverse: " + Arrays.toString(err));
        // Converged, the inverse makes one landmark per token exact (on near-singular landmark kernels at m < L, the
        // paper's six iterations also act as a regulariser: a converged inverse amplifies their small singular values).
        assertTrue(relError(want, Attention.of("nystrom", Map.of("landmarks", l, "iterations", 30)).forward(p).out()) < 1e-4);
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
    void theIterativeInverseConverges() {
        double[][] a = {{0.6, 0.3, 0.1}, {0.2, 0.5, 0.3}, {0.1, 0.2, 0.7}};
        double[][] z = NystromAttention.pinv(a, 20);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double s = 0;
                for (int k = 0; k < 3; k++) s += a[i][k] * z[k][j];
                assertEquals(i == j ? 1 : 0, s, 1e-9, "A pinv(A) at " + i + ", " + j);
            }
        }
    }

    @Test
    void moreLandmarksThanTokensAreRefused() {
        AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 1, 1, 10, 8), Tensor.randn(2, 1, 1, 20, 8), Tensor.randn(3, 1, 1, 20, 8), Masks.full());
        String reason = Attention.of("nystrom:landmarks=11").supports(p).reason();
        assertTrue(reason.endsWith("landmarks: expected at most the shorter sequence length 10 (Lq=10, Lk=20), got 11"), reason);
        assertTrue(Attention.of("nystrom").supports(p.withMask(Masks.causalBottomRight())).reason().contains("masks: expected one of full"));
    }

    /**
     * The backward pass (both flash calls, the iterative inverse in reverse, the landmark softmax, segments of unequal
     * length) against central differences of the forward itself: self and cross, GQA 2:1, every element.
     */
    @Test
    void gradientsEqualFiniteDifferencesOfTheForward() {
        int d = 4;
        int[][] shapes = {{10, 10, 4}, {12, 15, 3}};   // Lq, Lk, landmarks
        for (int[] s : shapes) {
            AttentionProblem p = AttentionProblem.of(Tensor.randn(41, 1, 2, s[0], d), Tensor.randn(42, 1, 1, s[1], d),
                    Tensor.randn(43, 1, 1, s[1], d), Masks.full());
            var m = Attention.of("nystrom", Map.of("landmarks", s[2]));
            Tensor dOut = Tensor.randn(44, p.q().shape());
            var g = m.backward(p, m.forward(p), dOut);
            float[] go = dOut.toArray();
            Tensor[] inputs = {p.q(), p.k(), p.v()}, grads = {g.dq(), g.dk(), g.dv()};
            for (int t = 0; t < 3; t++) {
                float[] grad = grads[t].toArray();
                for (int i = 0; i < inputs[t].size(); i++) {
                    var seg = inputs[t].segment();
                    float keep = seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                    double h = 3e-3;
                    seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (keep + h));
                    float[] plus = m.forward(p).out().toArray();
                    seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (keep - h));
                    float[] minus = m.forward(p).out().toArray();
                    seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, keep);
                    double fd = 0;
                    for (int o = 0; o < go.length; o++) fd += go[o] * ((double) plus[o] - minus[o]) / (2 * h);
                    assertEquals(fd, grad[i], 3e-3 * (1 + Math.abs(fd)), "Lq " + s[0] + " Lk " + s[1] + " input " + "qkv".charAt(t) + " element " + i);
                }
            }
        }
    }
}
