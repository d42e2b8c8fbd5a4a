package dev.attend.nn.tasks;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Common-words extraction in token space, after RULER's {@code common_words_extraction}
 * ({@code scripts/data/synthetic/common_words_extraction.py}): a shuffled list in which {@code common} words occur
 * {@code commonRepeats} times each and every other word {@code uncommonRepeats} times, then the question "which are
 * the most common words?", answered by the common words.
 *
 * <p>Vocabulary: {@link #QUERY} 0, {@link #ANSWER} 1, {@link #PAD} 2, word ids {@code [3, V)}. The number of
 * uncommon words is as many as fit: {@code U = floor((L - 2 - (common - 1) - common x commonRepeats) /
 * uncommonRepeats)}; all words are distinct draws of word ids, and the positions the list leaves free start the
 * sequence as {@code PAD}s. Layout: {@code PAD.. | shuffled list | QUERY ANSWER c_1 .. c_{common-1}}, the common
 * words in the order of their first occurrence in the list (RULER's metric ignores order; a next-token target
 * needs one); teacher-forced as in {@link Niah}. RULER's settings: 10 common words, 30 and 3 repeats (6 and 1
 * below 4K tokens). Tags: the answer's index. Cost O(L) per example.
 */
public record CommonWords(int vocabSize, int seqLength, int common, int commonRepeats, int uncommonRepeats, long seed)
        implements Task {
    public static final int QUERY = 0, ANSWER = 1, PAD = 2;
    private static final int SPECIALS = 3;

    public CommonWords {
        if (common < 1) throw new IllegalArgumentException("common: expected >= 1, got " + common);
        if (uncommonRepeats < 1 || commonRepeats <= uncommonRepeats) {
            throw new IllegalArgumentException("commonRepeats, uncommonRepeats: expected commonRepeats > uncommonRepeats >= 1, got "
                    + commonRepeats + ", " + uncommonRepeats);
        }
        int fixed = 2 + (common - 1) + common * commonRepeats;
        if (seqLength < fixed) throw new IllegalArgumentException("seqLength: expected >= " + fixed + " (common words and question), got " + seqLength);
        int words = common + (seqLength - fixed) / uncommonRepeats;
        if (vocabSize - SPECIALS < words) {
            throw new IllegalArgumentException("vocabSize: expected >= " + (words + SPECIALS) + " for " + words + " distinct words, got " + vocabSize);
        }
    }

    @Override
    public String name() {
        return "cwe";
    }

    /** Words that occur {@code uncommonRepeats} times. */
    public int uncommonWords() {
        return (seqLength - (2 + (common - 1) + common * commonRepeats)) / uncommonRepeats;
    }

    @Override
    public Example example(Split split, long index) {
        SplittableRandom r = Seeds.example(seed, split, index);
        int uncommon = uncommonWords();
        int[] words = Seeds.distinct(r, common + uncommon, SPECIALS, vocabSize);
        int listLength = common * commonRepeats + uncommon * uncommonRepeats;
        int[] list = new int[listLength];
        int k = 0;
        for (int w = 0; w < words.length; w++) {
            for (int c = w < common ? commonRepeats : uncommonRepeats; c > 0; c--) list[k++] = words[w];
        }
        Seeds.shuffle(r, list);
        int[] in = new int[seqLength], tg = new int[seqLength], tags = new int[seqLength];
        Arrays.fill(tg, IGNORE);
        int pad = seqLength - listLength - 2 - (common - 1);
        Arrays.fill(in, 0, pad, PAD);
        System.arraycopy(list, 0, in, pad, listLength);
        int t = pad + listLength;
        in[t++] = QUERY;
        in[t++] = ANSWER;
        boolean[] isCommon = new boolean[vocabSize], said = new boolean[vocabSize];
        for (int w = 0; w < common; w++) isCommon[words[w]] = true;
        int i = 0;
        for (int x : list) {
            if (!isCommon[x] || said[x]) continue;
            said[x] = true;
            tg[t - 1] = x;
            tags[t - 1] = i++;
            if (t < seqLength) in[t] = x;
            t++;
        }
        if (t - 1 != seqLength) throw new AssertionError("layout: answer ends at " + (t - 1) + ", not " + seqLength);
        return new Example(in, tg, tags);
    }
}
