package dev.attend.cli.bench.report;

import dev.attend.cli.bench.BenchResult;

/**
 * How one case differs between two runs (see {@link Compare} for the rule).
 *
 * @param kind   what happened
 * @param name   the case's name in the new run (in the old one when only there)
 * @param old    the record in the old run, null for {@link Kind#ONLY_NEW}
 * @param now    the record in the new run, null for {@link Kind#ONLY_OLD}
 * @param ratio  new median time / old median time, null unless both were timed
 * @param detail one line for a reader: the times and bands, or the statuses and reasons
 */
public record Change(Kind kind, String name, BenchResult old, BenchResult now, Double ratio, String detail) {

    /** The kinds of change, in the order the text lists them. */
    public enum Kind {
        /** Slower beyond the noise of both runs. */
        REGRESSION,
        /** Faster beyond the noise of both runs. */
        IMPROVEMENT,
        /** The status changed (ok, unsupported, error). */
        STATUS_CHANGED,
        /** Timed in both runs, the difference within noise. */
        WITHIN_NOISE,
        /** In both runs with the same status and no timing to compare (unsupported, failed, fidelity only). */
        UNCHANGED,
        /** Only in the old run. */
        ONLY_OLD,
        /** Only in the new run. */
        ONLY_NEW
    }
}
