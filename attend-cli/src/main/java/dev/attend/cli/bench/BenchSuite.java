package dev.attend.cli.bench;

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
     * Exact attention (fp32, B=1, D=128): flash forward over lengths and masks, backward, and decode over a
     * long KV cache in each storage format. The scalar loop (what a typical user writes) runs the same
     * causal prefill and decode workloads as the baseline peer.
     */
    public static List<BenchCase> exact(boolean quick) {
        List<BenchCase> cases = new ArrayList<>();
        int[] lengths = quick ? new int[] {1024, 4096} : new int[] {1024, 2048, 4096, 8192};
        int longest = lengths[lengths.length - 1];
        int peerLen = quick ? 1024 : 2048;
        int cache = quick ? 16 * 1024 : 64 * 1024;
        for (int l : lengths) cases.add(KernelCases.attention("flash", BenchCase.Pass.FORWARD, "causal", dims(l)));
        cases.add(ScalarAttention.benchCase(BenchCase.Pass.FORWARD, dims(peerLen)));  // same workload as flash at peerLen
        cases.add(KernelCases.attention("flash", BenchCase.Pass.FORWARD, "full", dims(quick ? 2048 : 4096)));
        cases.add(KernelCases.attention("flash", BenchCase.Pass.FORWARD, "sliding:1024", dims(longest)));
        int doc = longest / 4;
        cases.add(KernelCases.attention("flash", BenchCase.Pass.FORWARD,
                "document-causal:" + doc + "," + doc + "," + doc + "," + doc, dims(longest)));
        for (int l : quick ? new int[] {2048} : new int[] {2048, 8192}) {
            cases.add(KernelCases.attention("flash", BenchCase.Pass.BACKWARD, "causal", dims(l)));
        }
        if (!quick) cases.add(KernelCases.attention("flash", BenchCase.Pass.BACKWARD, "sliding:1024", dims(longest)));
        for (int n : quick ? new int[] {} : new int[] {4096, 16384}) {
            cases.add(KernelCases.decode(DType.F32, new BenchCase.Dims(1, 32, 8, 1, n, 128)));
        }
        BenchCase.Dims decode = new BenchCase.Dims(1, 32, 8, 1, cache, 128);
        for (DType f : new DType[] {DType.F32, DType.BF16, DType.Q8_0}) cases.add(KernelCases.decode(f, decode));
        cases.add(ScalarAttention.benchCase(BenchCase.Pass.DECODE, decode));
        return cases;
    }

    /** Self-attention, B=1, Hq=Hkv=8, D=128: the reference shape. */
    private static BenchCase.Dims dims(int l) {
        return new BenchCase.Dims(1, 8, 8, l, l, 128);
    }
}
