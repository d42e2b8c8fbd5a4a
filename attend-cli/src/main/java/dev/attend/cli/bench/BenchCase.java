package dev.attend.cli.bench;

import dev.attend.attention.Workload;

/**
 * One benchmark case: a mechanism (or a peer) on a mask and shape, for one pass, with the work it must do.
 *
 * <p>{@link #setup()} allocates and fills the inputs (not timed) and returns the timed body; the
 * harness calls the body for warmup and measured runs. {@link #flops()} counts the useful
 * floating-point work from the exact mask area ({@link dev.attend.attention.Cost}), never the work a kernel
 * happens to skip or waste. {@link #bytes()} counts the bytes that must come from memory at least once (the
 * KV cache for decode); 0 means "not a bandwidth case".
 */
public interface BenchCase {

    /** The mechanism's spec, as {@code Attention.of} knows it, or a peer's name ("scalar"). */
    String mechanism();

    /** The mask, in the syntax of {@code Mask.parse} (e.g. "causal", "sliding:1024"). */
    String mask();

    Workload.Shape dims();

    Workload.Pass pass();

    /** Useful FLOPs of one run; 0 when GFLOP/s makes no sense for the case. */
    double flops();

    /** Bytes one run must read from memory at least once; 0 when GB/s makes no sense for the case. */
    double bytes();

    /** Allocates the inputs and returns the body to time. Called once per case, before warmup. */
    Runnable setup();

    /** A short unique label for tables and progress. */
    default String name() {
        Workload.Shape d = dims();
        return mechanism() + " " + mask() + " " + pass().label() + " B" + d.batch() + " H" + d.qHeads() + "/" + d.kvHeads()
                + " L" + d.qLen() + "x" + d.kLen() + " D" + d.headDim();
    }
}
