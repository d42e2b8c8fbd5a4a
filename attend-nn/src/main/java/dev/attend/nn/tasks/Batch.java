package dev.attend.nn.tasks;

/**
 * A batch of {@code size} examples of {@code length} tokens, row-major {@code [size, length]}: {@code inputs},
 * {@code targets} ({@link Task#IGNORE} off the answers) and {@code tags} (see {@link Example}).
 */
public record Batch(int size, int length, int[] inputs, int[] targets, int[] tags) {
    public Batch {
        if (size < 1 || length < 1) {
            throw new IllegalArgumentException("size, length: expected >= 1, got " + size + " and " + length);
        }
        long n = (long) size * length;
        if (inputs == null || inputs.length != n || targets == null || targets.length != n || tags == null || tags.length != n) {
            throw new IllegalArgumentException("inputs, targets, tags: expected arrays of size x length = " + n + " values");
        }
    }

    /** Stacks examples of one length into a batch. */
    public static Batch of(Example... examples) {
        if (examples.length == 0) throw new IllegalArgumentException("examples: expected at least one, got none");
        int len = examples[0].inputs().length;
        int[] in = new int[examples.length * len], tg = new int[in.length], tag = new int[in.length];
        for (int b = 0; b < examples.length; b++) {
            Example e = examples[b];
            if (e.inputs().length != len) {
                throw new IllegalArgumentException("examples[" + b + "]: expected length " + len + ", got " + e.inputs().length);
            }
            System.arraycopy(e.inputs(), 0, in, b * len, len);
            System.arraycopy(e.targets(), 0, tg, b * len, len);
            System.arraycopy(e.tags(), 0, tag, b * len, len);
        }
        return new Batch(examples.length, len, in, tg, tag);
    }

    /** Number of answer positions in the batch. */
    public long answers() {
        long n = 0;
        for (int t : targets) if (t != Task.IGNORE) n++;
        return n;
    }
}
