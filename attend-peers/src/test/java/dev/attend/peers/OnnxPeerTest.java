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
    void topLeftCausalWithDifferentLengthsRunsTheStandardAttentionOperator() {
        assertTrue(ok(request("forward", "causal", 4, 2, 32, 64, 32)).variant().startsWith("ONNX Attention (opset 23)"));
        assertTrue(ok(request("forward", "causal", 4, 2, 64, 32, 32)).variant().startsWith("ONNX Attention (opset 23)"));
    }

    @Test
    void aQueryChunkOverACacheNeedsBatchOne() {
        PeerMain.Response resp = PeerMain.run(request("decode", "causal-br", 2, 2, 2, 8, 64, 32));
        assertEquals("unsupported", resp.status(), resp::toJson);
        assertTrue(resp.message().contains("B = 1"), resp::toJson);
    }
}
