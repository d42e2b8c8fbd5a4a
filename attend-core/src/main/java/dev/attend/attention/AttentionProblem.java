package dev.attend.attention;

import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.tensor.Tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * One attention call: {@code q [B, Hq, Lq, D]}, {@code k, v [B, Hkv, Lk, D]} with {@code Hq % Hkv == 0}
 * (MHA, GQA, MQA), a mask, a score modifier applied to the scaled score, and the scale (default
 * {@code 1/sqrt(D)}). Tensors may be any views (e.g. {@code [B, L, H, D]} permuted to {@code [B, H, L, D]}).
 * The constructor checks every shape, and that the mask fits the lengths, and names what it expected and
 * what it got, so kernels can trust their inputs. Useful FLOPs: {@link Cost#forwardFlops}.
 *
 * <p>Non-finite inputs: kernels propagate a NaN or infinity only into the rows that see it (a masked key never
 * influences a row); {@link #requireFinite()} checks on request. Scores that overflow float32 from finite
 * inputs are refused with the row named.
 */
public record AttentionProblem(Tensor q, Tensor k, Tensor v, Mask mask, ScoreMod scoreMod, float scale) {
    /** Largest head dimension the kernels accept (their tile buffers grow with it). */
    public static final int MAX_HEAD_DIM = 1024;

    public AttentionProblem {
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(k, "k");
        Objects.requireNonNull(v, "v");
        Objects.requireNonNull(mask, "mask");
        Objects.requireNonNull(scoreMod, "scoreMod");
        rank4("q", q);
        rank4("k", k);
        rank4("v", v);
        if (!Arrays.equals(k.shape(), v.shape())) {
            throw new IllegalArgumentException("v: expected the shape of k " + Arrays.toString(k.shape())
                    + ", got " + Arrays.toString(v.shape()));
        }
        if (q.dim(0) != k.dim(0)) {
            throw new IllegalArgumentException("k: expected batch " + q.dim(0) + " (the batch of q), got " + k.dim(0));
        }
        if (q.dim(3) != k.dim(3)) {
            throw new IllegalArgumentException("k: expected head dim " + q.dim(3) + " (the head dim of q), got " + k.dim(3));
        }
        if (q.dim(1) % k.dim(1) != 0) {
            throw new IllegalArgumentException("k: query heads " + q.dim(1) + " must be a multiple of key/value heads, got "
                    + k.dim(1) + " key/value heads");
        }
        if (q.dim(3) > MAX_HEAD_DIM) {
            throw new IllegalArgumentException("q: head dim must be at most " + MAX_HEAD_DIM + ", got " + q.dim(3));
        }
        scoreMod.validate((int) q.dim(0), (int) q.dim(1), (int) q.dim(2), (int) k.dim(2));
        mask.validate((int) q.dim(0), (int) q.dim(1), (int) q.dim(2), (int) k.dim(2));
        if (!Float.isFinite(scale) || scale == 0f) {
            throw new IllegalArgumentException("scale: expected a finite non-zero number, got " + scale);
        }
    }

    private static void rank4(String name, Tensor t) {
        long[] s = t.shape();
        if (s.length != 4) {
            throw new IllegalArgumentException(name + ": expected 4 dimensions [B, H, L, D], got " + s.length
                    + " " + Arrays.toString(s));
        }
        String[] dims = {"B", "H", "L", "D"};
        for (int i = 0; i < 4; i++) {
            if (s[i] < 1) {
                throw new IllegalArgumentException(name + ": dimension " + dims[i] + " must be at least 1, got "
                        + s[i] + " in " + Arrays.toString(s));
            }
            if (s[i] > Integer.MAX_VALUE - 64) {
                throw new IllegalArgumentException(name + ": dimension " + dims[i] + " too large: " + s[i]);
            }
        }
    }

    /** Attention with the default scale {@code 1/sqrt(D)} and no score modifier. */
    public static AttentionProblem of(Tensor q, Tensor k, Tensor v, Mask mask) {
        Objects.requireNonNull(q, "q");
        rank4("q", q);
        return new AttentionProblem(q, k, v, mask, ScoreMod.NONE, (float) (1.0 / Math.sqrt(q.dim(3))));
    }

    public AttentionProblem withScale(float s) {
        return new AttentionProblem(q, k, v, mask, scoreMod, s);
    }

    public AttentionProblem withScoreMod(ScoreMod mod) {
        return new AttentionProblem(q, k, v, mask, mod, scale);
    }

    public AttentionProblem withMask(Mask m) {
        return new AttentionProblem(q, k, v, m, scoreMod, scale);
    }

    /**
     * Checks that q, k and v hold no NaN and no infinity, naming the first bad element (one pass over the inputs).
     * Without this check the kernels propagate a non-finite input only into the rows that see it.
     */
    public AttentionProblem requireFinite() {
        for (Object[] t : new Object[][] {{"q", q}, {"k", k}, {"v", v}}) {
            long[] at = ((Tensor) t[1]).firstNonFinite();
            if (at != null) {
                throw new IllegalArgumentException(t[0] + ": element " + Arrays.toString(at) + " is " + ((Tensor) t[1]).get(at)
                        + ", expected finite inputs");
            }
        }
        return this;
    }

    /**
     * The keys batch entry {@code b}'s first query sees, counted from key 0: {@code lk} under {@code full}, its length
     * under {@code padding}. For the mechanisms whose masks give every row one key prefix (a padded batch); {@code O(n)}
     * mask tests.
     */
    public int validKeys(int b) {
        int n = 0;
        while (n < lk() && mask.visible(b, 0, 0, n, lq(), lk())) n++;
        return n;
    }

    public int batch() { return (int) q.dim(0); }
    public int hq() { return (int) q.dim(1); }
    public int hkv() { return (int) k.dim(1); }
    public int lq() { return (int) q.dim(2); }
    public int lk() { return (int) k.dim(2); }
    public int headDim() { return (int) q.dim(3); }
}
