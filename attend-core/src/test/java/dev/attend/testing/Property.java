package dev.attend.testing;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.opentest4j.TestAbortedException;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A small property-based testing harness on JUnit 5: a property is a check over named, randomly generated
 * parameters, run for a number of tries, each try one {@link DynamicTest} of a {@code @TestFactory}.
 *
 * <pre>{@code
 * @TestFactory
 * Stream<DynamicTest> sumIsCommutative() {
 *     return Property.named("sum is commutative").tries(200)
 *             .ints("a", -1000, 1000).ints("b", -1000, 1000)
 *             .check(p -> assertEquals(p.i("a") + p.i("b"), p.i("b") + p.i("a")));
 * }
 * }</pre>
 *
 * <p>Seeds: try 1 draws its parameters from {@code new Random(seed)}, try k from a seed mixed from the base seed
 * and k. The base seed is random per run (so runs explore new cases), unless the system property
 * {@value #SEED_PROPERTY} (e.g. {@code -Dattend.property.seed=1234}) or {@link #seed(long)} fixes it. A failure
 * message names the seed of the failing try: passing it as {@value #SEED_PROPERTY} replays that case as try 1.
 *
 * <p>Shrinking: when a try fails, the harness shrinks one parameter at a time with its {@link Gen#shrink}
 * candidates (ints and longs towards the value of their range nearest zero, i.e. the minimum of a non-negative
 * range, by halving the distance), keeps any candidate for which the check still fails (any exception or error
 * counts as failing, an assumption that aborts does not), and repeats until no candidate of any parameter fails,
 * or after {@value #MAX_SHRINK_RUNS} runs. The test then fails with a message that shows the original and the
 * shrunk parameters, the seed, and the shrunk case's error, which is also the cause. Tries after a failing one
 * are skipped (aborted): one shrunk counterexample per run is what to look at.
 */
public final class Property {
    /** System property that fixes the base seed, e.g. to replay a failure. */
    public static final String SEED_PROPERTY = "attend.property.seed";
    /** Upper bound on the runs of the check while shrinking one failure. */
    public static final int MAX_SHRINK_RUNS = 2000;

    private final String name;
    private int tries = 100;
    private Long fixedSeed;
    private final List<String> names = new ArrayList<>();
    private final List<Gen<?>> gens = new ArrayList<>();

    private Property(String name) {
        this.name = name;
    }

    /** A property with the given description (it heads the failure message). */
    public static Property named(String name) {
        return new Property(name);
    }

    /** How many tries (default 100). */
    public Property tries(int n) {
        if (n < 1) throw new IllegalArgumentException("tries: expected >= 1, got " + n);
        tries = n;
        return this;
    }

    /** Fixes the base seed (the system property {@value #SEED_PROPERTY} still wins). */
    public Property seed(long seed) {
        fixedSeed = seed;
        return this;
    }

    /** Adds a parameter drawn from {@code gen}. */
    public <T> Property param(String paramName, Gen<T> gen) {
        if (names.contains(paramName)) throw new IllegalArgumentException("param: duplicate name '" + paramName + "'");
        names.add(paramName);
        gens.add(gen);
        return this;
    }

    /** An int parameter in {@code [min, max]}. */
    public Property ints(String paramName, int min, int max) {
        return param(paramName, Gen.ints(min, max));
    }

    /** A long parameter in {@code [min, max]}. */
    public Property longs(String paramName, long min, long max) {
        return param(paramName, Gen.longs(min, max));
    }

    /** A double parameter in {@code [min, max]}. */
    public Property doubles(String paramName, double min, double max) {
        return param(paramName, Gen.doubles(min, max));
    }

    /** The check of one case; it fails by throwing (an assertion error or any other exception). */
    @FunctionalInterface
    public interface Check {
        void check(Params p) throws Throwable;
    }

    /** The parameter values of one case, by name. */
    public static final class Params {
        private final List<String> names;
        private final List<Object> values;

        Params(List<String> names, List<Object> values) {
            this.names = names;
            this.values = values;
        }

        /** The value of parameter {@code name}, of the type its generator makes. */
        @SuppressWarnings("unchecked")
        public <T> T get(String name) {
            int i = names.indexOf(name);
            if (i < 0) throw new IllegalArgumentException("no parameter '" + name + "', the parameters are " + names);
            return (T) values.get(i);
        }

        public int i(String name) { return this.<Integer>get(name); }
        public long l(String name) { return this.<Long>get(name); }
        public double d(String name) { return this.<Double>get(name); }
        public float f(String name) { return this.<Float>get(name); }
    }

    /** The tries as dynamic tests, for a {@code @TestFactory}; they run (lazily) in order. */
    public Stream<DynamicTest> check(Check check) {
        if (names.isEmpty()) throw new IllegalStateException("property '" + name + "' has no parameters");
        long base = baseSeed();
        String[] firstFailure = {null};
        return IntStream.range(0, tries).mapToObj(k -> {
            long seed = k == 0 ? base : mix(base, k);
            List<Object> values = generate(new Random(seed));
            return DynamicTest.dynamicTest("try " + (k + 1) + ": " + show(values), () -> {
                Assumptions.assumeTrue(firstFailure[0] == null, () -> "skipped: " + firstFailure[0] + " failed already");
                Throwable t = run(check, values);
                if (t == null) return;
                if (t instanceof TestAbortedException aborted) throw aborted;
                firstFailure[0] = "try " + (k + 1);
                throw shrinkAndReport(check, k, seed, values, t);
            });
        });
    }

    private long baseSeed() {
        String s = System.getProperty(SEED_PROPERTY);
        if (s != null && !s.isBlank()) {
            try {
                return Long.decode(s.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(SEED_PROPERTY + ": expected a long, got '" + s + "'", e);
            }
        }
        return fixedSeed != null ? fixedSeed : ThreadLocalRandom.current().nextLong();
    }

    /** The seed of try k (k >= 1): SplitMix64 of the base seed and k, so neighbouring tries are unrelated. */
    static long mix(long base, long k) {
        long z = base + k * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private List<Object> generate(Random r) {
        List<Object> values = new ArrayList<>(gens.size());
        for (Gen<?> g : gens) values.add(g.generate(r));
        return values;
    }

    /** The failure of one case, or null when it passes. */
    private Throwable run(Check check, List<Object> values) {
        try {
            check.check(new Params(names, values));
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    private static boolean fails(Throwable t) {
        return t != null && !(t instanceof TestAbortedException);
    }

    private AssertionError shrinkAndReport(Check check, int k, long seed, List<Object> original, Throwable originalFailure) {
        List<Object> cur = new ArrayList<>(original);
        Throwable curFailure = originalFailure;
        int runs = 0, steps = 0;
        boolean progress = true;
        search:
        while (progress) {
            progress = false;
            for (int p = 0; p < gens.size(); p++) {
                for (Object candidate : candidates(p, cur.get(p))) {
                    if (runs >= MAX_SHRINK_RUNS) break search;
                    List<Object> next = new ArrayList<>(cur);
                    next.set(p, candidate);
                    runs++;
                    Throwable t = run(check, next);
                    if (fails(t)) {
                        cur = next;
                        curFailure = t;
                        steps++;
                        progress = true;
                        p--;            // shrink the same parameter again from its new value
                        break;
                    }
                }
            }
        }
        String message = "property '" + name + "' failed on try " + (k + 1) + " of " + tries + "\n"
                + "  seed:     " + seed + " (-D" + SEED_PROPERTY + "=" + seed + " replays this case as try 1)\n"
                + "  original: " + show(original) + "\n"
                + "  shrunk:   " + show(cur) + "  (" + steps + " shrink steps in " + runs + " runs"
                + (runs >= MAX_SHRINK_RUNS ? ", stopped at the limit" : "") + ")\n"
                + "  error:    " + oneLine(curFailure);
        AssertionError e = new AssertionError(message, curFailure);
        if (curFailure != originalFailure) e.addSuppressed(originalFailure);
        return e;
    }

    @SuppressWarnings("unchecked")
    private List<Object> candidates(int p, Object v) {
        return ((Gen<Object>) gens.get(p)).shrink(v);
    }

    @SuppressWarnings("unchecked")
    private String show(List<Object> values) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) b.append(", ");
            b.append(names.get(i)).append('=').append(((Gen<Object>) gens.get(i)).show(values.get(i)));
        }
        return b.toString();
    }

    private static String oneLine(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getName() + (m == null ? "" : ": " + m.strip().replaceAll("\\s*\\R\\s*", " / "));
    }
}
