package dev.attend.peers;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class LibtorchPeerTest extends PeerContract {
    @Override
    String peer() {
        return "libtorch";
    }

    @Test
    void topLeftCausalWithDifferentLengthsValidates() {
        ok(request("forward", "causal", 2, 2, 32, 64, 32));
    }

    @Test
    void variantNamesTheTorchVersion() {
        assertTrue(ok(request("forward", "full", 2, 2, 32, 32, 32)).variant().startsWith("libtorch 2.7.1 via DJL"));
    }
}
