package dev.attend.attention;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Everything Attend knows about a mechanism before it runs: its registry name, a one-line summary, its
 * typed hyperparameters, its {@link Capabilities}, whether it is exact (softmax attention up to float
 * rounding) or approximate and then which parameter moves it towards exact ({@link Budget}), and whether it
 * is seeded (same seed, inputs and thread count give bit-identical output). Registered once with
 * {@link Attention#register}; the CLI's listings, the benchmark grid and the README tables read it.
 */
public final class MechanismDescriptor {

    /**
     * The parameter that trades speed for fidelity: the mechanism approaches exact attention as it grows (or shrinks);
     * {@code exactAtEnd}: it is exact at the end of the parameter's range (a window as long as the sequence), not only
     * closer (random features, landmarks of an iterative inverse).
     */
    public record Budget(String param, boolean higherIsMoreExact, boolean exactAtEnd) {}

    /** Builds an instance from its descriptor and validated parameters. */
    @FunctionalInterface
    public interface Factory {
        AttentionMechanism create(MechanismDescriptor descriptor, Params params);
    }

    private final String name, summary;
    private final List<Param> params;
    private final Capabilities capabilities;
    private final boolean exact, seeded, oracle;
    private final Budget budget;
    private final Factory factory;

    private MechanismDescriptor(Builder b) {
        this.name = b.name;
        this.summary = b.summary;
        this.params = List.copyOf(b.params.values());
        this.capabilities = new Capabilities(b.patterns, b.masks, b.scoreMods, b.gqa, b.backward, b.decode, b.recurrent);
        this.exact = b.exact;
        this.seeded = b.seeded;
        this.oracle = b.oracle;
        this.budget = b.budget;
        this.factory = b.factory;
    }

    public static Builder builder(String name, Factory factory) {
        return new Builder(name, factory);
    }

    public String name() { return name; }
    public String summary() { return summary; }
    public List<Param> params() { return params; }
    public Capabilities capabilities() { return capabilities; }
    /** True when the mechanism computes softmax attention up to float rounding. */
    public boolean isExact() { return exact; }
    /** True when a seed parameter fixes its randomness: same seed, inputs and threads give bit-identical output. */
    public boolean isSeeded() { return seeded; }
    /** True for a check rather than a contender (the fp64 reference): the bench times it only at its smallest sizes. */
    public boolean isOracle() { return oracle; }
    /** For an approximate mechanism, the parameter that moves it towards exact; empty for exact ones or when none does. */
    public Optional<Budget> budget() { return Optional.ofNullable(budget); }

    /** The parameter called {@code name}, if any. */
    public Optional<Param> param(String name) {
        return params.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** An instance with the given parameters (Java values or text); defaults fill the rest. */
    public AttentionMechanism create(Map<String, ?> values) {
        Objects.requireNonNull(values, "params");
        AttentionMechanism m = factory.create(this, Params.of(name, params, values));
        if (m == null || m.descriptor() != this) {
            throw new IllegalStateException("mechanism '" + name + "': its factory must return an instance of this descriptor");
        }
        return m;
    }

    @Override
    public String toString() {
        return name;
    }

    /** Fluent construction; {@link #build()} checks the declaration is consistent. */
    public static final class Builder {
        private final String name;
        private final Factory factory;
        private String summary;
        private final Map<String, Param> params = new LinkedHashMap<>();
        private Set<Pattern> patterns = Pattern.ALL;
        private MaskSupport masks = MaskSupport.ANY;
        private boolean scoreMods, gqa = true, backward, decode, recurrent, exact = true, seeded, oracle;
        private Budget budget;

        private Builder(String name, Factory factory) {
            if (name == null || !name.matches("[a-z][a-z0-9_]*(-[a-z0-9_]+)*")) {
                throw new IllegalArgumentException("mechanism name: expected lower-case words joined by '-', got '" + name + "'");
            }
            this.name = name;
            this.factory = Objects.requireNonNull(factory, "factory");
        }

        /** One line: what it computes. */
        public Builder summary(String s) { summary = s; return this; }

        public Builder param(Param p) {
            if (params.putIfAbsent(p.name(), p) != null) throw new IllegalArgumentException("mechanism '" + name + "': parameter '" + p.name() + "' declared twice");
            return this;
        }

        public Builder patterns(Pattern... ps) { patterns = EnumSet.copyOf(List.of(ps)); return this; }
        public Builder masks(MaskSupport m) { masks = m; return this; }
        public Builder scoreMods(boolean b) { scoreMods = b; return this; }
        public Builder gqa(boolean b) { gqa = b; return this; }
        public Builder backward(boolean b) { backward = b; return this; }
        public Builder decode(boolean b) { decode = b; return this; }
        /** The mechanism implements {@link RecurrentMechanism}. */
        public Builder recurrent() { recurrent = true; return this; }
        /** A check, not a contender (the benchmark times it only at its smallest sizes). */
        public Builder oracle() { oracle = true; return this; }

        /** Approximate, with {@code param} as the budget ({@code higherIsMoreExact}: raising it moves towards exact), exact at its end. */
        public Builder approximate(String param, boolean higherIsMoreExact) {
            return approximate(param, higherIsMoreExact, true);
        }

        /** Approximate, with {@code param} as the budget; {@code exactAtEnd}: exact at the end of its range, not only closer. */
        public Builder approximate(String param, boolean higherIsMoreExact, boolean exactAtEnd) {
            exact = false;
            budget = new Budget(param, higherIsMoreExact, exactAtEnd);
            return this;
        }

        /** Approximate with no single parameter that moves it towards exact (e.g. linear attention). */
        public Builder approximate() {
            exact = false;
            budget = null;
            return this;
        }

        /** Seeded by the named parameter (which must be declared, of type LONG or INT). */
        public Builder seeded(String seedParam) {
            Param p = params.get(seedParam);
            if (p == null || (p.type() != Param.Type.LONG && p.type() != Param.Type.INT)) {
                throw new IllegalArgumentException("mechanism '" + name + "': seed parameter '" + seedParam + "' must be declared first, as an integer");
            }
            seeded = true;
            return this;
        }

        public MechanismDescriptor build() {
            if (summary == null || summary.isBlank()) throw new IllegalArgumentException("mechanism '" + name + "': summary must be non-blank");
            if (budget != null) {
                Param p = params.get(budget.param());
                if (p == null || p.type() == Param.Type.BOOLEAN || p.type() == Param.Type.CHOICE) {
                    throw new IllegalArgumentException("mechanism '" + name + "': budget '" + budget.param() + "' must be a declared numeric parameter");
                }
            }
            return new MechanismDescriptor(this);
        }
    }

    /** For listings: {@code "name=default"} of every parameter. */
    public List<String> defaults() {
        List<String> out = new ArrayList<>();
        for (Param p : params) out.add(p.name() + "=" + p.format(p.defaultValue()));
        return out;
    }
}
