package dev.attend.nn.tasks;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Accuracy over answer positions, accumulated over batches: the fraction of answer tokens predicted exactly
 * ({@link #tokens()}), the fraction of examples whose answers are all right ({@link #examples()}, RULER's
 * string-match for a whole answer), and the token accuracy per tag ({@link #byTag()}, e.g. per needle depth).
 * Positions whose target is {@link Task#IGNORE} never count. Predictions are ids, one per position (an argmax
 * of the logits: {@link #argmax}). Not thread-safe; cost O(size x length) per batch.
 */
public final class Accuracy {
    private long correct, answers, examplesRight, examples;
    private final TreeMap<Integer, long[]> byTag = new TreeMap<>();

    /** Counts one batch; {@code predictions} is {@code [size, length]} row-major like the batch. */
    public Accuracy add(Batch batch, int[] predictions) {
        if (predictions == null || predictions.length != batch.targets().length) {
            throw new IllegalArgumentException("predictions: expected " + batch.targets().length + " ids (size x length), got "
                    + (predictions == null ? "null" : predictions.length));
        }
        int len = batch.length();
        for (int b = 0; b < batch.size(); b++) {
            boolean all = true;
            int n = 0;
            for (int t = b * len; t < (b + 1) * len; t++) {
                int target = batch.targets()[t];
                if (target == Task.IGNORE) continue;
                boolean ok = predictions[t] == target;
                n++;
                all &= ok;
                if (ok) correct++;
                answers++;
                long[] c = byTag.computeIfAbsent(batch.tags()[t], k -> new long[2]);
                if (ok) c[0]++;
                c[1]++;
            }
            if (n > 0) {
                examples++;
                if (all) examplesRight++;
            }
        }
        return this;
    }

    /** Fraction of answer tokens right (NaN before any answer). */
    public double tokens() {
        return answers == 0 ? Double.NaN : (double) correct / answers;
    }

    /** Fraction of examples with every answer token right (NaN before any example). */
    public double examples() {
        return examples == 0 ? Double.NaN : (double) examplesRight / examples;
    }

    /** Answer tokens counted so far. */
    public long answerCount() {
        return answers;
    }

    /** Token accuracy per tag, in tag order. */
    public SortedMap<Integer, Double> byTag() {
        TreeMap<Integer, Double> m = new TreeMap<>();
        byTag.forEach((tag, c) -> m.put(tag, (double) c[0] / c[1]));
        return Collections.unmodifiableSortedMap(m);
    }

    /** The id of the largest of each row of {@code rows x vocab} logits (the first on ties). */
    public static int[] argmax(float[] logits, int vocab) {
        if (vocab < 1 || logits.length % vocab != 0) {
            throw new IllegalArgumentException("logits: expected a multiple of vocab = " + vocab + " values, got " + logits.length);
        }
        int[] out = new int[logits.length / vocab];
        for (int row = 0; row < out.length; row++) {
            int best = 0;
            for (int v = 1; v < vocab; v++) if (logits[row * vocab + v] > logits[row * vocab + best]) best = v;
            out[row] = best;
        }
        return out;
    }
}
