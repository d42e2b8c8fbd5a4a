package dev.attend.peers;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxPeerTest extends PeerContract {
    @Override
    String peer() {
        return "onnx";
    }

    @Test
    void fullForwardRunsTheFusedMultiHeadAttention() {
        PeerMain.Response r = ok(request("forward", "full", 4, 4, 64, 64, 64));
        assertTrue(r.variant().startsWith("com.microsoft.MultiHeadAttention, fused flash kernel"), r.variant());
    }

    @Test
    void causalRunsGroupQueryAttention() {
        assertTrue(ok(request("forward", "causal", 4, 2, 64, 64, 64)).variant().startsWith("com.microsoft.GroupQueryAttention"));
    }

    @Test
    void topLeftCausalWithDifferentLengthsIsUnsupported() {
        PeerMain.Response r = PeerMain.run(request("forward", "causal", 2, 2, 32, 64, 32));
        assertEquals("unsupported", r.status(), r::toJson);
        assertTrue(r.message().contains("bottom-right"), r::toJson);
    }
}
