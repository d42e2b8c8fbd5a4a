package dev.attend.peers;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.Workload;
import dev.attend.attention.mask.Mask;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every peer must do, run by one subclass per peer (each test class in its own JVM, as the bench runs each
 * peer): validate against the reference on small full, causal, decode and grouped-query cases through the whole
 * {@link PeerMain#run} path, compute a causal mask that is really causal, and refuse what it cannot express.
 */
abstract class PeerContract {
    abstract String peer();

    /** A request with the smallest timing budget: no warm-up, one timed run. */
    PeerRequest request(String pass, String mask, int hq, int hkv, int lq, int lk, int d) {
        return request(pass, mask, 1, hq, hkv, lq, lk, d);
    }

    PeerRequest request(String pass, String mask, int b, int hq, int hkv, int lq, int lk, int d) {
        return new PeerRequest(peer(), new Workload("flash", Workload.Pass.valueOf(pass.toUpperCase(java.util.Locale.ROOT)),
                new Workload.Shape(b, hq, hkv, lq, lk, d), Workload.MaskAt.fixed(mask)), 2, 0, 0, 1, 2, 0);
    }

    PeerMain.Response ok(PeerRequest r) {
        PeerMain.Response resp = PeerMain.run(r);
        assertEquals("ok", resp.status(), () -> resp.toJson());
        assertTrue(resp.validation().maxAbsError() < 1e-5, () -> "max abs error " + resp.toJson());
        assertFalse(resp.timesMs().isEmpty());
        assertFalse(resp.variant().isBlank());
        return resp;
    }

    @Test
    void fullAttentionValidates() {
        ok(request("forward", "full", 4, 4, 96, 96, 64));
    }

    @Test
    void causalValidates() {
        ok(request("forward", "causal", 4, 4, 96, 96, 64));
    }

    @Test
    void groupedQueryCausalValidates() {
        ok(request("forward", "causal", 4, 2, 80, 80, 32));
    }

    @Test
    void groupedQueryFullValidates() {
        ok(request("forward", "full", 4, 2, 48, 80, 32));
    }

    @Test
    void batchesValidate() {
        ok(request("forward", "causal", 2, 4, 2, 64, 64, 32));
        ok(request("forward", "full", 2, 2, 2, 32, 48, 32));
        ok(request("decode", "causal-br", 2, 4, 1, 1, 100, 32));
    }

    @Test
    void decodeOneQueryValidates() {
        PeerMain.Response r = ok(request("decode", "causal-br", 4, 2, 1, 300, 64));
        assertEquals(1, r.validation().lq());
    }

    @Test
    void decodeQueryBlockValidates() {
        ok(request("decode", "causal-br", 4, 2, 8, 200, 32));
    }

    @Test
    void largeWorkloadValidatesAtASmallSizeAndTimesTheFullOne() {
        PeerMain.Response r = ok(request("forward", "causal", 2, 2, 512, 512, 32));
        assertEquals(256, r.validation().lq());
    }

    /** The peer's causal output matches the causal reference, and is far from full attention: the mask is real. */
    @Test
    void causalMaskIsReallyCausal() throws Exception {
        Workload w = request("forward", "causal", 2, 1, 64, 64, 32).workload();
        AttentionProblem p = w.problem();
        PeerRunner runner = PeerMain.runner(peer());
        runner.load(2);
        float[] out;
        try (PeerRunner.Prepared prepared = runner.prepare(w, p, 2)) {
            prepared.run();
            out = prepared.output();
            prepared.release();
        }
        float[] causal = Attention.reference().forward(p).out().toArray();
        float[] full = Attention.reference().forward(p.withMask(Mask.parse("full"))).out().toArray();
        assertTrue(maxAbs(out, causal) < 1e-5, "vs causal reference: " + maxAbs(out, causal));
        assertTrue(maxAbs(out, full) > 0.1, "vs full attention: " + maxAbs(out, full));
    }

    @Test
    void otherMasksAreUnsupported() {
        for (String mask : new String[] {"sliding:16", "document-causal:32,32", "prefix-lm:8"}) {
            PeerMain.Response r = PeerMain.run(request("forward", mask, 2, 2, 64, 64, 32));
            assertEquals("unsupported", r.status(), r::toJson);
            assertTrue(r.message().contains(mask), r::toJson);
            assertTrue(r.timesMs().isEmpty());
        }
    }

    @Test
    void backwardIsUnsupported() {
        PeerMain.Response r = PeerMain.run(request("backward", "causal", 2, 2, 64, 64, 32));
        assertEquals("unsupported", r.status(), r::toJson);
    }

    static double maxAbs(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
