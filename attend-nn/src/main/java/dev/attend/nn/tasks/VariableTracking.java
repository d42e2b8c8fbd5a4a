package dev.attend.nn.tasks;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Variable tracking in token space, after RULER's {@code variable_tracking}
 * ({@code scripts/data/synthetic/variable_tracking.py}): {@code chains} chains of assignments
 * {@code VAR x0 = value; VAR x1 = VAR x0; ...; VAR x_hops = VAR x_{hops-1}} hidden in noise, then the question
 * "which variables are assigned the value of chain 0?", answered by {@code x0 .. x_hops} in chain order.
 *
 * <p>Vocabulary: {@link #VAR} 0, {@link #EQUALS} 1, {@link #QUERY} 2, {@link #ANSWER} 3, then noise ids,
 * variable ids and value ids in three ranges of (almost) equal size (the remainder to the noise). A statement is
 * four tokens, {@code VAR x EQUALS y} with {@code y} a value id (the chain's first statement) or a variable id.
 * Variables are distinct across all chains, values distinct across chains. As RULER does with its noise
 * haystack, each chain's statements go, in chain order, to sorted random positions among the noise (the chains
 * interleave). Layout: {@code noise with statements | QUERY value_0 ANSWER x0 x1 .. x_{hops-1}}; the target at
 * {@code ANSWER} is {@code x0}, at {@code x_j} it is {@code x_{j+1}} (teacher-forced), elsewhere
 * {@link Task#IGNORE}. Tags: the answer's index in the chain. Cost O(L) per example.
 */
public record VariableTracking(int vocabSize, int seqLength, int chains, int hops, long seed) implements Task {
    public static final int VAR = 0, EQUALS = 1, QUERY = 2, ANSWER = 3;
    private static final int SPECIALS = 4;

    public VariableTracking {
        if (chains < 1 || hops < 1) throw new IllegalArgumentException("chains, hops: expected >= 1, got " + chains + ", " + hops);
        int range = (vocabSize - SPECIALS) / 3;
        if (range < chains * (hops + 1) || range < 1) {
            throw new IllegalArgumentException("vocabSize: expected >= " + (SPECIALS + 3 * chains * (hops + 1))
                    + " for " + chains * (hops + 1) + " distinct variables, got " + vocabSize);
        }
        int fixed = chains * (hops + 1) * 4 + 3 + hops;
        if (seqLength < fixed) throw new IllegalArgumentException("seqLength: expected >= " + fixed + " (statements and question), got " + seqLength);
    }

    /** RULER's default: one chain of four hops. */
    public VariableTracking(int vocabSize, int seqLength, long seed) {
        this(vocabSize, seqLength, 1, 4, seed);
    }

    @Override
    public String name() {
        return "vt";
    }

    @Override
    public Example example(Split split, long index) {
        SplittableRandom r = Seeds.example(seed, split, index);
        int range = (vocabSize - SPECIALS) / 3;
        int noiseHi = vocabSize - 2 * range, varLo = noiseHi, valLo = noiseHi + range;
        int[] vars = Seeds.distinct(r, chains * (hops + 1), varLo, varLo + range);
        int[] values = Seeds.distinct(r, chains, valLo, valLo + range);
        int statements = chains * (hops + 1);
        int noise = seqLength - (statements * 4 + 3 + hops);
        // statement s of chain c goes before noise token slot[c][s]; RULER's per-chain sorted positions
        int[] chainOf = new int[statements], stepOf = new int[statements], slot = new int[statements];
        for (int c = 0, k = 0; c < chains; c++) {
            int[] pos = new int[hops + 1];
            for (int s = 0; s <= hops; s++) pos[s] = r.nextInt(noise + 1);
            Arrays.sort(pos);
            for (int s = 0; s <= hops; s++, k++) {
                chainOf[k] = c;
                stepOf[k] = s;
                slot[k] = pos[s];
            }
        }
        Integer[] order = new Integer[statements];
        for (int k = 0; k < statements; k++) order[k] = k;
        Arrays.sort(order, (a, b) -> slot[a] != slot[b] ? Integer.compare(slot[a], slot[b]) : Integer.compare(a, b));

        int[] in = new int[seqLength], tg = new int[seqLength], tags = new int[seqLength];
        Arrays.fill(tg, IGNORE);
        int t = 0, n = 0;
        for (int k : order) {
            while (n < slot[k]) { in[t++] = r.nextInt(SPECIALS, noiseHi); n++; }
            int c = chainOf[k], s = stepOf[k];
            in[t++] = VAR;
            in[t++] = vars[c * (hops + 1) + s];
            in[t++] = EQUALS;
            in[t++] = s == 0 ? values[c] : vars[c * (hops + 1) + s - 1];
        }
        while (n < noise) { in[t++] = r.nextInt(SPECIALS, noiseHi); n++; }
        in[t++] = QUERY;
        in[t++] = values[0];
        in[t++] = ANSWER;
        for (int s = 0; s <= hops; s++) {
            tg[t - 1] = vars[s];
            tags[t - 1] = s;
            if (t < seqLength) in[t] = vars[s];
            t++;
        }
        if (t - 1 != seqLength) throw new AssertionError("layout: answer ends at " + (t - 1) + ", not " + seqLength);
        return new Example(in, tg, tags);
    }
}
