package dev.attend.nn.generate;

import dev.attend.nn.autograd.Var;
import dev.attend.nn.layers.DecoderLM;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Autoregressive generation: each new token is drawn from the model's next-token distribution given the last
 * {@code maxLen} tokens (the window the model was trained on; older tokens fall out of it), under no-grad and in
 * inference mode. The forward pass is recomputed over the window for each token (no KV cache: fine for the small
 * models trained here, O(window) work per token per layer).
 */
public final class Generator {
    /**
     * How a token is chosen from the logits: {@code temperature} 0 is greedy (the argmax, ties to the smallest id);
     * otherwise the softmax of {@code logits / temperature}, cut to the {@code topK} most likely ids (0: no cut) and
     * then to the smallest set of most likely ids whose probability reaches {@code topP} (1: no cut), renormalised
     * and sampled with a generator seeded by {@code seed}.
     */
    public record Sampling(double temperature, int topK, double topP, long seed) {
        public Sampling {
            if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("temperature: expected a finite value >= 0, got " + temperature);
            if (topK < 0) throw new IllegalArgumentException("top-k: expected >= 0 (0: off), got " + topK);
            if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p: expected in (0, 1], got " + topP);
        }

        public static Sampling greedy() {
            return new Sampling(0, 0, 1, 0);
        }
    }

    private final DecoderLM model;

    public Generator(DecoderLM model) {
        this.model = model;
    }

    /** {@code prompt} followed by up to {@code maxNew} generated ids (fewer only if {@code maxNew} is 0). */
    public int[] generate(int[] prompt, int maxNew, Sampling sampling) {
        int vocab = model.config().vocab(), window = model.config().maxLen();
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("prompt: expected at least one token, got none");
        if (maxNew < 0) throw new IllegalArgumentException("maxNew: expected >= 0, got " + maxNew);
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= vocab) throw new IllegalArgumentException("prompt[" + i + "]: expected an id in [0, " + vocab + "), got " + prompt[i]);
        }
        int[] out = Arrays.copyOf(prompt, prompt.length + maxNew);
        SplittableRandom random = new SplittableRandom(sampling.seed());
        model.eval();
        for (int n = prompt.length; n < out.length; n++) {
            int from = Math.max(0, n - window), len = n - from;
            float[] logits;
            try (AutoCloseable s = Var.noGrad()) {
                logits = model.logitsAt(Arrays.copyOfRange(out, from, n), 1, len, new int[] {len - 1}).data();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            for (float x : logits) {
                if (!Float.isFinite(x)) throw new IllegalStateException("the model's logits at position " + n + " are not finite (" + x + "): its weights are broken");
            }
            out[n] = choose(logits, sampling, random);
        }
        return out;
    }

    /** The id {@code sampling} picks from one row of logits. */
    public static int choose(float[] logits, Sampling sampling, SplittableRandom random) {
        int v = logits.length;
        if (sampling.temperature() == 0) {
            int best = 0;
            for (int i = 1; i < v; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) max = Math.max(max, x);
        double[] p = new double[v];
        double total = 0;
        for (int i = 0; i < v; i++) total += p[i] = Math.exp((logits[i] - max) / sampling.temperature());
        if (sampling.topK() == 0 && sampling.topP() == 1) {  // no cut: sample without ordering the ids
            double u = random.nextDouble() * total;
            for (int i = 0; i < v; i++) if ((u -= p[i]) < 0) return i;
            return v - 1;
        }
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int keep = sampling.topK() > 0 ? Math.min(sampling.topK(), v) : v;
        double kept = 0;
        for (int i = 0; i < keep; i++) kept += p[order[i]];
        // Top-p over what top-k kept: the smallest prefix of the most likely ids reaching topP of that mass.
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[order[i]];
            if (acc >= sampling.topP() * kept) {
                keep = i + 1;
                kept = acc;
                break;
            }
        }
        double u = random.nextDouble() * kept;
        for (int i = 0; i < keep; i++) {
            u -= p[order[i]];
            if (u < 0) return order[i];
        }
        return order[keep - 1];
    }
}
