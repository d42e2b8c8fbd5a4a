package dev.attend.cli.bench;

/**
 * One benchmark workload: a mechanism on a mask and shape, for one pass, with the work it must do.
 *
 * <p>{@link #setup()} allocates and fills the inputs (not timed) and returns the timed body; the
 * harness calls the body for warmup and measured runs. {@link #flops()} counts the useful
 * floating-point work (forward {@code 4 * maskArea * B * Hq * D}, backward 2.5x that), from the exact
 * mask area, never from the work a kernel happens to skip or waste. {@link #bytes()} counts the bytes
 * that must come from memory at least once (the KV cache for decode); 0 means "not a bandwidth case".
 */
public interface BenchCase {

    /** The mechanism's name, as {@code Attention.of} knows it, or a peer's name ("scalar", "libtorch"). */
    String mechanism();

    /** The mask, in the syntax of {@code Mask.parse} (e.g. "causal", "window:256"). */
    String mask();

    Dims dims();

    Pass pass();

    /** Useful FLOPs of one run; 0 when GFLOP/s makes no sense for the case. */
    double flops();

    /** Bytes one run must read from memory at least once; 0 when GB/s makes no sense for the case. */
    double bytes();

    /** Allocates the inputs and returns the body to time. Called once per case, before warmup. */
    Runnable setup();

    /** A short unique label for tables and progress. */
    default String name() {
        Dims d = dims();
        return mechanism() + " " + mask() + " " + pass().label() + " B" + d.batch() + " H" + d.qHeads() + "/" + d.kvHeads()
                + " L" + d.qLen() + "x" + d.kLen() + " D" + d.headDim();
    }

    /** Shapes: q {@code [batch, qHeads, qLen, headDim]}, k and v {@code [batch, kvHeads, kLen, headDim]}. */
    record Dims(int batch, int qHeads, int kvHeads, int qLen, int kLen, int headDim) {
        public Dims {
            if (batch < 1 || qHeads < 1 || kvHeads < 1 || qLen < 1 || kLen < 1 || headDim < 1) {
                throw new IllegalArgumentException("dims: every dimension must be >= 1, got " + this);
            }
            if (qHeads % kvHeads != 0) {
                throw new IllegalArgumentException("dims: qHeads must be a multiple of kvHeads, got " + qHeads + " and " + kvHeads);
            }
        }

        /** Elements of q (and of the output). */
        public long qSize() {
            return (long) batch * qHeads * qLen * headDim;
        }

        /** Elements of k (and of v). */
        public long kvSize() {
            return (long) batch * kvHeads * kLen * headDim;
        }
    }

    enum Pass {
        FORWARD, BACKWARD, DECODE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Forward FLOPs from a mask area (visible (query, key) pairs per head): {@code 4 * area * B * Hq * D}. */
    static double forwardFlops(double maskArea, Dims d) {
        return 4.0 * maskArea * d.batch() * d.qHeads() * d.headDim();
    }

    /** Bytes of k and v in fp32: what decode must stream from memory. */
    static double kvBytes(Dims d) {
        return 2.0 * d.kvSize() * Float.BYTES;
    }
}
