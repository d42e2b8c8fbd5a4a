package dev.attend.peers;

import dev.attend.attention.AttentionProblem;
import dev.attend.attention.Support;
import dev.attend.attention.Workload;

/**
 * One other implementation of attention that {@link PeerMain} validates and times on Attend's workloads: it says
 * whether it can express a workload, then turns a problem into a {@link Prepared} call whose inputs already live
 * in the peer's own tensors, so that only the attention call is timed. One class per peer; each peer runs in its
 * own JVM (Jlama's static initializer changes Vector API settings for the whole JVM, the native ones load large
 * libraries).
 */
interface PeerRunner {
    /** The name in the request: {@code onnx}, {@code libtorch}, {@code jlama}. */
    String name();

    /**
     * Whether this peer can compute {@code w} faithfully (mask, pass, shape); the reason names what it cannot do.
     * Called before anything is loaded, and again at the validation size.
     */
    Support support(Workload w);

    /**
     * Loads the peer's runtime once per JVM, with {@code threads} intra-op threads and one inter-op thread, before
     * any Attend code computes (Jlama's settings must come first to take effect).
     */
    void load(int threads) throws Exception;

    /**
     * Copies the inputs of {@code p}, the problem of {@code w} at the lengths being run, into the peer's tensors
     * and readies the call (for ONNX Runtime: the model written and the session created).
     */
    Prepared prepare(Workload w, AttentionProblem p, int threads) throws Exception;

    /** A ready attention call over fixed inputs. */
    interface Prepared extends AutoCloseable {
        /** What runs, e.g. {@code "com.microsoft.MultiHeadAttention (fused flash kernel)"}. */
        String variant();

        /** The attention call: the only code inside the timer. */
        void run() throws Exception;

        /** Frees what {@link #run} produced (result tensors), outside the timer. */
        default void release() throws Exception {}

        /**
         * The output of the last {@link #run} as {@code [B, Hq, Lq, D]} row-major (called before {@link #release}).
         */
        float[] output() throws Exception;

        @Override
        void close() throws Exception;
    }
}
