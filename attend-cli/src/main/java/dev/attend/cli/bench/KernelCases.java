package dev.attend.cli.bench;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.decode.Decode;
import dev.attend.attention.decode.KvCache;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.DType;
import dev.attend.tensor.Tensor;

import java.util.Locale;

/**
 * Benchmark cases for Attend's own kernels: forward and backward of a registered mechanism on a mask
 * given as a {@code Mask.parse} spec, and decode over a KV cache in a storage format. FLOPs come from
 * the mask's exact area; decode bytes are the cache bytes one step must read.
 */
public final class KernelCases {
    private KernelCases() {}

    /** Forward or backward of {@code mechanism} on {@code maskSpec}. */
    public static BenchCase attention(String mechanism, BenchCase.Pass pass, String maskSpec, BenchCase.Dims d) {
        if (pass == BenchCase.Pass.DECODE) throw new IllegalArgumentException("pass: use KernelCases.decode for decode");
        Mask mask = Mask.parse(maskSpec);
        double area = mask.area(1, 1, d.qLen(), d.kLen());
        double flops = BenchCase.forwardFlops(area, d) * (pass == BenchCase.Pass.BACKWARD ? 2.5 : 1);
        return new Case(mechanism, maskSpec, d, pass, flops, 0) {
            @Override
            public Runnable setup() {
                AttentionMechanism m = Attention.of(mechanism);
                AttentionProblem p = AttentionProblem.of(
                        Tensor.randn(1, d.batch(), d.qHeads(), d.qLen(), d.headDim()),
                        Tensor.randn(2, d.batch(), d.kvHeads(), d.kLen(), d.headDim()),
                        Tensor.randn(3, d.batch(), d.kvHeads(), d.kLen(), d.headDim()), mask);
                if (pass == BenchCase.Pass.FORWARD) return () -> m.forward(p);
                AttentionResult fwd = m.forward(p);
                Tensor dOut = Tensor.randn(4, p.q().shape());
                return () -> m.backward(p, fwd, dOut);
            }
        };
    }

    /** One decode step of {@code d.qLen()} queries over a cache of {@code d.kLen()} tokens stored as {@code format}. */
    public static BenchCase decode(DType format, BenchCase.Dims d) {
        double area = Masks.causalBottomRight().area(1, 1, d.qLen(), d.kLen());  // decode's alignment
        double bytes = 2.0 * d.batch() * d.kvHeads() * format.byteSize((long) d.kLen() * d.headDim());
        String name = "decode-" + format.name().toLowerCase(Locale.ROOT);
        return new Case(name, "causal-br", d, BenchCase.Pass.DECODE, BenchCase.forwardFlops(area, d), bytes) {
            @Override
            public Runnable setup() {
                KvCache cache = new KvCache(format, d.batch(), d.kvHeads(), d.headDim(), d.kLen());
                int step = 4096;
                for (int t = 0; t < d.kLen(); t += step) { // fill in slices: keeps the fp32 staging small
                    int n = Math.min(step, d.kLen() - t);
                    cache.append(Tensor.randn(2 + t, d.batch(), d.kvHeads(), n, d.headDim()),
                            Tensor.randn(3 + t, d.batch(), d.kvHeads(), n, d.headDim()));
                }
                Tensor q = Tensor.randn(1, d.batch(), d.qHeads(), d.qLen(), d.headDim());
                return () -> Decode.attend(q, cache);
            }
        };
    }

    private abstract static class Case implements BenchCase {
        private final String mechanism, mask;
        private final Dims dims;
        private final Pass pass;
        private final double flops, bytes;

        Case(String mechanism, String mask, Dims dims, Pass pass, double flops, double bytes) {
            this.mechanism = mechanism;
            this.mask = mask;
            this.dims = dims;
            this.pass = pass;
            this.flops = flops;
            this.bytes = bytes;
        }

        @Override public String mechanism() { return mechanism; }
        @Override public String mask() { return mask; }
        @Override public Dims dims() { return dims; }
        @Override public Pass pass() { return pass; }
        @Override public double flops() { return flops; }
        @Override public double bytes() { return bytes; }
    }
}
