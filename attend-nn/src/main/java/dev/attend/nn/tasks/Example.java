package dev.attend.nn.tasks;

/**
 * One sequence of a task: {@code inputs[t]} is the token at position t, {@code targets[t]} the token the model
 * must predict there ({@link Task#IGNORE} where nothing is asked, i.e. everywhere but the answers), {@code tags[t]}
 * a category of that answer for accuracy breakdowns (e.g. the needle's depth in percent; 0 where ignored). All
 * three have the task's sequence length.
 */
public record Example(int[] inputs, int[] targets, int[] tags) {
    public Example {
        if (inputs == null || targets == null || tags == null) {
            throw new IllegalArgumentException("inputs, targets, tags: expected arrays, got a null");
        }
        if (targets.length != inputs.length || tags.length != inputs.length) {
            throw new IllegalArgumentException("targets, tags: expected length " + inputs.length + " like inputs, got "
                    + targets.length + " and " + tags.length);
        }
    }

    /** Number of answer positions (targets that are not {@link Task#IGNORE}). */
    public int answers() {
        int n = 0;
        for (int t : targets) if (t != Task.IGNORE) n++;
        return n;
    }
}
