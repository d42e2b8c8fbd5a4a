package dev.attend.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named lists of benchmark cases that {@code attend bench --suite NAME} runs. A suite is a
 * {@link Provider}: given "quick" or not, it returns its cases. Tests register fake suites the same way.
 */
public final class BenchSuite {

    /** Builds the cases of a suite; {@code quick} asks for smaller shapes that finish in seconds. */
    @FunctionalInterface
    public interface Provider {
        List<BenchCase> cases(boolean quick);
    }

    private static final Map<String, Provider> SUITES = new LinkedHashMap<>();

    static {
        register("exact", BenchSuite::exact);
    }

    private BenchSuite() {}

    /** Adds (or replaces) a suite. */
    public static synchronized void register(String name, Provider provider) {
        SUITES.put(name, provider);
    }

    public static synchronized List<String> names() {
        return List.copyOf(SUITES.keySet());
    }

    /** The suite called {@code name}; unknown names throw with the list of known ones. */
    public static synchronized Provider named(String name) {
        Provider p = SUITES.get(name);
        if (p == null) throw new IllegalArgumentException("suite: unknown suite '" + name + "', known: " + String.join(", ", SUITES.keySet()));
        return p;
    }

    /**
     * Exact attention: causal prefill and long-cache decode. The scalar loop (what a typical user
     * writes) is the baseline peer every kernel is compared with.
     */
    public static List<BenchCase> exact(boolean quick) {
        List<BenchCase> cases = new ArrayList<>();
        int prefill = quick ? 512 : 1024;
        int cache = quick ? 16 * 1024 : 64 * 1024;
        cases.add(ScalarAttention.benchCase(BenchCase.Pass.FORWARD, new BenchCase.Dims(1, 8, 8, prefill, prefill, 128)));
        cases.add(ScalarAttention.benchCase(BenchCase.Pass.DECODE, new BenchCase.Dims(1, 32, 8, 1, cache, 128)));
        return cases;
    }
}
