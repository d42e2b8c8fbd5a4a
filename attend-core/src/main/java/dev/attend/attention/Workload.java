package dev.attend.attention;

import dev.attend.attention.mask.Mask;
import dev.attend.tensor.Tensor;

import java.util.Locale;

/**
 * One workload, defined once for the benchmark and the tests ({@link Workloads}): a mechanism spec, a
 * pass, a shape, and the mask as a function of the lengths, so the same workload can be measured at full
 * size and checked against the reference at a small one ({@link #withLengths}). Inputs are standard normal,
 * seeded per tensor, so a workload names its problem completely.
 */
public record Workload(String mechanism, Pass pass, Shape shape, MaskAt mask) {

    /** Which pass is timed or tested. */
    public enum Pass {
        FORWARD, BACKWARD, DECODE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The mask spec for given lengths, e.g. four equal documents of {@code lq / 4}. */
    @FunctionalInterface
    public interface MaskAt {
        String spec(int lq, int lk);

        /** The same spec at every length. */
        static MaskAt fixed(String spec) {
            return (lq, lk) -> spec;
        }
    }

    /** q {@code [batch, qHeads, qLen, headDim]}, k and v {@code [batch, kvHeads, kLen, headDim]}. */
    public record Shape(int batch, int qHeads, int kvHeads, int qLen, int kLen, int headDim) {
        public Shape {
            if (batch < 1 || qHeads < 1 || kvHeads < 1 || qLen < 1 || kLen < 1 || headDim < 1) {
                throw new IllegalArgumentException("shape: every dimension must be >= 1, got " + this);
            }
            if (qHeads % kvHeads != 0) {
                throw new IllegalArgumentException("shape: qHeads must be a multiple of kvHeads, got " + qHeads + " and " + kvHeads);
            }
        }

        /** Self attention of length {@code l}. */
        public static Shape self(int batch, int qHeads, int kvHeads, int l, int headDim) {
            return new Shape(batch, qHeads, kvHeads, l, l, headDim);
        }

        public Shape withLengths(int lq, int lk) {
            return new Shape(batch, qHeads, kvHeads, lq, lk, headDim);
        }

        /** Elements of q (and of the output). */
        public long qSize() {
            return (long) batch * qHeads * qLen * headDim;
        }

        /** Elements of k (and of v). */
        public long kvSize() {
            return (long) batch * kvHeads * kLen * headDim;
        }
    }

    public Workload {
        if (mechanism == null || pass == null || shape == null || mask == null) {
            throw new IllegalArgumentException("workload: mechanism, pass, shape and mask must be given");
        }
    }

    /** The mask spec at this workload's lengths. */
    public String maskSpec() {
        return mask.spec(shape.qLen(), shape.kLen());
    }

    /** The same workload at other lengths. */
    public Workload withLengths(int lq, int lk) {
        return new Workload(mechanism, pass, shape.withLengths(lq, lk), mask);
    }

    /** The problem: q, k, v standard normal from seeds 1, 2, 3, the mask at these lengths, default scale. */
    public AttentionProblem problem() {
        return problem(InputFamily.GAUSSIAN, 1);
    }

    /** The problem with inputs of {@code family} drawn from {@code seed} (GAUSSIAN from seed 1 is {@link #problem()}). */
    public AttentionProblem problem(InputFamily family, long seed) {
        Tensor[] qkv = family.draw(shape, seed);
        return AttentionProblem.of(qkv[0], qkv[1], qkv[2], Mask.parse(maskSpec()));
    }

    /** The upstream gradient of a backward workload (seed 4). */
    public Tensor gradOutput() {
        return Tensor.randn(4, shape.batch(), shape.qHeads(), shape.qLen(), shape.headDim());
    }

    /** Useful FLOPs ({@link Cost}): forward from the exact mask area, backward 2.5x. */
    public double usefulFlops() {
        Shape s = shape;
        double f = Cost.forwardFlops(Mask.parse(maskSpec()), s.batch(), s.qHeads(), s.qLen(), s.kLen(), s.headDim());
        return pass == Pass.BACKWARD ? Cost.BACKWARD_FACTOR * f : f;
    }

    /** A short unique label: {@code "flash causal forward B1 H8/8 L4096x4096 D128"}. */
    public String name() {
        Shape s = shape;
        return mechanism + " " + maskSpec() + " " + pass.label() + " B" + s.batch() + " H" + s.qHeads() + "/" + s.kvHeads()
                + " L" + s.qLen() + "x" + s.kLen() + " D" + s.headDim();
    }

    @Override
    public String toString() {
        return name();
    }
}
