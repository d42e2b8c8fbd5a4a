package dev.attend.cli.bench;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.DecodingMechanism;
import dev.attend.attention.Workload;
import dev.attend.attention.decode.KvCache;
import dev.attend.tensor.Tensor;

/**
 * Benchmark cases for Attend's own mechanisms, built from a {@link Workload} through the registry: forward
 * or backward of any registered mechanism, and decode steps of a {@link DecodingMechanism} over a cache it
 * made. FLOPs are the workload's useful FLOPs; decode bytes are the cache bytes one step must read.
 */
public final class KernelCases {
    private KernelCases() {}

    public static BenchCase of(Workload w) {
        AttentionMechanism probe = Attention.of(w.mechanism());  // fails now, not at setup, on a bad spec
        if (w.pass() == Workload.Pass.DECODE) {
            if (!(probe instanceof DecodingMechanism dm)) {
                throw new IllegalArgumentException("workload " + w.name() + ": mechanism '" + w.mechanism() + "' does not decode");
            }
            Workload.Shape s = w.shape();
            return new Case(w, dm.stepBytes(s.batch(), s.kvHeads(), s.kLen(), s.headDim())) {
                @Override
                public Runnable setup() {
                    DecodingMechanism m = (DecodingMechanism) Attention.of(w.mechanism());
                    KvCache cache = m.newCache(s.batch(), s.kvHeads(), s.headDim(), s.kLen());
                    int step = 4096;
                    for (int t = 0; t < s.kLen(); t += step) { // fill in slices: keeps the fp32 staging small
                        int n = Math.min(step, s.kLen() - t);
                        cache.append(Tensor.randn(2 + t, s.batch(), s.kvHeads(), n, s.headDim()),
                                Tensor.randn(3 + t, s.batch(), s.kvHeads(), n, s.headDim()));
                    }
                    Tensor q = Tensor.randn(1, s.batch(), s.qHeads(), s.qLen(), s.headDim());
                    return () -> m.attend(q, cache);
                }
            };
        }
        return new Case(w, 0) {
            @Override
            public Runnable setup() {
                AttentionMechanism m = Attention.of(w.mechanism());
                AttentionProblem p = w.problem();
                if (w.pass() == Workload.Pass.FORWARD) return () -> m.forward(p);
                AttentionResult fwd = m.forward(p);
                Tensor dOut = w.gradOutput();
                return () -> m.backward(p, fwd, dOut);
            }
        };
    }

    private abstract static class Case implements BenchCase {
        private final Workload w;
        private final String mask;
        private final double flops, bytes;

        Case(Workload w, double bytes) {
            this.w = w;
            this.mask = w.maskSpec();
            this.flops = w.usefulFlops();
            this.bytes = bytes;
        }

        @Override public String mechanism() { return w.mechanism(); }
        @Override public String mask() { return mask; }
        @Override public Workload.Shape dims() { return w.shape(); }
        @Override public Workload.Pass pass() { return w.pass(); }
        @Override public double flops() { return flops; }
        @Override public double bytes() { return bytes; }
    }
}
