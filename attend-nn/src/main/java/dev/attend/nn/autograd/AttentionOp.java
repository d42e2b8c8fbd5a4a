package dev.attend.nn.autograd;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.tensor.Tensor;

import java.util.stream.Collectors;

/**
 * Attention as one autograd op: {@code q [B, Hq, Lq, D]}, {@code k, v [B, Hkv, Lk, D]} (any views, e.g. heads
 * permuted out of {@code [B, L, H, D]}) through any registered mechanism's {@code forward}, and its
 * {@code backward} for the gradients. The op keeps the problem and the forward result (output and log-sum-exp),
 * never an {@code L x L} matrix; what the mechanism itself allocates is its business (flash keeps tiles).
 *
 * <p>A mechanism without a backward pass is refused when gradients would be needed (it still runs under
 * {@link Var#noGrad()}), with the list of mechanisms that have one.
 */
public final class AttentionOp {
    private AttentionOp() {}

    /** Flash attention with scale {@code 1/sqrt(D)}. */
    public static Var attention(Var q, Var k, Var v, Mask mask) {
        return attention(q, k, v, Attention.flash(), mask, (float) (1.0 / Math.sqrt(q.dim(3))));
    }

    public static Var attention(Var q, Var k, Var v, AttentionMechanism mechanism, Mask mask, float scale) {
        boolean training = Var.gradEnabled() && (q.requiresGrad() || k.requiresGrad() || v.requiresGrad());
        if (training && !mechanism.supportsBackward()) {
            String usable = Attention.descriptors().stream().filter(d -> d.capabilities().backward())
                    .map(MechanismDescriptor::name).collect(Collectors.joining(", "));
            throw new IllegalArgumentException("attention: mechanism '" + mechanism.spec() + "' has no backward pass, so it cannot be "
                    + "trained through; use one that has (" + usable + "), or run it under Var.noGrad() for inference");
        }
        AttentionProblem problem = new AttentionProblem(q.value(), k.value(), v.value(), mask, ScoreMod.NONE, scale);
        AttentionResult result = mechanism.forward(problem);
        return Var.of("attention:" + mechanism.spec(), result.out(), g -> {
            Tensor dOut = Buf.wrap(g, q.shape());
            Gradients grads = mechanism.backward(problem, result, dOut);
            if (q.requiresGrad()) Buf.addInto(q.gradData(), Buf.data(grads.dq()));
            if (k.requiresGrad()) Buf.addInto(k.gradData(), Buf.data(grads.dk()));
            if (v.requiresGrad()) Buf.addInto(v.gradData(), Buf.data(grads.dv()));
        }, q, k, v);
    }
}
