package dev.attend.attention.mask;

/**
 * FlexAttention's {@code mask_mod}: whether query {@code qi} may attend to key {@code ki} in batch
 * {@code b}, head {@code h}. Wrap it with {@link Mask#predicate(String, MaskMod, Mask.Dependence)}
 * to use it; the block structure is derived by evaluating it on every (q, k) pair.
 */
@FunctionalInterface
public interface MaskMod {
    boolean visible(int b, int h, int qi, int ki);
}
