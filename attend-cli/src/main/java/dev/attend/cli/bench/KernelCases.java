package dev.attend.cli.bench;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.DecodingMechanism;
import dev.attend.attention.RecurrentMechanism;
import dev.attend.attention.RecurrentState;
import dev.attend.attention.Support;
import dev.attend.attention.Workload;
import dev.attend.attention.decode.KvCache;
import dev.attend.attention.mask.Mask;
import dev.attend.tensor.Tensor;

import dev.attend.tensor.DType;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Benchmark cases for Attend's own mechanisms, built from a {@link Workload} through the registry: forward or
 * backward of any registered mechanism, decode steps of a {@link DecodingMechanism} over a cache it made (the
 * cache is filled in setup; the timed body is the step alone), and steps of a {@link RecurrentMechanism}'s state
 * after a history (stepped through in setup). Whether the mechanism supports the case is asked
 * of its descriptor before anything is allocated. FLOPs are the workload's useful FLOPs; decode bytes are the
 * cache bytes one step must read.
 */
public final class KernelCases {
    private KernelCases() {}

    /** The case of {@code w} in {@code suite}; {@code label} (or null) replaces a long mask spec in the name. */
    public static BenchCase of(String suite, Workload w, String label) {
        AttentionMechanism probe = Attention.of(w.mechanism());  // a bad spec fails now, not at setup
        boolean decode = w.pass() == Workload.Pass.DECODE;
        double bytes = decode && probe instanceof DecodingMechanism dm
                ? dm.stepBytes(w.shape().batch(), w.shape().kvHeads(), w.shape().kLen(), w.shape().headDim()) : 0;
        return new Case(suite, w, probe, bytes, label) {
            @Override
            public Supplier<?> setup() {
                AttentionMechanism m = Attention.of(w.mechanism());
                Workload.Shape s = w.shape();
                if (decode && m instanceof RecurrentMechanism rm) return recurrentSteps(rm, s);
                if (decode) {
                    DecodingMechanism dm = (DecodingMechanism) m;
                    KvCache cache = dm.newCache(s.batch(), s.kvHeads(), s.headDim(), s.kLen());
                    // One block of Gaussian keys and values, appended again and again: a step's time does not depend
                    // on the values, and drawing a 64K x batch-8 cache afresh took longer than timing it.
                    int step = Math.min(4096, s.kLen());
                    Tensor k = Tensor.randn(2, s.batch(), s.kvHeads(), step, s.headDim());
                    Tensor v = Tensor.randn(3, s.batch(), s.kvHeads(), step, s.headDim());
                    for (int t = 0; t < s.kLen(); t += step) {
                        int n = Math.min(step, s.kLen() - t);
                        cache.append(n == step ? k : k.slice(2, 0, n), n == step ? v : v.slice(2, 0, n));
                    }
                    Tensor q = Tensor.randn(1, s.batch(), s.qHeads(), s.qLen(), s.headDim());
                    return () -> dm.attend(q, cache);
                }
                AttentionProblem p = problem(w);
                if (w.pass() == Workload.Pass.FORWARD) return () -> m.forward(p);
                AttentionResult fwd = m.forward(p);
                Tensor dOut = w.gradOutput();
                return () -> m.backward(p, fwd, dOut);
            }
        };
    }

    /**
     * A recurrent mechanism's decode step after {@code s.kLen()} tokens of history: one state per (batch, query head),
     * each stepped through the history in setup (Gaussian tokens, one block of 4096 used again and again) and then for
     * a tenth of a second more (the JIT's warm-up); the timed body is one more token for every state.
     */
    private static Supplier<?> recurrentSteps(RecurrentMechanism rm, Workload.Shape s) {
        int d = s.headDim(), block = Math.min(4096, s.kLen()), n = s.batch() * s.qHeads();
        float[] q = Tensor.randn(1, block, d).toArray(), k = Tensor.randn(2, block, d).toArray(), v = Tensor.randn(3, block, d).toArray();
        float scale = (float) (1 / Math.sqrt(d));
        float[] out = new float[d], qi = new float[d], ki = new float[d], vi = new float[d];
        RecurrentState[] states = new RecurrentState[n];
        for (int i = 0; i < n; i++) {
            // Room for the timed steps after the history (position-aware forms, cosFormer, need a horizon).
            states[i] = rm.newState(d, scale, (int) Math.min(Integer.MAX_VALUE, s.kLen() + (1L << 20)));
            for (int t = 0; t < s.kLen(); t++) {
                int r = t % block * d;
                System.arraycopy(q, r, qi, 0, d);
                System.arraycopy(k, r, ki, 0, d);
                System.arraycopy(v, r, vi, 0, d);
                states[i].step(qi, ki, vi, out);
            }
        }
        Supplier<float[]> body = () -> {
            for (RecurrentState st : states) st.step(qi, ki, vi, out);
            return out;
        };
        // A tenth of a second of steps more: C2 compiles the step here, not during the first timed calls (the quick
        // run's warm-up is too short for that, and the first history measured looked slower than the next).
        for (long end = System.nanoTime() + 100_000_000L; System.nanoTime() < end; ) body.get();
        return body;
    }

    // The inputs of the last case: most cases share their shape with the one before (the same problem under
    // another mask or mechanism), and drawing them again cost more than timing a small case.
    private static Workload.Shape lastShape;
    private static Tensor[] lastInputs;

