package dev.attend.nn.tasks;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Needle in a haystack in token space, after RULER's {@code niah} ({@code scripts/data/synthetic/niah.py}): needles
 * "one of the special magic numbers for KEY is: VALUE" hidden at chosen depths of a haystack, then a question for
 * one or more keys, answered by their values. RULER's variants are settings of one record:
 * {@link #single} (one needle), {@link #multiKey} (distractor needles with other keys), {@link #multiValue}
 * (several needles share the key: all values are the answer), {@link #multiQuery} (several keys asked at once).
 *
 * <p>Vocabulary: {@link #NEEDLE} 0, {@link #IS} 1, {@link #QUERY} 2, {@link #ANSWER} 3, then three ranges of
 * (almost) equal size: haystack ids {@code [4, 4 + h)}, key ids, value ids ({@code (V - 4) / 3} each, the
 * remainder to the haystack). Layout of an example:
 * <pre>
 *   haystack with K x M needles [NEEDLE key(kt ids) IS value(vt ids)] inserted | QUERY key_1 .. key_Q | ANSWER answer..
 * </pre>
 * Keys are {@code kt}-token sequences, distinct within an example; values {@code vt}-token sequences, distinct
 * within an example. The haystack is uniform random haystack ids (RULER's essay or noise text has no meaning in
 * token space). The queried keys are {@code Q} distinct keys chosen at random; the answer is, for each in query
 * order, its {@code M} values in the order they appear in the text, concatenated: {@code Q x M x vt} tokens. It
 * is teacher-forced: the target at {@code ANSWER} is the first answer token, at each answer token the next one;
 * the sequence ends before the last answer token would be read. All other targets are {@link Task#IGNORE}.
 *
 * <p>Depths: each needle's depth is drawn uniformly from {@code depths} (percent, 0..100, repeats allowed); a
 * needle at depth {@code d} is inserted after {@code floor(H x d / 100)} haystack tokens, {@code H} the number of
 * haystack tokens, needles at the same offset in their random order. So depth 0 starts the text, depth 100 ends
 * it just before {@code QUERY}. RULER's 40 depths are {@link #RULER_DEPTHS}; a single depth {@code {d}} places
 * every needle at {@code d}, which is how a depth x length heat map is measured. Tags: each answer token carries
 * the depth of the needle it comes from. Cost O(L) per example.
 */
public record Niah(int vocabSize, int seqLength, int keys, int valuesPerKey, int queries, int keyTokens,
                   int valueTokens, int[] depths, long seed) implements Task {
    public static final int NEEDLE = 0, IS = 1, QUERY = 2, ANSWER = 3;
    private static final int SPECIALS = 4;
    /** RULER's depths: {@code round(linspace(0, 100, 40))}. */
    public static final int[] RULER_DEPTHS = rulerDepths();

    public Niah {
        if (keys < 1 || valuesPerKey < 1 || queries < 1) {
            throw new IllegalArgumentException("keys, valuesPerKey, queries: expected >= 1, got " + keys + ", " + valuesPerKey + ", " + queries);
        }
        if (queries > keys) throw new IllegalArgumentException("queries: expected <= keys = " + keys + ", got " + queries);
        if (keyTokens < 1 || valueTokens < 1) {
            throw new IllegalArgumentException("keyTokens, valueTokens: expected >= 1, got " + keyTokens + ", " + valueTokens);
        }
        if (depths == null || depths.length == 0) throw new IllegalArgumentException("depths: expected at least one depth, got none");
        for (int d : depths) if (d < 0 || d > 100) throw new IllegalArgumentException("depths: expected percentages in [0, 100], got " + d);
        depths = depths.clone();
        int range = (vocabSize - SPECIALS) / 3;
        if (range < 2) throw new IllegalArgumentException("vocabSize: expected >= " + (SPECIALS + 6) + ", got " + vocabSize);
        if (Math.pow(range, keyTokens) < 2.0 * keys || Math.pow(range, valueTokens) < 2.0 * keys * valuesPerKey) {
            throw new IllegalArgumentException("vocabSize: " + vocabSize + " gives " + range + " key and value ids, too few for "
                    + keys + " distinct keys of " + keyTokens + " and " + keys * valuesPerKey + " values of " + valueTokens + " tokens");
        }
        int fixed = keys * valuesPerKey * (2 + keyTokens + valueTokens) + 2 + queries * keyTokens + queries * valuesPerKey * valueTokens - 1;
        if (seqLength < fixed + 1) {
            throw new IllegalArgumentException("seqLength: expected >= " + (fixed + 1) + " (needles, question and answer plus one haystack token), got " + seqLength);
        }
    }

    /** One needle, one key asked (RULER's niah_single). */
    public static Niah single(int vocabSize, int seqLength, int[] depths, long seed) {
        return new Niah(vocabSize, seqLength, 1, 1, 1, 2, 2, depths, seed);
    }

    /** {@code keys} needles with distinct keys, one asked (niah_multikey). */
    public static Niah multiKey(int vocabSize, int seqLength, int keys, int[] depths, long seed) {
        return new Niah(vocabSize, seqLength, keys, 1, 1, 2, 2, depths, seed);
    }

    /** {@code values} needles share one key; all values are the answer (niah_multivalue). */
    public static Niah multiValue(int vocabSize, int seqLength, int values, int[] depths, long seed) {
        return new Niah(vocabSize, seqLength, 1, values, 1, 2, 2, depths, seed);
    }

    /** {@code keys} needles, all asked at once (niah_multiquery). */
    public static Niah multiQuery(int vocabSize, int seqLength, int keys, int[] depths, long seed) {
        return new Niah(vocabSize, seqLength, keys, 1, keys, 2, 2, depths, seed);
    }

    /** The same task at another sequence length (e.g. to test extrapolation). */
    public Niah withSeqLength(int length) {
        return new Niah(vocabSize, length, keys, valuesPerKey, queries, keyTokens, valueTokens, depths, seed);
    }

    /** The same task with other depths (e.g. one depth per cell of a heat map). */
    public Niah withDepths(int... newDepths) {
        return new Niah(vocabSize, seqLength, keys, valuesPerKey, queries, keyTokens, valueTokens, newDepths, seed);
    }

    @Override
    public int[] depths() {
        return depths.clone();
    }

    @Override
    public String name() {
        return "niah";
    }

    /** Haystack tokens per example. */
    public int haystackLength() {
        return seqLength - (keys * valuesPerKey * (2 + keyTokens + valueTokens) + 2 + queries * keyTokens
                + queries * valuesPerKey * valueTokens - 1);
    }

    @Override
    public Example example(Split split, long index) {
        SplittableRandom r = Seeds.example(seed, split, index);
        int range = (vocabSize - SPECIALS) / 3;
        int hayLo = SPECIALS, hayHi = vocabSize - 2 * range, keyLo = hayHi, valLo = hayHi + range;
        int[][] keySeqs = distinctSequences(r, keys, keyTokens, keyLo, range);
        int[][] valSeqs = distinctSequences(r, keys * valuesPerKey, valueTokens, valLo, range);
        // needle n holds key n / M and value n; its depth and offset into the haystack
        int needles = keys * valuesPerKey, hay = haystackLength();
        int[] order = new int[needles], depth = new int[needles], offset = new int[needles];
        for (int n = 0; n < needles; n++) {
            order[n] = n;
            depth[n] = depths[r.nextInt(depths.length)];
            offset[n] = (int) ((long) hay * depth[n] / 100);
        }
        Seeds.shuffle(r, order);
        Integer[] placed = new Integer[needles];
        for (int i = 0; i < needles; i++) placed[i] = order[i];
        Arrays.sort(placed, (a, b) -> Integer.compare(offset[a], offset[b])); // stable: shuffled order among ties

        int[] in = new int[seqLength], tg = new int[seqLength], tags = new int[seqLength];
        Arrays.fill(tg, IGNORE);
        int[] valueOrder = new int[needles]; // needles in text order, to list a key's values as they appear
        int t = 0, h = 0;
        for (int i = 0; i < needles; i++) {
            int n = placed[i];
            while (h < offset[n]) { in[t++] = r.nextInt(hayLo, hayHi); h++; }
            in[t++] = NEEDLE;
            for (int x : keySeqs[n / valuesPerKey]) in[t++] = x;
            in[t++] = IS;
            for (int x : valSeqs[n]) in[t++] = x;
            valueOrder[i] = n;
        }
        while (h < hay) { in[t++] = r.nextInt(hayLo, hayHi); h++; }
        in[t++] = QUERY;
        int[] asked = Seeds.distinct(r, queries, 0, keys);
        for (int q : asked) for (int x : keySeqs[q]) in[t++] = x;
        in[t++] = ANSWER;
        int at = t - 1; // the ANSWER position predicts the first answer token
        for (int q : asked) {
            for (int n : valueOrder) {
                if (n / valuesPerKey != q) continue;
                for (int x : valSeqs[n]) {
                    tg[at] = x;
                    tags[at] = depth[n];
                    at++;
                    if (at < seqLength) in[at] = x;
                }
            }
        }
        if (at != seqLength) throw new AssertionError("layout: answer ends at " + at + ", not " + seqLength);
        return new Example(in, tg, tags);
    }

    private static int[][] distinctSequences(SplittableRandom r, int count, int length, int lo, int range) {
        int[][] out = new int[count][];
        Set<List<Integer>> seen = new HashSet<>();
        for (int i = 0; i < count; i++) {
            int[] s;
            do {
                s = new int[length];
                for (int k = 0; k < length; k++) s[k] = lo + r.nextInt(range);
            } while (!seen.add(Arrays.stream(s).boxed().toList()));
            out[i] = s;
        }
        return out;
    }

    private static int[] rulerDepths() {
        int[] d = new int[40];
        for (int i = 0; i < 40; i++) d[i] = (int) Math.round(100.0 * i / 39);
        return d;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Niah n && vocabSize == n.vocabSize && seqLength == n.seqLength && keys == n.keys
                && valuesPerKey == n.valuesPerKey && queries == n.queries && keyTokens == n.keyTokens
                && valueTokens == n.valueTokens && Arrays.equals(depths, n.depths) && seed == n.seed;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(depths) * 31 + Objects.hash(vocabSize, seqLength, keys, valuesPerKey, queries, keyTokens, valueTokens, seed);
    }

    @Override
    public String toString() {
        return "Niah[vocabSize=" + vocabSize + ", seqLength=" + seqLength + ", keys=" + keys + ", valuesPerKey=" + valuesPerKey
                + ", queries=" + queries + ", keyTokens=" + keyTokens + ", valueTokens=" + valueTokens
                + ", depths=" + Arrays.toString(depths) + ", seed=" + seed + "]";
    }
}
