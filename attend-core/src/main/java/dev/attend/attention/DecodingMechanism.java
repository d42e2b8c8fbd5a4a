package dev.attend.attention;

import dev.attend.attention.decode.CacheSelection;
import dev.attend.attention.decode.KvCache;
import dev.attend.tensor.Tensor;

/**
 * A mechanism that decodes: a few new queries against a {@link KvCache} it knows how to read. Its
 * descriptor declares {@code decode}; {@link AttentionMechanism#forward} on a whole problem builds a cache
 * from k and v and decodes over it, while a serving loop keeps the cache and calls {@link #attend}.
 */
public interface DecodingMechanism {
    /** An empty cache in the layout this mechanism reads, growing from {@code capacity} tokens. */
    KvCache newCache(int batch, int kvHeads, int headDim, int capacity);

    /** Bytes one decode step must read from a cache of {@code tokens} tokens (its roofline). */
    long stepBytes(int batch, int kvHeads, int tokens, int headDim);

    /** Attention of {@code q [B, Hq, Lq, D]} (the last Lq positions, bottom-right causal) over the cache, scale {@code 1/sqrt(D)}. */
    AttentionResult attend(Tensor q, KvCache cache);

    /** {@link #attend(Tensor, KvCache)} with an explicit scale. */
    AttentionResult attend(Tensor q, KvCache cache, float scale);

    /**
     * Attention over the tokens {@code keys} selects (a window, sinks and a window, or explicit lists per (batch, kv
     * head)), each sequence at its own length; cost follows the tokens read.
     */
    AttentionResult attend(Tensor q, KvCache cache, CacheSelection keys);

    /** {@link #attend(Tensor, KvCache, CacheSelection)} with an explicit scale. */
    AttentionResult attend(Tensor q, KvCache cache, float scale, CacheSelection keys);
}