    /** {@code w.problem()}, with the Gaussian inputs of the previous case when the shape is the same. */
    private static synchronized AttentionProblem problem(Workload w) {
        if (!w.shape().equals(lastShape)) {
            lastInputs = null;  // let the old inputs go before the new ones are drawn
            lastInputs = dev.attend.attention.InputFamily.GAUSSIAN.draw(w.shape(), 1);
            lastShape = w.shape();
        }
        return AttentionProblem.of(lastInputs[0], lastInputs[1], lastInputs[2], Mask.parse(w.maskSpec()));
    }

    /**
     * Runs the exact kernels on small problems for {@code seconds}: until C2 has compiled the Vector API code, it
     * boxes vectors (slow, and hundreds of MB of garbage per call), which would land on whichever case is measured
     * first.
     */
    public static void warmJit(double seconds) {
        Workload.Shape s = Workload.Shape.self(1, 8, 8, 512, 128);
        List<Supplier<?>> bodies = new java.util.ArrayList<>();
        for (String m : new String[] {"causal", "full"}) {
            for (Workload.Pass p : new Workload.Pass[] {Workload.Pass.FORWARD, Workload.Pass.BACKWARD}) {
                bodies.add(of("warm-up", new Workload("flash", p, s, Workload.MaskAt.fixed(m)), null).setup());
            }
        }
        for (DType f : KvCache.FORMATS) {
            bodies.add(of("warm-up", new Workload(dev.attend.attention.decode.DecodeAttention.nameOf(f), Workload.Pass.DECODE,
                    new Workload.Shape(1, 32, 8, 1, 4096, 128), Workload.MaskAt.fixed("causal-br")), null).setup());
        }
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) for (Supplier<?> b : bodies) b.get();
    }

    /** The workload's problem with inputs that cost no memory, for asking a descriptor whether it supports it. */
    static AttentionProblem shapeOnly(Workload w) {
        Workload.Shape s = w.shape();
        Tensor q = Tensor.constant(0f, s.batch(), s.qHeads(), s.qLen(), s.headDim());
        Tensor kv = Tensor.constant(0f, s.batch(), s.kvHeads(), s.kLen(), s.headDim());
        return AttentionProblem.of(q, kv, kv, Mask.parse(w.maskSpec()));
    }

    /** The support check shared by every in-process case: the descriptor's reason, or that of the decode path. */
    static String refusal(Workload w, AttentionMechanism m) {
        if (w.pass() == Workload.Pass.DECODE && m instanceof RecurrentMechanism) return null;  // causal self attention, a token at a time
        if (w.pass() == Workload.Pass.DECODE && !(m instanceof DecodingMechanism)) {
            return "mechanism '" + m.spec() + "' does not decode (neither over a KV cache nor with a recurrent state)";
        }
        if (w.pass() == Workload.Pass.BACKWARD && !m.supportsBackward()) {
            return "mechanism '" + m.spec() + "' has no backward pass";
        }
        try {
            Support s = m.supports(shapeOnly(w));
            return s.supported() ? null : s.reason();
        } catch (IllegalArgumentException e) {
            return "the mask does not fit this shape: " + e.getMessage();
        }
    }

    abstract static class Case implements BenchCase {
        private final String suite, mask, label, refusal;
        final Workload w;
        private final AttentionMechanism probe;
        private final double flops, bytes;

        Case(String suite, Workload w, AttentionMechanism probe, double bytes, String label) {
            this.suite = suite;
            this.w = w;
            this.probe = probe;
            this.mask = w.maskSpec();
            this.label = label;
            this.refusal = refusal(w, probe);
            this.flops = refusal == null ? w.usefulFlops() : 0;
            this.bytes = bytes;
        }

        @Override public String suite() { return suite; }
        @Override public String mechanism() { return probe.spec(); }
        @Override public Map<String, Object> params() { return probe.params().asMap(); }
        @Override public boolean exact() { return probe.descriptor().isExact(); }
        @Override public String mask() { return mask; }
        @Override public Workload.Shape dims() { return w.shape(); }
        @Override public Workload.Pass pass() { return w.pass(); }
        @Override public double flops() { return flops; }
        @Override public double bytes() { return bytes; }
        @Override public String unsupported() { return refusal; }

        @Override
        public long memoryBytes() {
            Workload.Shape d = w.shape();
            long io = 4L * (2 * d.qSize() + 2 * d.kvSize());
            // Decode holds the cache in its format (filled through 4096-token slices) and the queries and outputs.
            long staging = 4L * 2 * d.batch() * d.kvHeads() * Math.min(4096, d.kLen()) * d.headDim();
            return w.pass() == Workload.Pass.BACKWARD ? 2 * io : w.pass() == Workload.Pass.DECODE ? (long) bytes + 8L * d.qSize() + staging : io;
        }

        @Override
        public String name() {
            Workload.Shape d = w.shape();
            return suite + ": " + probe.spec() + " " + (label != null ? label : mask) + " " + w.pass().label() + " B" + d.batch() + " H"
                    + d.qHeads() + "/" + d.kvHeads() + " L" + d.qLen() + "x" + d.kLen() + " D" + d.headDim();
        }
    }
}
