package dev.attend.cli.bench;

import dev.attend.attention.Workload;
import dev.attend.attention.mask.Masks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.attend.simd.Parallel;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The scalar baseline against a direct fp64 computation, with GQA and both Lq == Lk and Lq < Lk. */
class ScalarAttentionTest {

    @Test
    void matchesDoublePrecisionCausalAttention() {
        check(new Workload.Shape(2, 4, 2, 7, 7, 16));   // prefill, GQA
        check(new Workload.Shape(1, 6, 3, 3, 11, 8));   // bottom-right: query i sees keys <= i + 8
        check(new Workload.Shape(1, 8, 1, 1, 33, 32));  // decode, MQA
    }

    @Test
    void causalAreaIsBottomRight() {
        assertEquals(4 * 5 / 2, Masks.causalBottomRight().area(1, 1, 4, 4));
        assertEquals(9 + 10, Masks.causalBottomRight().area(1, 1, 2, 10));
        assertEquals(10, Masks.causalBottomRight().area(1, 1, 1, 10));
        assertEquals(1 + 2, Masks.causalBottomRight().area(1, 1, 4, 2)); // Lq > Lk: the first two queries see nothing
    }

    @Test
    void noBackwardPass() {
        assertThrows(IllegalArgumentException.class,
                () -> ScalarAttention.benchCase(Workload.Pass.BACKWARD, new Workload.Shape(1, 1, 1, 4, 4, 4)));
    }

    private static void check(Workload.Shape d) {
        Random r = new Random(42);
        float[] q = random(r, d.qSize()), k = random(r, d.kvSize()), v = random(r, d.kvSize());
        float[] out = new float[q.length];
        float scale = (float) (1 / Math.sqrt(d.headDim()));
        ScalarAttention.causal(q, k, v, out, d, scale, new float[Parallel.threads()][d.kLen()]);
        int D = d.headDim(), group = d.qHeads() / d.kvHeads();
        for (int b = 0; b < d.batch(); b++) {
            for (int h = 0; h < d.qHeads(); h++) {
                int kvh = h / group;
                for (int i = 0; i < d.qLen(); i++) {
                    int visible = Math.min(d.kLen(), i + d.kLen() - d.qLen() + 1);
                    double[] s = new double[visible];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int t = 0; t < visible; t++) {
                        for (int x = 0; x < D; x++) {
                            s[t] += (double) q[((b * d.qHeads() + h) * d.qLen() + i) * D + x] * k[((b * d.kvHeads() + kvh) * d.kLen() + t) * D + x];
                        }
                        s[t] *= scale;
                        max = Math.max(max, s[t]);
                    }
                    for (int t = 0; t < visible; t++) sum += s[t] = Math.exp(s[t] - max);
                    for (int x = 0; x < D; x++) {
                        double o = 0;
                        for (int t = 0; t < visible; t++) o += s[t] / sum * v[((b * d.kvHeads() + kvh) * d.kLen() + t) * D + x];
                        assertEquals(o, out[((b * d.qHeads() + h) * d.qLen() + i) * D + x], 1e-5, d + " b" + b + " h" + h + " i" + i + " x" + x);
                    }
                }
            }
        }
    }

    private static float[] random(Random r, long n) {
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
