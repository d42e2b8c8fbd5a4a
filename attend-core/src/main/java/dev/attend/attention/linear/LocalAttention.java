package dev.attend.attention.linear;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Gradients;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.attention.Pattern;
import dev.attend.attention.RecurrentMechanism;
import dev.attend.attention.RecurrentState;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;

/**
 * Local (window) attention, CAB's "local" baseline: exact softmax attention restricted to a window, on the flash
 * kernel with a sliding mask, so it costs {@code O(L W D)} and keeps flash's log-sum-exp, score mods, GQA and backward.
 * Non-causal ({@code full}): query i sees keys with {@code |i - j| < W} ({@code sliding-bi:W}); causal
 * ({@code causal}, {@code causal-br}, the same at {@code Lq == Lk}): keys {@code i - W < j <= i} ({@code sliding:W}).
 * Self attention only (a window needs one sequence). Budget: {@code window}, exact at {@code W >= L}.
 *
 * <p>Decoding: {@link #newState} keeps the last W keys and values in a ring, {@code 2 W D} floats per head.
 */
public final class LocalAttention extends AttentionMechanism implements RecurrentMechanism {
    public static final String NAME = "local";

    public static final MechanismDescriptor DESCRIPTOR = MechanismDescriptor.builder(NAME, LocalAttention::new)
            .summary("Local attention (CAB): exact softmax inside a sliding window on the flash kernel, O(L W D)")
            .param(Param.ofInt("window", 256, 1, 1 << 30, "keys each side of a query (causal: the last W keys including its own); the budget, exact at W >= L"))
            .patterns(Pattern.NONCAUSAL_SELF, Pattern.CAUSAL_SELF)
            .masks(MaskSupport.listed("full", "causal", "causal-br"))
            .scoreMods(true).backward(true)
            .approximate("window", true)
            .recurrent()
            .build();

    private final int window;

    private LocalAttention(MechanismDescriptor d, Params p) {
        super(d, p);
        this.window = p.getInt("window");
    }

    private AttentionProblem windowed(AttentionProblem p) {
        boolean causal = !p.mask().kind().orElse("").equals("full");
        return p.withMask(causal ? Masks.slidingWindow(window) : Masks.slidingWindowBidirectional(window));
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        return Attention.flash().forward(windowed(p));
    }

    @Override
    protected Gradients computeBackward(AttentionProblem p, AttentionResult forward, Tensor dOut) {
        return Attention.flash().backward(windowed(p), forward, dOut);
    }

    /** Causal decoding of one head over the last {@code window} tokens: a ring of keys and values, an online softmax per step. */
    @Override
    public RecurrentState newState(int d, float scale, int horizon) {
        if (d < 1 || d > AttentionProblem.MAX_HEAD_DIM) {
            throw new IllegalArgumentException("d: expected a head dimension in [1, " + AttentionProblem.MAX_HEAD_DIM + "], got " + d);
        }
        int w = window;
        return new RecurrentState() {
            final float[] keys = new float[Math.multiplyExact(w, d)], values = new float[w * d], score = new float[w];
            long tokens;

            @Override
            public void step(float[] q, float[] k, float[] v, float[] out) {
                int slot = (int) (tokens++ % w), n = (int) Math.min(tokens, w);
                System.arraycopy(k, 0, keys, slot * d, d);
                System.arraycopy(v, 0, values, slot * d, d);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    score[j] = scale * LinearKernel.dot(q, 0, keys, j * d, d);
                    max = Math.max(max, score[j]);
                }
                java.util.Arrays.fill(out, 0, d, 0f);
                float sum = 0f;
                for (int j = 0; j < n; j++) {
                    float e = (float) Math.exp(score[j] - max);
                    sum += e;
                    LinearKernel.axpy(e, values, j * d, out, 0, d);
                }
                for (int x = 0; x < d; x++) out[x] /= sum;
            }

            @Override
            public long tokens() {
                return tokens;
            }

            @Override
            public long stateFloats() {
                return 2L * w * d;
            }
        };
    }
}
