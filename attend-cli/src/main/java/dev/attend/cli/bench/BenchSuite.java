package dev.attend.cli.bench;

import dev.attend.attention.Attention;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Pattern;
import dev.attend.attention.Workload;
import dev.attend.attention.Workloads;
import dev.attend.attention.decode.DecodeAttention;
import dev.attend.attention.mask.MaskType;
import dev.attend.attention.mask.Masks;
import dev.attend.simd.Parallel;
import dev.attend.tensor.DType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The named lists of benchmark cases that {@code attend bench --suite NAME} runs. Every suite is built from the
 * registries, so a mechanism or mask that registers appears in the bench with no edit here:
 * <ul>
 *   <li>{@code kernels}: every registered mechanism x every library mask x the four CAB patterns (cross with
 *   {@code Lq = Lk / 4} and both causal alignments) at one length, forward and backward; varlen masks over several
 *   seeded draws; the exact kernel at lengths 1K to 64K (quick: to 8K) for causal and sliding, to 16K for documents
 *   and full, and at block-sparse densities 0.1 to 1.0; GQA 32:8 and D=64 and causal backward to 16K (approximate
 *   mechanisms: to 4K; their forward length curves are the scaling suite's). Unsupported combinations are "X" cells with the descriptor's reason.</li>
 *   <li>{@code decode}: KV 4K to 256K (quick: to 64K) x every decoding mechanism, batch 1 and 8.</li>
 *   <li>{@code fidelity}: {@link FidelityCases}.</li>
 *   <li>{@code scaling}: cost against length for every mechanism (causal, or full without a causal form; 2 heads;
 *   exact ones at 1K, 4K and 16K, the others also at 64K and 256K), the scalar loop beside them (1K to 4K), and
 *   flash against threads.</li>
 *   <li>{@code peers}: the shared workloads in ONNX Runtime, libtorch and Jlama (each in its own JVM) and the
 *   scalar loop, beside Attend's own.</li>
 *   <li>{@code exact}: the exact kernels on the workloads of {@link Workloads#exact} (the README's table).</li>
 *   <li>{@code standard} (the default): kernels, decode, fidelity and scaling.</li>
 * </ul>
 */
public final class BenchSuite {

    /** Builds the cases of a suite; {@code quick} asks for smaller shapes that finish in seconds. */
    @FunctionalInterface
    public interface Provider {
        List<BenchCase> cases(boolean quick);
    }

    private static final Map<String, Provider> SUITES = new LinkedHashMap<>();

    static {
        register("standard", q -> concat(kernels(q), decode(q), FidelityCases.all(q), scaling(q)));
        register("kernels", BenchSuite::kernels);
        register("decode", BenchSuite::decode);
        register("fidelity", FidelityCases::all);
        register("scaling", BenchSuite::scaling);
        register("peers", PeerCases::all);
        register("exact", BenchSuite::exact);
    }

    private BenchSuite() {}

    /**
     * The share of a mechanism's time budget its cases get in {@code suite}: the kernels, decode and peers suites the
     * whole budget; fidelity (a few budget settings on four input families at one shape) 0.3; scaling (the length
     * sweeps to 256K, where the approximate mechanisms' cost curves and efficiency lengths come from) 0.75.
     */
    public static double budgetShare(String suite) {
        return switch (suite) {
            case "fidelity" -> 0.3;
            case "scaling" -> 0.75;
            default -> 1.0;
        };
    }

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

    static List<BenchCase> kernels(boolean quick) {
        List<BenchCase> out = new ArrayList<>();
        int l = quick ? 512 : 4096, draws = quick ? 1 : 3;
        for (MechanismDescriptor d : Attention.descriptors()) {
            String spec = Attention.of(d.name()).spec();
            int len = d.isOracle() ? (quick ? 128 : 256) : l;   // the fp64 oracle: a check, at a small size
            // The support matrix: every mask x pattern at one length, forward and (where it exists) backward.
            for (MaskType t : MaskSamples.types()) {
                int n = MaskSamples.isRandom(t) ? draws : 1;
                for (int draw = 0; draw < n; draw++) {
                    String mask = MaskSamples.at(t, len, 1, draw);
                    String label = n > 1 ? t.name() + "#" + draw : mask.length() > 40 ? t.name() : null;
                    out.add(KernelCases.of("kernels", new Workload(spec, Workload.Pass.FORWARD, Workload.Shape.self(1, 8, 8, len, 128),
                            Workload.MaskAt.fixed(mask)), label));
                    // The oracle is a check, timed forward at a small size only; quick runs time backward on causal
                    // only, and of the exact kernels only (an approximate backward may take seconds at this size).
                    if (!d.isOracle() && (!quick || (t.name().equals("causal") && d.isExact()))) {
                        out.add(KernelCases.of("kernels", new Workload(spec, Workload.Pass.BACKWARD, Workload.Shape.self(1, 8, 8, len, 128),
                                Workload.MaskAt.fixed(mask)), label));
                    }
                }
                if (t.anyLengths() && !d.isOracle()) {
                    // Cross attention: a quarter as many queries as keys (top-left and bottom-right causal are both library masks).
                    String mask = crossable(t, MaskSamples.at(t, len, 1, 0), len / 4, len);
                    out.add(KernelCases.of("kernels", new Workload(spec, Workload.Pass.FORWARD, new Workload.Shape(1, 8, 8, len / 4, len, 128),
                            Workload.MaskAt.fixed(mask)), mask.length() > 40 ? t.name() : null));
                }
            }
            if (d.isOracle() || d.capabilities().decode()) continue;  // the oracle is a check; decoders have the decode suite
            // A quick run keeps an approximate mechanism to its support matrix, the scaling suite's causal lengths (its
            // efficiency length) and the fidelity suite: every mechanism's whole grid would not fit in three minutes.
            if (quick && !d.isExact()) continue;
            // A full run measures an approximate mechanism against length on the causal mask (where the long-context
            // methods are meant to win; the fidelity suite has its errors) and at GQA 32:8 and D = 64; the other
            // masks' length sweeps and the block-sparse densities characterise the exact kernel.
            boolean exact = d.isExact();
            // Heads and head dimension (GQA 32:8 and D = 64) and, for the exact kernel, the block-sparse densities come
            // before the length sweep, whose longest cases come last: a budget spent cuts the longest lengths only.
            int hl = quick ? 1024 : 4096;
            out.add(KernelCases.of("kernels", new Workload(spec, Workload.Pass.FORWARD, Workload.Shape.self(1, 32, 8, hl, 128),
                    Workload.MaskAt.fixed("causal")), null));
            out.add(KernelCases.of("kernels", new Workload(spec, Workload.Pass.FORWARD, Workload.Shape.self(1, 8, 8, hl, 64),
                    Workload.MaskAt.fixed("causal")), null));
            if (exact) {
                // Block-sparse density 0.1 .. 1.0: time should follow the visited area.
                int sl = quick ? 2048 : 8192;
                for (int tenth : quick ? new int[] {1, 5, 10} : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
                    out.add(KernelCases.of("kernels", new Workload(spec, Workload.Pass.FORWARD, Workload.Shape.self(1, 8, 8, sl, 128),
                            Workload.MaskAt.fixed("block-sparse-random:128,128," + tenth / 10.0 + ",7")), null));
                }
            }
            // Lengths: cost against length for the masks users run most (an approximate mechanism's causal curve, to
            // 256K, is the scaling suite's); backward to 16K for the exact kernel, approximate ones to 4K.
            int top = quick ? 8192 : 65536;
            for (int n = 1024; n <= top; n *= 2) {
                for (String m : exact ? new String[] {"causal", "sliding:1024", "full"} : new String[0]) {
                    if (m.equals("full") && n > (quick ? 2048 : 16384)) continue;  // quadratic with no mask: long enough
                    if (quick && m.equals("sliding:1024") && n > 4096) continue;
                    out.add(KernelCases.of("kernels", new Workload(spec, Workload.Pass.FORWARD, Workload.Shape.self(1, 8, 8, n, 128),
                            Workload.MaskAt.fixed(m)), null));
                }
                if (!quick && exact && n <= 16384) {
                    String docs = MaskSamples.at(MaskSamples.type("document-causal"), n, 1, 0);
                    out.add(KernelCases.of("kernels", new Workload(spec, Workload.Pass.FORWARD, Workload.Shape.self(1, 8, 8, n, 128),
                            Workload.MaskAt.fixed(docs)), "document-causal"));
                }
                if (n <= (quick ? 2048 : exact ? 16384 : 4096)) {
                    out.add(KernelCases.of("kernels", new Workload(spec, Workload.Pass.BACKWARD, Workload.Shape.self(1, 8, 8, n, 128),
                            Workload.MaskAt.fixed("causal")), null));
                }
            }
        }
        return out;
    }

    /** A spec valid at (lq, lk) for cross attention: per-length masks are drawn again for the key length. */
    private static String crossable(MaskType t, String mask, int lq, int lk) {
        return switch (t.name()) {
            case "block-sparse" -> MaskSamples.crossLayout(lq, lk);
            default -> mask;
        };
    }

    static List<BenchCase> decode(boolean quick) {
        List<BenchCase> out = new ArrayList<>();
        int top = quick ? 65536 : 262144;
        for (MechanismDescriptor d : Attention.descriptors()) {
            if (d.capabilities().recurrent()) out.addAll(recurrent(d, quick));
            if (!d.capabilities().decode()) continue;
            for (int batch : new int[] {1, 8}) {
                for (int n = 4096; n <= (batch == 8 && quick ? 4096 : top); n *= 4) {
                    out.add(KernelCases.of("decode", new Workload(d.name(), Workload.Pass.DECODE, new Workload.Shape(batch, 32, 8, 1, n, 128),
                            Workload.MaskAt.fixed("causal-br")), null));
                }
            }
        }
        return out;
    }

    /** State updates a recurrent case may spend reaching its history (history x state floats): about 10 s of setup here. */
    static final double RECURRENT_SETUP_LIMIT = 0x1p36;

    /**
     * A recurrent mechanism's decode step after 4K, 64K and 1M tokens (quick: 4K and 16K), one head at D = 64: the
     * time per token should not grow. Setting a state up steps it through the whole history, so a history whose
     * setup would exceed {@link #RECURRENT_SETUP_LIMIT} state updates is left out (Taylor's state of 137K floats
     * stops at 64K).
     */
    private static List<BenchCase> recurrent(MechanismDescriptor d, boolean quick) {
        List<BenchCase> out = new ArrayList<>();
        int headDim = 64;
        long state = ((dev.attend.attention.RecurrentMechanism) Attention.of(d.name())).newState(headDim, 0.125f, 1).stateFloats();
        for (int n : quick ? new int[] {4096, 16384} : new int[] {4096, 65536, 1 << 20}) {
            if ((double) n * state > RECURRENT_SETUP_LIMIT) break;
            out.add(KernelCases.of("decode", new Workload(d.name(), Workload.Pass.DECODE, new Workload.Shape(1, 1, 1, 1, n, headDim),
                    Workload.MaskAt.fixed("causal-br")), null));
        }
        return out;
    }

    /**
     * The scaling suite's lengths for a mechanism: 1K, 4K and 16K, then 64K and 256K for an approximate one (quick: 1K,
     * 2K, 4K). Steps of four: five points fit an exponent, and each case costs about a second of timing however short
     * its call.
     */
    static List<Integer> scalingLengths(boolean exact, boolean quick) {
        if (quick) return List.of(1024, 2048, 4096);
        return exact ? List.of(1024, 4096, 16384) : List.of(1024, 4096, 16384, 65536, 262144);
    }

    /**
     * Cost against length at 2 heads (cost is linear in heads; two keep both workers busy), causal, or with no mask
     * for a mechanism without a causal form (Nystromformer, FNet, SDIM; exact ones run both, as their reference):
     * exact mechanisms 1K to 16K (quadratic: long enough for their exponent), the others to 256K (their budgets cut a
     * quadratic one short), and the scalar loop at 1K to 4K (quick: 2K), the plain baseline of the efficiency lengths.
     */
    static List<BenchCase> scaling(boolean quick) {
        List<BenchCase> out = new ArrayList<>();
        int heads = 2;
        for (MechanismDescriptor d : Attention.descriptors()) {
            if (d.isOracle()) continue;
            String spec = Attention.of(d.name()).spec();
            if (d.capabilities().decode()) continue;  // decoders scale with the cache: the decode suite
            boolean causal = d.capabilities().patterns().contains(Pattern.CAUSAL_SELF) && d.capabilities().masks().accepts(Masks.causal());
            List<String> masks = d.isExact() ? List.of("causal", "full") : List.of(causal ? "causal" : "full");
            for (String mask : masks) {
                for (int n : scalingLengths(d.isExact(), quick)) {
                    out.add(KernelCases.of("scaling", new Workload(spec, Workload.Pass.FORWARD, Workload.Shape.self(1, heads, heads, n, 128),
                            Workload.MaskAt.fixed(mask)), null));
                }
            }
        }
        for (int n = 1024; n <= (quick ? 2048 : 4096); n *= 2) {
            out.add(ScalarAttention.of("scaling", new Workload("flash", Workload.Pass.FORWARD, Workload.Shape.self(1, heads, heads, n, 128),
                    Workload.MaskAt.fixed("causal"))));
        }
        // Threads: the same flash call on 1 .. all workers.
        Workload w = new Workload("flash", Workload.Pass.FORWARD, Workload.Shape.self(1, 8, 8, quick ? 2048 : 4096, 128), Workload.MaskAt.fixed("causal"));
        for (int t = 1; t <= Parallel.threads(); t *= 2) out.add(threads(KernelCases.of("scaling", w, null), t));
        if (Integer.bitCount(Parallel.threads()) != 1) out.add(threads(KernelCases.of("scaling", w, null), Parallel.threads()));
        return out;
    }

    /** {@code c} run on at most {@code t} workers. */
    private static BenchCase threads(BenchCase c, int t) {
        return new BenchCase() {
            @Override public String suite() { return c.suite(); }
            @Override public String mechanism() { return c.mechanism(); }
            @Override public Map<String, Object> params() {
                Map<String, Object> p = new LinkedHashMap<>(c.params());
                p.put("threads", t);
                return p;
            }
            @Override public String mask() { return c.mask(); }
            @Override public Workload.Shape dims() { return c.dims(); }
            @Override public Workload.Pass pass() { return c.pass(); }
            @Override public double flops() { return c.flops(); }
            @Override public double bytes() { return c.bytes(); }
            @Override public String unsupported() { return c.unsupported(); }
            @Override public String name() { return c.name() + " threads " + t; }

            @Override
            public Supplier<?> setup() {
                Supplier<?> body = c.setup();
                return () -> Parallel.withThreads(t, body);
            }
        };
    }

    /**
     * Exact attention: every workload of {@link Workloads#exact}, and the scalar loop (what a typical user writes) on
     * the causal prefill and decode workloads that it can run, as the baseline peer.
     */
    public static List<BenchCase> exact(boolean quick) {
        List<BenchCase> cases = new ArrayList<>();
        int peerLen = quick ? 1024 : 2048;
        for (Workload w : Workloads.exact(quick)) {
            cases.add(KernelCases.of("exact", w, null));
            boolean prefillPeer = w.pass() == Workload.Pass.FORWARD && w.maskSpec().equals("causal") && w.shape().qLen() == peerLen;
            boolean decodePeer = w.pass() == Workload.Pass.DECODE && w.mechanism().equals(DecodeAttention.nameOf(DType.Q8_0));
            if (prefillPeer || decodePeer) cases.add(ScalarAttention.of("exact", w));  // same workload as the case beside it
        }
        return cases;
    }

    @SafeVarargs
    private static List<BenchCase> concat(List<BenchCase>... lists) {
        List<BenchCase> out = new ArrayList<>();
        for (List<BenchCase> l : lists) out.addAll(l);
        return out;
    }
}
