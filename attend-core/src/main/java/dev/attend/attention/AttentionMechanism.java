package dev.attend.attention;

import dev.attend.tensor.Tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * A way to compute attention, configured by its {@link Params}. Exact mechanisms return the softmax
 * attention of the problem up to float rounding; approximate ones say in their Javadoc what they
 * approximate and how the error is bounded. Instances come from {@link Attention#of}.
 *
 * <p>{@link #forward} and {@link #backward} check the problem against the descriptor's capabilities and
 * {@link #check} before any work starts, so an unsupported problem gets an IllegalArgumentException that
 * names the mechanism and the capability; subclasses implement {@link #compute} (and
 * {@link #computeBackward} when they declare a backward pass) on inputs they can trust.
 */
public abstract class AttentionMechanism {
    private final MechanismDescriptor descriptor;
    private final Params params;

    protected AttentionMechanism(MechanismDescriptor descriptor, Params params) {
        this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
        this.params = Objects.requireNonNull(params, "params");
    }

    /** The registry name, as used by {@link Attention#of(String)} and the CLI's {@code --mechanism}. */
    public final String name() {
        return descriptor.name();
    }

    public final MechanismDescriptor descriptor() {
        return descriptor;
    }

    public final Params params() {
        return params;
    }

    /**
     * The spec that {@link Attention#of(String)} turns back into this configuration: the name and the parameters
     * that differ from their defaults, {@code "flash"} or {@code "flash:blockQ=64"}. {@link #params()} has them all.
     */
    public final String spec() {
        String p = params.nonDefaults();
        return p.isEmpty() ? name() : name() + ":" + p;
    }

    /** Whether {@link #backward} is available. */
    public final boolean supportsBackward() {
        return descriptor.capabilities().backward();
    }

    /** Whether this mechanism can compute {@code problem}, and if not, why (without doing any work). */
    public final Support supports(AttentionProblem problem) {
        if (problem == null) return Support.no("mechanism '" + name() + "': problem must be non-null");
        String r = descriptor.capabilities().refusal(problem);
        if (r != null) return Support.no("mechanism '" + spec() + "' does not support this problem: " + r);
        Support s = check(problem);
        return s.supported() ? s : Support.no("mechanism '" + spec() + "' does not support this problem: " + s.reason());
    }

    /** Mechanism-specific limits beyond the declared capabilities (e.g. a head dimension); the default accepts. */
    protected Support check(AttentionProblem problem) {
        return Support.YES;
    }

    /** Computes {@code out} and (for softmax attention) {@code lse}. */
    public final AttentionResult forward(AttentionProblem problem) {
        require(problem);
        return compute(problem);
    }

    /**
     * Gradients of {@code sum(dOut * out)} with respect to q, k and v, given the {@code forward} result of the
     * same problem (its output and LSE are reused, not recomputed).
     */
    public final Gradients backward(AttentionProblem problem, AttentionResult forward, Tensor dOut) {
        if (!supportsBackward()) {
            throw new IllegalArgumentException("mechanism '" + name() + "' has no backward pass: use one whose descriptor declares it, e.g. flash");
        }
        require(problem);
        checkBackwardInputs(problem, forward, dOut);
        return computeBackward(problem, forward, dOut);
    }

    protected abstract AttentionResult compute(AttentionProblem problem);

    /** Called only when the descriptor declares a backward pass. */
    protected Gradients computeBackward(AttentionProblem problem, AttentionResult forward, Tensor dOut) {
        throw new IllegalStateException("mechanism '" + name() + "' declares a backward pass but does not implement computeBackward");
    }

    /** Throws the reason when {@code problem} is not supported. */
    protected final void require(AttentionProblem problem) {
        if (problem == null) throw new IllegalArgumentException("problem: expected an AttentionProblem, got null");
        Support s = supports(problem);
        if (!s.supported()) throw new IllegalArgumentException(s.reason());
    }

    static void checkBackwardInputs(AttentionProblem p, AttentionResult fwd, Tensor dOut) {
        if (dOut == null) throw new IllegalArgumentException("dOut: expected a tensor shaped like q, got null");
        if (!Arrays.equals(dOut.shape(), p.q().shape())) {
            throw new IllegalArgumentException("dOut: expected shape " + Arrays.toString(p.q().shape())
                    + " (the shape of q), got " + Arrays.toString(dOut.shape()));
        }
        long[] lseShape = {p.batch(), p.hq(), p.lq()};
        // A mechanism that computes no log-sum-exp (kernel attention) hands back a result without one.
        if (fwd == null || !Arrays.equals(fwd.out().shape(), p.q().shape())
                || (fwd.hasLse() && !Arrays.equals(fwd.lse().shape(), lseShape))) {
            throw new IllegalArgumentException("forward: expected the forward result of this problem (out "
                    + Arrays.toString(p.q().shape()) + ", lse " + Arrays.toString(lseShape) + "), got "
                    + (fwd == null ? "null" : "out " + Arrays.toString(fwd.out().shape())
                    + (fwd.hasLse() ? ", lse " + Arrays.toString(fwd.lse().shape()) : ", no lse")));
        }
    }

    @Override
    public String toString() {
        return spec();
    }
}
