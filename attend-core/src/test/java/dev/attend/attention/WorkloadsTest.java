package dev.attend.attention;

import dev.attend.attention.decode.KvCache;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every workload the benchmark measures ({@link Workloads}), shrunk to a small length and checked against the
 * fp64 reference: what is measured is what is tested.
 */
class WorkloadsTest {
    static List<Workload> workloads() {
        return Workloads.exact(false);
    }

    @ParameterizedTest
    @MethodSource("workloads")
    void theBenchmarkedWorkloadIsCorrectAtASmallSize(Workload full) {
        Workload w = full.pass() == Workload.Pass.DECODE ? full.withLengths(1, 300) : full.withLengths(260, 260);
        AttentionProblem p = w.problem();
        AttentionMechanism m = Attention.of(w.mechanism());
        assertTrue(m.supports(p).supported(), m.supports(p).reason());
        AttentionResult want = Attention.reference().forward(p);
        double tolerance = m.descriptor().isExact() ? 2e-5 : 2e-2;  // BF16 and Q8_0 caches round their inputs
        if (w.pass() == Workload.Pass.DECODE) {
            DecodingMechanism dm = (DecodingMechanism) m;
            KvCache cache = dm.newCache(p.batch(), p.hkv(), p.headDim(), 16);
            cache.append(p.k(), p.v());
            assertEquals(0, Cases.maxAbsDiff(want.out(), dm.attend(p.q(), cache).out()), tolerance * Cases.maxAbs(p.v()), w.name());
            assertEquals(dm.stepBytes(p.batch(), p.hkv(), p.lk(), p.headDim()), cache.bytesRead());
            return;
        }
        AttentionResult got = m.forward(p);
        assertEquals(0, Cases.maxAbsDiff(want.out(), got.out()), tolerance * Cases.maxAbs(p.v()), w.name());
        assertEquals(Cost.forwardFlops(p) * (w.pass() == Workload.Pass.BACKWARD ? Cost.BACKWARD_FACTOR : 1), w.usefulFlops());
        if (w.pass() == Workload.Pass.BACKWARD) {
            Gradients gw = Attention.reference().backward(p, want, w.gradOutput()), gg = m.backward(p, got, w.gradOutput());
            assertEquals(0, Cases.maxAbsDiff(gw.dk(), gg.dk()), 1e-4 * Math.max(1, Cases.maxAbs(gw.dk())), w.name());
            assertEquals(0, Cases.maxAbsDiff(gw.dq(), gg.dq()), 1e-4 * Math.max(1, Cases.maxAbs(gw.dq())), w.name());
        }
    }
}
