package dev.attend.nn.tasks;

import dev.attend.nn.tokenize.BpeTokenizer;

import java.util.Arrays;
import java.util.HashMap;

/**
 * Language modelling on a text corpus: every position's target is the next token. The corpus's bytes are split
 * once, at the line break nearest to {@code 1 - validFraction} of them: the tokenizer is trained on the first part
 * only (byte-pair merges up to {@code vocab} ids; {@code vocab} 256 is the byte tokenizer), and both parts are
 * encoded with it.
 * <ul>
 *   <li>{@link Split#TRAIN} example {@code i}: {@code seqLength + 1} consecutive tokens of the training part at a
 *       seeded offset (a pure function of seed and i), as inputs and next-token targets;</li>
 *   <li>{@link Split#TEST} example {@code i}: the {@code i}-th non-overlapping window of the validation part
 *       ({@link #testSize()} of them; larger indices wrap), so a validation perplexity over {@code testSize()}
 *       examples counts every validation token once.</li>
 * </ul>
 * {@link #bigramPerplexity} is the baseline a model must beat: an interpolated Kneser-Ney {@link Bigram} counted
 * on the training part, scored on the same validation targets (with the one-token context a model has at a
 * window's first position).
 */
public final class TextTask implements Task {
    private final String source;
    private final BpeTokenizer tokenizer;
    private final int seqLength;
    private final long seed;
    private final int[] train, valid;

    /**
     * @param source        what the corpus is (its file name), for names and messages
     * @param corpus        the corpus's bytes (usually UTF-8 text)
     * @param vocab         ids of the tokenizer, in {@code [256, 65536]}: 256 is byte-level, more trains BPE merges
     * @param validFraction the share of the corpus held out, in {@code (0, 0.5]}
     */
    public TextTask(String source, byte[] corpus, int vocab, int seqLength, double validFraction, long seed) {
        if (vocab < 256 || vocab > 65536) throw new IllegalArgumentException("vocab: expected in [256, 65536], got " + vocab);
        if (seqLength < 2) throw new IllegalArgumentException("seq: expected >= 2, got " + seqLength);
        if (!(validFraction > 0 && validFraction <= 0.5)) throw new IllegalArgumentException("valid: expected in (0, 0.5], got " + validFraction);
        this.source = source;
        this.seqLength = seqLength;
        this.seed = seed;
        int cut = lineBreakNear(corpus, (int) Math.round(corpus.length * (1 - validFraction)));
        byte[] head = Arrays.copyOf(corpus, cut), tail = Arrays.copyOfRange(corpus, cut, corpus.length);
        this.tokenizer = vocab == 256 ? BpeTokenizer.fromMerges(new int[0][]) : BpeTokenizer.train(head, vocab, 2);
        this.train = tokenizer.encodeBytes(head);
        this.valid = tokenizer.encodeBytes(tail);
        if (train.length < seqLength + 1) {
            throw new IllegalArgumentException("file " + source + ": the training part has " + train.length + " tokens, fewer than seq + 1 = "
                    + (seqLength + 1));
        }
        if (valid.length < seqLength + 1) {
            throw new IllegalArgumentException("file " + source + ": the validation part has " + valid.length + " tokens, fewer than seq + 1 = "
                    + (seqLength + 1) + " (a larger corpus, a larger valid fraction or a shorter seq)");
        }
    }

    private static int lineBreakNear(byte[] corpus, int at) {
        for (int d = 0; d < 4096; d++) {
            if (at - d > 0 && corpus[at - d - 1] == '\n') return at - d;
            if (at + d < corpus.length && at + d > 0 && corpus[at + d - 1] == '\n') return at + d;
        }
        return at;
    }

    @Override public String name() { return "text"; }
    @Override public int vocabSize() { return tokenizer.vocabSize(); }
    @Override public int seqLength() { return seqLength; }
    @Override public long seed() { return seed; }

    /** The tokenizer trained on the training part (saved beside a model, for generation). */
    public BpeTokenizer tokenizer() { return tokenizer; }

    /** Where the corpus came from. */
    public String source() { return source; }

    /** Tokens in the training and validation parts. */
    public int trainTokens() { return train.length; }
    public int validTokens() { return valid.length; }

    /** The number of validation windows. */
    @Override
    public long testSize() {
        return (valid.length - 1) / seqLength;
    }

    @Override
    public Example example(Split split, long index) {
        int[] from;
        int offset;
        if (split == Split.TRAIN) {
            from = train;
            offset = Seeds.example(seed, split, index).nextInt(train.length - seqLength);
        } else {
            if (index < 0) throw new IllegalArgumentException("index: expected >= 0, got " + index);
            from = valid;
            offset = (int) (index % testSize()) * seqLength;
        }
        int[] inputs = Arrays.copyOfRange(from, offset, offset + seqLength), targets = Arrays.copyOfRange(from, offset + 1, offset + seqLength + 1);
        return new Example(inputs, targets, new int[seqLength]);
    }

    /**
     * The perplexity of {@link #bigram()} on the first {@code examples} test windows (every target, each with the
     * token before it as context, as the model sees it).
     */
    public double bigramPerplexity(long examples) {
        Bigram b = bigram();
        double nll = 0;
        long n = 0;
        for (long i = 0; i < Math.min(examples, testSize()); i++) {
            Example e = example(Split.TEST, i);
            for (int t = 0; t < seqLength; t++, n++) nll -= Math.log(b.probability(e.inputs()[t], e.targets()[t]));
        }
        return Math.exp(nll / n);
    }

    /** The baseline bigram, counted on the training part. */
    public Bigram bigram() {
        return new Bigram(train, vocabSize());
    }

    /**
     * An interpolated Kneser-Ney bigram with discount {@code d = 0.75}:
     * {@code P(w | u) = max(c(u w) - d, 0) / c(u) + d N(u .) / c(u) x P_cont(w)}, where {@code N(u .)} counts the
     * distinct successors of {@code u} and {@code P_cont(w)} is the share of distinct pairs ending in {@code w}
     * (add-one, so no id has probability 0); a context never seen gives {@code P_cont} itself.
     */
    public static final class Bigram {
        private static final double D = 0.75;
        private final int vocab;
        private final HashMap<Long, int[]> pairs = new HashMap<>();
        private final long[] count, successors, predecessors;

        Bigram(int[] ids, int vocab) {
            this.vocab = vocab;
            count = new long[vocab];
            successors = new long[vocab];
            predecessors = new long[vocab];
            for (int t = 0; t + 1 < ids.length; t++) {
                if (pairs.computeIfAbsent((long) ids[t] * vocab + ids[t + 1], k -> new int[1])[0]++ == 0) {
                    successors[ids[t]]++;
                    predecessors[ids[t + 1]]++;
                }
                count[ids[t]]++;
            }
        }

        public double probability(int u, int w) {
            double cont = (predecessors[w] + 1) / ((double) pairs.size() + vocab);
            if (count[u] == 0) return cont;
            int[] c = pairs.get((long) u * vocab + w);
            return (Math.max((c == null ? 0 : c[0]) - D, 0) + D * successors[u] * cont) / count[u];
        }
    }

    @Override
    public String toString() {
        return "text(" + source + ", vocab " + vocabSize() + ", seq " + seqLength + ", " + train.length + " + " + valid.length + " tokens)";
    }
}
