package dev.attend.attention;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The validated hyperparameter values of one mechanism instance, one per {@link Param} of its descriptor
 * (defaults filled in), in the descriptor's order. Immutable. {@link #toString()} is the spec text
 * ({@code "block=256,samples=256"}) that parses back to equal values.
 */
public final class Params {
    private final String mechanism;
    private final List<Param> params;
    private final Map<String, Object> values;

    private Params(String mechanism, List<Param> params, Map<String, Object> values) {
        this.mechanism = mechanism;
        this.params = List.copyOf(params);
        this.values = Collections.unmodifiableMap(values);
    }

    /** Defaults overridden by {@code given} (values as Java objects or text); unknown names are refused. */
    static Params of(String mechanism, List<Param> params, Map<String, ?> given) {
        Map<String, Param> byName = new LinkedHashMap<>();
        for (Param p : params) byName.put(p.name(), p);
        for (String k : given.keySet()) {
            if (!byName.containsKey(k)) {
                throw new IllegalArgumentException("mechanism '" + mechanism + "': unknown parameter '" + k + "', expected "
                        + (params.isEmpty() ? "none (it takes no parameters)" : "one of " + String.join(", ", byName.keySet())));
            }
        }
        Map<String, Object> v = new LinkedHashMap<>();
        for (Param p : params) v.put(p.name(), given.containsKey(p.name()) ? p.convert(mechanism, given.get(p.name())) : p.defaultValue());
        return new Params(mechanism, params, v);
    }

    public int getInt(String name) {
        return (Integer) get(name, Param.Type.INT);
    }

    public long getLong(String name) {
        return (Long) get(name, Param.Type.LONG);
    }

    public double getDouble(String name) {
        return (Double) get(name, Param.Type.DOUBLE);
    }

    public boolean getBoolean(String name) {
        return (Boolean) get(name, Param.Type.BOOLEAN);
    }

    /** The value of a {@link Param.Type#CHOICE} parameter. */
    public String getChoice(String name) {
        return (String) get(name, Param.Type.CHOICE);
    }

    /** Every value by name, in the descriptor's order (unmodifiable). */
    public Map<String, Object> asMap() {
        return values;
    }

    private Object get(String name, Param.Type type) {
        Object v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("mechanism '" + mechanism + "': no parameter '" + name + "', it has "
                    + (values.isEmpty() ? "none" : String.join(", ", values.keySet())));
        }
        boolean ok = switch (type) {
            case INT -> v instanceof Integer;
            case LONG -> v instanceof Long;
            case DOUBLE -> v instanceof Double;
            case BOOLEAN -> v instanceof Boolean;
            case CHOICE -> v instanceof String;
        };
        if (!ok) {
            throw new IllegalArgumentException("mechanism '" + mechanism + "': parameter '" + name + "' is not of type " + type);
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Params p && p.mechanism.equals(mechanism) && p.values.equals(values);
    }

    @Override
    public int hashCode() {
        return mechanism.hashCode() * 31 + values.hashCode();
    }

    /** {@code name=value} of the parameters whose value is not the default, joined by commas, in the descriptor's order. */
    public String nonDefaults() {
        return params.stream().filter(p -> !p.defaultValue().equals(values.get(p.name())))
                .map(p -> p.name() + "=" + p.format(values.get(p.name()))).collect(Collectors.joining(","));
    }

    /** {@code name=value} pairs joined by commas, in the descriptor's order; empty when there are none. */
    @Override
    public String toString() {
        return params.stream().map(p -> p.name() + "=" + p.format(values.get(p.name()))).collect(Collectors.joining(","));
    }
}
