package dev.attend.nn.tasks;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Multi-query associative recall laid out as Zoology's generator lays it out (Arora, Eyuboglu et al.,
 * "Zoology", 2023; {@code zoology/data/multiquery_ar.py}):
 * <ul>
 *   <li>positions {@code 0 .. 2P-1}: {@code P} key-value pairs {@code k0 v0 k1 v1 ...}; keys are distinct draws
 *       from {@code [1, V/2)}, values distinct draws from {@code [V/2, V)};</li>
 *   <li>the rest, {@code S = (L - 2P) / 2} query slots at even offsets {@code 2P + 2g}: key {@code j} is queried
 *       once, in slot {@code g_j}; the slots {@code g_0 .. g_{P-1}} are distinct draws (without replacement) with
 *       probability proportional to {@code (g + 1)^(a - 1)}, a power law that favours early slots (Zoology's
 *       {@code power_a}, default 0.01: the gap to a repeated bigram in text is power-law distributed);</li>
 *   <li>every other position of the query part holds a uniform random id of {@code [0, V)} (Zoology's
 *       {@code random_non_queries}), so the model cannot spot queries by position;</li>
 *   <li>the target at the query position {@code 2P + 2g_j} is {@code v_j} (the model reads {@code k_j} and
 *       predicts its value next); every other target is {@link Task#IGNORE}.</li>
 * </ul>
 * Tags: the distance in tokens from the key's first occurrence to its query. Requirements (Zoology's): {@code L}
 * even, {@code V > L}, {@code 4P <= L}. Cost O(P x S) per example.
 */
public record Mqar(int vocabSize, int seqLength, int pairs, double powerA, long seed) implements Task {
    public Mqar {
        if (pairs < 1) throw new IllegalArgumentException("pairs: expected >= 1, got " + pairs);
        if (seqLength < 4 * pairs || seqLength % 2 != 0) {
            throw new IllegalArgumentException("seqLength: expected even and >= 4 x pairs = " + 4 * pairs + ", got " + seqLength);
        }
        if (vocabSize <= seqLength) {
            throw new IllegalArgumentException("vocabSize: expected > seqLength = " + seqLength + " (as Zoology), got " + vocabSize);
        }
        if (pairs > vocabSize / 2 - 1) {
            throw new IllegalArgumentException("pairs: expected <= vocabSize / 2 - 1 = " + (vocabSize / 2 - 1)
                    + " distinct keys, got " + pairs);
        }
        if (!(powerA > 0 && powerA <= 1)) throw new IllegalArgumentException("powerA: expected in (0, 1], got " + powerA);
    }

    /** Zoology's defaults: {@code power_a} 0.01. */
    public Mqar(int vocabSize, int seqLength, int pairs, long seed) {
        this(vocabSize, seqLength, pairs, 0.01, seed);
    }

    @Override
    public String name() {
        return "mqar";
    }

    @Override
    public Example example(Split split, long index) {
        SplittableRandom r = Seeds.example(seed, split, index);
        int half = vocabSize / 2;
        int[] keys = Seeds.distinct(r, pairs, 1, half);
        int[] values = Seeds.distinct(r, pairs, half, vocabSize);
        int[] slots = powerLawSlots(r);
        int context = 2 * pairs;
        int[] in = new int[seqLength], tg = new int[seqLength], tags = new int[seqLength];
        Arrays.fill(tg, IGNORE);
        for (int j = 0; j < pairs; j++) {
            in[2 * j] = keys[j];
            in[2 * j + 1] = values[j];
        }
        boolean[] query = new boolean[seqLength];
        for (int j = 0; j < pairs; j++) {
            int at = context + 2 * slots[j];
            in[at] = keys[j];
            tg[at] = values[j];
            tags[at] = at - 2 * j;
            query[at] = true;
        }
        for (int t = context; t < seqLength; t++) if (!query[t]) in[t] = r.nextInt(vocabSize);
        return new Example(in, tg, tags);
    }

    /** {@code pairs} distinct slots of {@code [0, S)}, drawn one after another with weight {@code (g+1)^(a-1)}. */
    private int[] powerLawSlots(SplittableRandom r) {
        int space = (seqLength - 2 * pairs) / 2;
        double[] w = new double[space];
        double total = 0;
        for (int g = 0; g < space; g++) total += w[g] = Math.pow(g + 1, powerA - 1);
        int[] slots = new int[pairs];
        for (int j = 0; j < pairs; j++) {
            double u = r.nextDouble() * total;
            int g = 0;
            while (g < space - 1 && (w[g] == 0 || u >= w[g])) {
                u -= w[g];
                g++;
            }
            while (w[g] == 0) g--; // rounding ran past the last open slot
            slots[j] = g;
            total -= w[g];
            w[g] = 0;
        }
        return slots;
    }
}
