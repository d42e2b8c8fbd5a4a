package dev.attend.cli.bench;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.DecodingMechanism;
import dev.attend.attention.InputFamily;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Workload;
import dev.attend.attention.decode.KvCache;
import dev.attend.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The fidelity suite: every approximate mechanism on every {@link InputFamily}, at several settings of its budget
 * parameter (from its descriptor), timed like any case and compared once with exact attention (the fp64
 * reference, computed once per family and shape): max |error| and relative Frobenius error of the output, and
 * max |error| of the LSE where there is one. Exact flash runs beside them on the same inputs, so the report can
 * draw error against speed-up.
 */
public final class FidelityCases {
    private FidelityCases() {}

    static List<BenchCase> all(boolean quick) {
        int l = quick ? 512 : 2048, heads = quick ? 2 : 8;
        Workload.Shape shape = Workload.Shape.self(1, heads, heads, l, 128);
        List<BenchCase> out = new ArrayList<>();
        Map<String, AttentionResult> exact = new ConcurrentHashMap<>();
        // A quick run keeps the two families that separate the mechanisms most: iid Gaussian and needles.
        for (InputFamily family : quick ? new InputFamily[] {InputFamily.GAUSSIAN, InputFamily.NEEDLE} : InputFamily.values()) {
            out.add(new Case(Attention.flash(), family, shape, "causal", null, exact));
            for (MechanismDescriptor d : Attention.descriptors()) {
                if (d.isExact() || d.isOracle()) continue;
                String mask = maskFor(d);
                if (mask == null) continue;
                for (Map<String, Object> setting : settings(d, quick)) {
                    Object budget = d.budget().map(b -> setting.get(b.param())).orElse(null);
                    out.add(new Case(d.create(setting), family, shape, mask, budget == null ? null : ((Number) budget).doubleValue(), exact));
                }
            }
        }
        return out;
    }

    /** The fidelity cases of one approximate mechanism on Gaussian inputs at {@code shape} (for attend advise). */
    public static List<BenchCase> of(MechanismDescriptor d, Workload.Shape shape, String mask) {
        List<BenchCase> out = new ArrayList<>();
        Map<String, AttentionResult> exact = new ConcurrentHashMap<>();
        for (Map<String, Object> setting : settings(d, true)) {
            Object budget = d.budget().map(b -> setting.get(b.param())).orElse(null);
            out.add(new Case(d.create(setting), InputFamily.GAUSSIAN, shape, mask, budget == null ? null : ((Number) budget).doubleValue(), exact));
        }
        return out;
    }

    /** Causal when the mechanism takes it, else the first of full and causal-br it takes. */
    private static String maskFor(MechanismDescriptor d) {
        for (String m : List.of("causal", "causal-br", "full")) {
            if (d.capabilities().masks().accepts(dev.attend.attention.mask.Mask.parse(m))) return m;
        }
        return null;
    }

    /** Settings of the budget parameter: from a sixteenth of the default up to the exact end of its range (4 to 6 points; quick: 2 or 3). */
    static List<Map<String, Object>> settings(MechanismDescriptor d, boolean quick) {
        if (d.budget().isEmpty()) return List.of(Map.of());
        MechanismDescriptor.Budget b = d.budget().orElseThrow();
        Param p = d.param(b.param()).orElseThrow();
        double def = ((Number) p.defaultValue()).doubleValue(), lo = p.min().doubleValue(), hi = p.max().doubleValue();
        List<Double> values = new ArrayList<>();
        if (b.higherIsMoreExact()) {
            double start = Math.max(lo, def / 16);
            for (double v = start; v < hi && values.size() < (quick ? 1 : 4); v *= 4) values.add(v);
            values.add(p.type() == Param.Type.DOUBLE ? hi : Math.min(hi, Math.max(def * 4, values.get(values.size() - 1) * 4)));
        } else {
            double start = Math.min(hi, def * 16);
            for (double v = start; v > lo && values.size() < (quick ? 1 : 4); v /= 4) values.add(v);
            values.add(lo);
        }
        if (!values.contains(def)) values.add(def);
        List<Map<String, Object>> out = new ArrayList<>();
        for (double v : values.stream().distinct().sorted().toList()) {
            Object typed = switch (p.type()) {
                case INT -> (Object) (int) Math.round(v);
                case LONG -> (Object) Math.round(v);
                default -> (Object) v;
            };
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(p.name(), typed);
            out.add(m);
        }
        return out;
    }

    private static final class Case implements BenchCase {
        private final AttentionMechanism m;
        private final InputFamily family;
        private final Workload w;
        private final Double budget;
        private final Map<String, AttentionResult> exact;
        private final String refusal;

        Case(AttentionMechanism m, InputFamily family, Workload.Shape shape, String mask, Double budget, Map<String, AttentionResult> exact) {
            this.m = m;
            this.family = family;
            this.w = new Workload(m.spec(), Workload.Pass.FORWARD, shape, Workload.MaskAt.fixed(mask));
            this.budget = budget;
            this.exact = exact;
            this.refusal = KernelCases.refusal(w, m);
        }

        @Override public String suite() { return "fidelity"; }
        @Override public String mechanism() { return m.spec(); }
        @Override public Map<String, Object> params() { return m.params().asMap(); }
        @Override public boolean exact() { return m.descriptor().isExact(); }
        @Override public String mask() { return w.maskSpec(); }
        @Override public Workload.Shape dims() { return w.shape(); }
        @Override public Workload.Pass pass() { return Workload.Pass.FORWARD; }
        @Override public double flops() { return refusal == null ? w.usefulFlops() : 0; }
        @Override public double bytes() { return 0; }
        @Override public String unsupported() { return refusal; }

        @Override
        public String name() {
            return "fidelity: " + m.spec() + " " + family.label() + " " + w.maskSpec() + " L" + w.shape().qLen() + " H" + w.shape().qHeads();
        }

        private AttentionProblem problem() {
            return w.problem(family, 11);
        }

        @Override
        public Supplier<?> setup() {
            AttentionProblem p = problem();
            exact.computeIfAbsent(family + " " + w.shape() + " " + w.maskSpec(), key -> Attention.reference().forward(p));
            if (m instanceof DecodingMechanism dm) {
                KvCache cache = dm.newCache(p.batch(), p.hkv(), p.headDim(), p.lk());
                cache.append(p.k(), p.v());
                Tensor q = p.q();
                return () -> dm.attend(q, cache);
            }
            return () -> m.forward(p);
        }

        @Override
        public BenchResult.Fidelity fidelity(Object last) {
            AttentionResult want = exact.get(family + " " + w.shape() + " " + w.maskSpec()), got = (AttentionResult) last;
            float[] a = want.out().toArray(), b = got.out().toArray();
            double maxAbs = 0, diff = 0, norm = 0;
            for (int i = 0; i < a.length; i++) {
                double e = (double) b[i] - a[i];
                maxAbs = Math.max(maxAbs, Math.abs(e));
                diff += e * e;
                norm += (double) a[i] * a[i];
            }
            Double lse = null;
            if (got.hasLse()) {
                float[] x = want.lse().toArray(), y = got.lse().toArray();
                double mx = 0;
                for (int i = 0; i < x.length; i++) if (x[i] != y[i]) mx = Math.max(mx, Math.abs((double) x[i] - y[i]));
                lse = mx;
            }
            String param = m.descriptor().budget().map(MechanismDescriptor.Budget::param).orElse(null);
            return new BenchResult.Fidelity(family.label(), param, budget, maxAbs, Math.sqrt(diff / Math.max(norm, Double.MIN_VALUE)), lse);
        }
    }
}
