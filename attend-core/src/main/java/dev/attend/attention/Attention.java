package dev.attend.attention;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The entry point: mechanisms by name. Every mechanism registers here, in one place.
 * <pre>{@code
 * AttentionResult r = Attention.flash().forward(AttentionProblem.of(q, k, v, Mask.causal()));
 * }</pre>
 */
public final class Attention {
    private static final Map<String, Supplier<AttentionMechanism>> REGISTRY = new LinkedHashMap<>();

    static {
        REGISTRY.put(FlashAttention.NAME, FlashAttention::new);
        REGISTRY.put(ReferenceAttention.NAME, ReferenceAttention::new);
    }

    private Attention() {}

    /** Tiled, SIMD, multi-threaded exact attention with a backward pass. */
    public static AttentionMechanism flash() {
        return new FlashAttention();
    }

    /** The fp64-accumulating oracle: slow, exact, for tests and checks. */
    public static AttentionMechanism reference() {
        return new ReferenceAttention();
    }

    /** The mechanism registered under {@code name}. */
    public static AttentionMechanism of(String name) {
        Supplier<AttentionMechanism> s = REGISTRY.get(name);
        if (s == null) {
            throw new IllegalArgumentException("mechanism: unknown name '" + name + "', expected one of " + REGISTRY.keySet());
        }
        return s.get();
    }

    /** The registered names, in registration order. */
    public static Set<String> names() {
        return REGISTRY.keySet();
    }
}
