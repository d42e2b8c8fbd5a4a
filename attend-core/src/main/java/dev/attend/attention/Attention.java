package dev.attend.attention;

import dev.attend.attention.decode.DecodeAttention;
import dev.attend.tensor.DType;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The registry of mechanisms, and the entry point. Every mechanism is registered here, in one place, by its
 * {@link MechanismDescriptor}; {@link #of(String)} takes the spec syntax of the CLI's {@code --mechanism}:
 * a name, optionally followed by {@code :name=value,name=value}.
 * <pre>{@code
 * AttentionResult r = Attention.flash().forward(AttentionProblem.of(q, k, v, Masks.causal()));
 * AttentionMechanism m = Attention.of("decode-q8_0");          // or Attention.of("hyper", Map.of("block", 256))
 * }</pre>
 */
public final class Attention {
    private static final Map<String, MechanismDescriptor> REGISTRY = new LinkedHashMap<>();

    static {
        register(FlashAttention.DESCRIPTOR);
        register(ReferenceAttention.DESCRIPTOR);
        for (MechanismDescriptor d : DecodeAttention.DESCRIPTORS) register(d);
        register(dev.attend.attention.sparse.HyperAttention.DESCRIPTOR);
        register(dev.attend.attention.sparse.CcaAttention.DESCRIPTOR);
        register(dev.attend.attention.sparse.LandmarkAttention.DESCRIPTOR);
        register(dev.attend.attention.sparse.RoutingAttention.DESCRIPTOR);
        register(dev.attend.attention.sparse.SaleAttention.DESCRIPTOR);
        register(dev.attend.attention.sparse.MohAttention.DESCRIPTOR);
        register(dev.attend.attention.linear.PerformerAttention.DESCRIPTOR);
        register(dev.attend.attention.linear.CosformerAttention.DESCRIPTOR);
        register(dev.attend.attention.linear.LinearAttention.DESCRIPTOR);
        register(dev.attend.attention.linear.TaylorAttention.DESCRIPTOR);
        register(dev.attend.attention.linear.LocalAttention.DESCRIPTOR);
        register(dev.attend.attention.linear.NystromAttention.DESCRIPTOR);
        register(dev.attend.attention.linear.KeyPositionAttention.DESCRIPTOR);
        register(dev.attend.attention.linear.FixedMapAttention.DESCRIPTOR);
        register(dev.attend.attention.recsys.SdimAttention.DESCRIPTOR);
        register(dev.attend.attention.mixer.LongConvMixer.DESCRIPTOR);
        register(dev.attend.attention.mixer.S4dMixer.DESCRIPTOR);
        register(dev.attend.attention.mixer.FnetMixer.DESCRIPTOR);
    }

    private Attention() {}

    /** Tiled, SIMD, multi-threaded exact attention with a backward pass, and flash over data-chosen blocks. */
    public static FlashAttention flash() {
        return (FlashAttention) FlashAttention.DESCRIPTOR.create(Map.of());
    }

    /** The fp64-accumulating oracle: slow, exact, for tests and checks. */
    public static AttentionMechanism reference() {
        return ReferenceAttention.DESCRIPTOR.create(Map.of());
    }

    /** Split-K decoding over a KV cache stored as {@code format} (F32, BF16 or Q8_0). */
    public static DecodeAttention decode(DType format) {
        return DecodeAttention.of(format);
    }

    /**
     * The mechanism a spec names, e.g. {@code "flash"} or {@code "hyper:block=256,samples=256,seed=1"}.
     *
     * @throws IllegalArgumentException naming the mechanism and the parameter for an unknown name, an unknown
     *     parameter or a value out of range
     */
    public static AttentionMechanism of(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("mechanism: expected a name such as " + String.join(", ", names())
                    + ", got " + (spec == null ? "null" : "'" + spec + "'"));
        }
        int colon = spec.indexOf(':');
        String name = (colon < 0 ? spec : spec.substring(0, colon)).strip();
        MechanismDescriptor d = descriptor(name);
        Map<String, String> values = new LinkedHashMap<>();
        if (colon >= 0) {
            String rest = spec.substring(colon + 1);
            if (rest.isBlank()) throw new IllegalArgumentException("mechanism '" + name + "': expected name=value after ':', got nothing");
            for (String pair : rest.split(",", -1)) {
                int eq = pair.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("mechanism '" + name + "': expected name=value, got '" + pair.strip() + "'");
                }
                String k = pair.substring(0, eq).strip(), v = pair.substring(eq + 1).strip();
                if (k.isEmpty() || v.isEmpty()) {
                    throw new IllegalArgumentException("mechanism '" + name + "': expected name=value, got '" + pair.strip() + "'");
                }
                if (values.put(k, v) != null) {
                    throw new IllegalArgumentException("mechanism '" + name + "': parameter '" + k + "' given twice");
                }
            }
        }
        return d.create(values);
    }

    /** The mechanism {@code name} with parameters given as Java values (Integer, Long, Double, Boolean, String). */
    public static AttentionMechanism of(String name, Map<String, ?> params) {
        if (params == null) throw new IllegalArgumentException("params: expected a map (possibly empty), got null");
        return descriptor(name).create(params);
    }

    /** The descriptor registered under {@code name}. */
    public static synchronized MechanismDescriptor descriptor(String name) {
        MechanismDescriptor d = name == null ? null : REGISTRY.get(name.strip());
        if (d == null) {
            throw new IllegalArgumentException("mechanism: unknown name '" + name + "', expected one of " + String.join(", ", REGISTRY.keySet()));
        }
        return d;
    }

    /** Every registered descriptor, in registration order (a copy). */
    public static synchronized List<MechanismDescriptor> descriptors() {
        return List.copyOf(REGISTRY.values());
    }

    /** The registered names, in registration order (a copy: changing it changes nothing). */
    public static synchronized Set<String> names() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(REGISTRY.keySet()));
    }

    /** Adds a mechanism (Attend's own are registered above; a user may add theirs). A name is registered once. */
    public static synchronized void register(MechanismDescriptor d) {
        if (d == null) throw new IllegalArgumentException("descriptor: expected a MechanismDescriptor, got null");
        if (REGISTRY.putIfAbsent(d.name(), d) != null) {
            throw new IllegalArgumentException("mechanism '" + d.name() + "' is already registered");
        }
    }
}
