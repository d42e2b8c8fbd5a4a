package dev.attend.cli.bench;

import dev.attend.attention.Workload;
import dev.attend.attention.Workloads;
import dev.attend.attention.decode.DecodeAttention;
import dev.attend.tensor.DType;

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
     * Exact attention: every workload of {@link Workloads#exact} through the registry, and the scalar loop (what
     * a typical user writes) on the causal prefill and decode workloads that it can run, as the baseline peer.
     */
    public static List<BenchCase> exact(boolean quick) {
        List<BenchCase> cases = new ArrayList<>();
        int peerLen = quick ? 1024 : 2048;
        for (Workload w : Workloads.exact(quick)) {
            cases.add(KernelCases.of(w));
            boolean prefillPeer = w.pass() == Workload.Pass.FORWARD && w.maskSpec().equals("causal") && w.shape().qLen() == peerLen;
            boolean decodePeer = w.pass() == Workload.Pass.DECODE && w.mechanism().equals(DecodeAttention.nameOf(DType.Q8_0));
            if (prefillPeer || decodePeer) cases.add(ScalarAttention.of(w));  // same workload as the case beside it
        }
        return cases;
    }
}
