package dev.attend.attention.mask;

/**
 * How a {@link Slice} fills its rectangle. With local coordinates {@code i = q - qStart},
 * {@code j = k - kStart} in a slice of {@code qLen x kLen}:
 * <ul>
 *   <li>{@link #FULL}: every {@code (i, j)};</li>
 *   <li>{@link #CAUSAL}: bottom-right aligned causal, {@code j <= i + (kLen - qLen)};</li>
 *   <li>{@link #INVCAUSAL}: {@code j >= i};</li>
 *   <li>{@link #BICAUSAL}: both, a band of constant width {@code kLen - qLen + 1}.</li>
 * </ul>
 * Each type gives at most one interval of keys per query row (the MagiAttention / LongCA form).
 */
public enum SliceType { FULL, CAUSAL, INVCAUSAL, BICAUSAL }
