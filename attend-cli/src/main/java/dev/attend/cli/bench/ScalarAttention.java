package dev.attend.cli.bench;

import dev.attend.attention.Cost;
import dev.attend.attention.Workload;
import dev.attend.attention.mask.Masks;
import dev.attend.simd.Parallel;
import dev.attend.tensor.DType;

import java.util.SplittableRandom;

/**
 * Attention as a typical Java user writes it (the llama2.c pattern): for each query, dot products with
 * the visible keys in a float loop, a softmax, and a weighted sum of the values. One (batch, head) per
 * task on {@link Parallel}. It is the baseline peer of the benchmark, not part of the library: C2 does
 * not vectorise its float {@code +=} reductions, which is what the SIMD kernels are measured against.
 *
 * <p>Causal with bottom-right alignment (mask spec "causal-br", the same as "causal" when Lq == Lk):
 * query {@code i} sees keys {@code j <= i + (Lk - Lq)}, so a single decode query sees the whole cache. Arrays are row-major {@code [B, H, L, D]}; k and v may have
 * fewer heads than q (GQA: query head {@code h} reads kv head {@code h / (Hq / Hkv)}).
 */
public final class ScalarAttention {
    private ScalarAttention() {}

    /** Writes {@code out [B, Hq, Lq, D]}; {@code scores} holds one row of Lk floats per worker. */
    public static void causal(float[] q, float[] k, float[] v, float[] out, Workload.Shape d, float scale, float[][] scores) {
        int hq = d.qHeads(), hkv = d.kvHeads(), lq = d.qLen(), lk = d.kLen(), dim = d.headDim();
        int group = hq / hkv;
        Parallel.forEach(d.batch() * hq, (bh, worker) -> {
            int b = bh / hq, h = bh % hq;
            int qBase = bh * lq * dim;
            int kvBase = (b * hkv + h / group) * lk * dim;
            float[] att = scores[worker];
            for (int i = 0; i < lq; i++) {
                int qi = qBase + i * dim;
                int visible = Math.min(lk, Math.max(0, i + (lk - lq) + 1));
                float max = Float.NEGATIVE_INFINITY;
                for (int t = 0; t < visible; t++) {
                    int kt = kvBase + t * dim;
                    float score = 0f;
                    for (int x = 0; x < dim; x++) score += q[qi + x] * k[kt + x];
                    score *= scale;
                    att[t] = score;
                    if (score > max) max = score;
                }
                float sum = 0f;
                for (int t = 0; t < visible; t++) {
                    att[t] = (float) Math.exp(att[t] - max);
                    sum += att[t];
                }
                float inv = visible == 0 ? 0f : 1f / sum;
                for (int x = 0; x < dim; x++) out[qi + x] = 0f;
                for (int t = 0; t < visible; t++) {
                    float a = att[t] * inv;
                    int vt = kvBase + t * dim;
                    for (int x = 0; x < dim; x++) out[qi + x] += a * v[vt + x];
                }
            }
        });
    }

    /** The baseline of a workload in {@code suite}: the same shape, causal prefill ({@code Lq == Lk}) or decode ({@code Lq} small, long cache). */
    public static BenchCase of(String suite, Workload w) {
        return create(suite, w.pass(), w.shape());
    }

    /** The benchmark case: causal prefill ({@code Lq == Lk}) or decode ({@code Lq} small, long cache). */
    public static BenchCase benchCase(Workload.Pass pass, Workload.Shape d) {
        return create("exact", pass, d);
    }

    private static BenchCase create(String suite, Workload.Pass pass, Workload.Shape d) {
        if (pass == Workload.Pass.BACKWARD) throw new IllegalArgumentException("pass: scalar attention has no backward");
        if (d.qSize() > Integer.MAX_VALUE - 8 || d.kvSize() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("dims: scalar attention holds float[] arrays, at most 2^31 elements each, got " + d);
        }
        return new Case(suite, pass, d);
    }

    private record Case(String suite, Workload.Pass pass, Workload.Shape dims) implements BenchCase {
        @Override public String mechanism() { return "scalar"; }
        @Override public String source() { return "baseline"; }
        @Override public String name() {
            return suite + ": scalar " + mask() + " " + pass.label() + " B" + dims.batch() + " H" + dims.qHeads() + "/" + dims.kvHeads()
                    + " L" + dims.qLen() + "x" + dims.kLen() + " D" + dims.headDim();
        }
        // The library's "causal" is top-left; they agree when Lq == Lk.
        @Override public String mask() { return dims.qLen() == dims.kLen() ? "causal" : "causal-br"; }
        // Bottom-right causal (what the loop computes): the mask library gives its exact area.
        @Override public double flops() {
            return Cost.forwardFlops(Masks.causalBottomRight(), dims.batch(), dims.qHeads(), dims.qLen(), dims.kLen(), dims.headDim());
        }
        @Override public double bytes() {
            return pass == Workload.Pass.DECODE ? Cost.kvCacheBytes(DType.F32, dims.batch(), dims.kvHeads(), dims.kLen(), dims.headDim()) : 0;
        }

        @Override
        public java.util.function.Supplier<?> setup() {
            float[] q = random(dims.qSize(), 1), k = random(dims.kvSize(), 2), v = random(dims.kvSize(), 3);
            float[] out = new float[q.length];
            float[][] scores = new float[Parallel.threads()][dims.kLen()];
            float scale = (float) (1 / Math.sqrt(dims.headDim()));
            return () -> {
                causal(q, k, v, out, dims, scale, scores);
                return out;
            };
        }
    }

    private static float[] random(long n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }
}
