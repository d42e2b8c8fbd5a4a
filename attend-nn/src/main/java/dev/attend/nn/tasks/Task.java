package dev.attend.nn.tasks;

/**
 * A seeded synthetic task in token space: sequences of {@link #seqLength()} ids in {@code [0, vocabSize())} whose
 * answers a model predicts at the positions where the target is not {@link #IGNORE} (next-token form: the target
 * at position t is the token the model should emit after reading {@code inputs[0..t]}; loss and accuracy count
 * only those positions).
 *
 * <p>Seeds: example {@code i} of a split is a pure function of {@code (seed(), split, i)}: its generator is
 * seeded from a mix of the three (SplitMix64), so batches do not depend on batch size or order, train and test
 * draw from different seeds, and {@code example(TEST, i)} is the same on every run and machine.
 */
public interface Task {
    /** The target of positions that are not answers (PyTorch's default {@code ignore_index}). */
    int IGNORE = -100;

    /** Short name, e.g. {@code mqar}. */
    String name();

    /** Ids are in {@code [0, vocabSize())}. */
    int vocabSize();

    /** Tokens per example. */
    int seqLength();

    /** The task's base seed. */
    long seed();

    /**
     * The number of distinct {@link Split#TEST} examples: a synthetic task draws as many as asked
     * ({@link Long#MAX_VALUE}); a corpus has as many as its validation part holds (larger indices repeat them).
     */
    default long testSize() {
        return Long.MAX_VALUE;
    }

    /** Example {@code index} (>= 0) of {@code split}. */
    Example example(Split split, long index);

    /**
     * Training batch {@code step}: examples {@code step x size .. (step + 1) x size - 1} of {@link Split#TRAIN}. The
     * one convention for a step's data, shared by Java training and the {@code .npy} export for PyTorch.
     */
    default Batch trainBatch(long step, int size) {
        if (step < 0) throw new IllegalArgumentException("step: expected >= 0, got " + step);
        return batch(Split.TRAIN, Math.multiplyExact(step, (long) size), size);
    }

    /** Examples {@code first .. first + size - 1} of {@code split}, stacked. */
    default Batch batch(Split split, long first, int size) {
        if (size < 1) throw new IllegalArgumentException("size: expected >= 1, got " + size);
        if (first < 0) throw new IllegalArgumentException("first: expected >= 0, got " + first);
        Example[] ex = new Example[size];
        for (int b = 0; b < size; b++) ex[b] = example(split, first + b);
        return Batch.of(ex);
    }
}
