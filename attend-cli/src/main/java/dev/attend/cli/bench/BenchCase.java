package dev.attend.cli.bench;

import dev.attend.attention.Workload;

import java.util.Map;
import java.util.function.Supplier;

/**
 * One benchmark case: a mechanism (or a peer) on a mask and shape, for one pass, with the work it must do.
 *
 * <p>{@link #setup()} allocates and fills the inputs (not timed) and returns the timed body, the mechanism call
 * alone; the harness calls it for warm-up and measured runs. {@link #flops()} counts the useful floating-point
 * work from the exact mask area ({@link dev.attend.attention.Cost}), never the work a kernel happens to skip or
 * waste. {@link #bytes()} counts the bytes that must come from memory at least once (the KV cache for decode);
 * 0 means "not a bandwidth case". A case the mechanism cannot run says why in {@link #unsupported()} (an "X" in
 * the support matrix); a case measured in another JVM (a peer) implements {@link #external}.
 */
public interface BenchCase {

    /** The suite the case belongs to. */
    default String suite() {
        return "bench";
    }

    /** The mechanism's spec, as {@code Attention.of} knows it, or a peer's name ("scalar", "onnx"). */
    String mechanism();

    /** {@code attend}, {@code peer} or {@code baseline}. */
    default String source() {
        return "attend";
    }

    /** The mechanism's parameters by name (empty for peers). */
    default Map<String, Object> params() {
        return Map.of();
    }

    /** Whether the mechanism computes exact attention. */
    default boolean exact() {
        return true;
    }

    /** The mask, in the syntax of {@code Mask.parse} (e.g. "causal", "sliding:1024"). */
    String mask();

    Workload.Shape dims();

    Workload.Pass pass();

    /** Useful FLOPs of one run; 0 when GFLOP/s makes no sense for the case. */
    double flops();

    /** Bytes one run must read from memory at least once; 0 when GB/s makes no sense for the case. */
    double bytes();

    /** Null when the case can run, else the reason it cannot (from the mechanism's descriptor). */
    default String unsupported() {
        return null;
    }

    /** Bytes of memory the case needs at least (inputs, outputs, caches), for refusing what cannot fit before allocating. */
    default long memoryBytes() {
        Workload.Shape d = dims();
        return 4L * (2 * d.qSize() + 2 * d.kvSize());
    }

    /** Allocates the inputs and returns the body to time: the call alone, returning its result. Called once per measurement. */
    Supplier<?> setup();

    /** Error against exact attention of the body's last result, for fidelity cases; null for the others. */
    default BenchResult.Fidelity fidelity(Object lastResult) {
        return null;
    }

    /** For a case measured outside this JVM: the finished record (timing and all); null for in-process cases. */
    default BenchResult external(BenchRunner.Settings settings) {
        return null;
    }

    /** A short unique label for tables, progress and {@code --resume}. */
    default String name() {
        Workload.Shape d = dims();
        return mechanism() + " " + mask() + " " + pass().label() + " B" + d.batch() + " H" + d.qHeads() + "/" + d.kvHeads()
                + " L" + d.qLen() + "x" + d.kLen() + " D" + d.headDim();
    }
}
