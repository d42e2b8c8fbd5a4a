package dev.attend.nn.tasks;

import java.util.Arrays;

/**
 * The data of a needle-in-a-haystack heat map, as RULER and the NIAH papers draw it: {@code accuracy[d][l]} is the
 * accuracy (in [0, 1], or NaN for a cell not measured) of needles at depth {@code depths[d]} percent in sequences
 * of {@code lengths[l]} tokens. A plain record so that this module stays free of any chart library; the PNG is
 * drawn by the CLI.
 */
public record DepthLengthGrid(String title, int[] depths, int[] lengths, double[][] accuracy) {
    public DepthLengthGrid {
        if (title == null) throw new IllegalArgumentException("title: expected a string, got null");
        if (depths == null || depths.length == 0 || lengths == null || lengths.length == 0) {
            throw new IllegalArgumentException("depths, lengths: expected at least one each");
        }
        if (accuracy == null || accuracy.length != depths.length) {
            throw new IllegalArgumentException("accuracy: expected " + depths.length + " rows (one per depth), got "
                    + (accuracy == null ? "null" : accuracy.length));
        }
        double[][] copy = new double[depths.length][];
        for (int d = 0; d < depths.length; d++) {
            if (accuracy[d] == null || accuracy[d].length != lengths.length) {
                throw new IllegalArgumentException("accuracy[" + d + "]: expected " + lengths.length + " values (one per length)");
            }
            for (double a : accuracy[d]) {
                if (!Double.isNaN(a) && (a < 0 || a > 1)) throw new IllegalArgumentException("accuracy[" + d + "]: expected values in [0, 1] or NaN, got " + a);
            }
            copy[d] = accuracy[d].clone();
        }
        depths = depths.clone();
        lengths = lengths.clone();
        accuracy = copy;
    }

    /**
     * Measures every cell: {@code cell.accuracy(niah.withSeqLength(length).withDepths(depth))}, e.g. a model's
     * test accuracy on that task.
     */
    public static DepthLengthGrid measure(String title, Niah niah, int[] depths, int[] lengths, Cell cell) {
        double[][] acc = new double[depths.length][lengths.length];
        for (int d = 0; d < depths.length; d++) {
            for (int l = 0; l < lengths.length; l++) acc[d][l] = cell.accuracy(niah.withSeqLength(lengths[l]).withDepths(depths[d]));
        }
        return new DepthLengthGrid(title, depths, lengths, acc);
    }

    /** The accuracy of one cell's task. */
    @FunctionalInterface
    public interface Cell {
        double accuracy(Niah task);
    }

    @Override public int[] depths() { return depths.clone(); }
    @Override public int[] lengths() { return lengths.clone(); }

    @Override
    public double[][] accuracy() {
        double[][] out = new double[accuracy.length][];
        for (int d = 0; d < accuracy.length; d++) out[d] = accuracy[d].clone();
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DepthLengthGrid g && title.equals(g.title) && Arrays.equals(depths, g.depths)
                && Arrays.equals(lengths, g.lengths) && Arrays.deepEquals(accuracy, g.accuracy);
    }

    @Override
    public int hashCode() {
        return title.hashCode() * 31 + Arrays.deepHashCode(accuracy);
    }

    @Override
    public String toString() {
        return "DepthLengthGrid[" + title + ", depths=" + Arrays.toString(depths) + ", lengths=" + Arrays.toString(lengths)
                + ", accuracy=" + Arrays.deepToString(accuracy) + "]";
    }
}
