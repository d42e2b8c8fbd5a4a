package dev.attend.peers;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JlamaPeerTest extends PeerContract {
    @Override
    String peer() {
        return "jlama";
    }

    @Test
    void topLeftCausalWithDifferentLengthsValidates() {
        ok(request("forward", "causal", 2, 2, 32, 64, 32));
    }

    @Test
    void headDimWithoutWholeVectorsIsUnsupported() {
        PeerMain.Response r = PeerMain.run(request("forward", "full", 2, 2, 32, 32, 24));
        assertEquals("unsupported", r.status(), r::toJson);
        assertTrue(r.message().contains("head dim 24"), r::toJson);
    }
}
