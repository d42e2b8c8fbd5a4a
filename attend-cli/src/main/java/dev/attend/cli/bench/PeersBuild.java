package dev.attend.cli.bench;

import dev.attend.cli.ModuleBuild;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The optional attend-peers module, built on first use ({@link ModuleBuild}, profile {@code peers}), which downloads
 * ONNX Runtime, DJL/libtorch and Jlama from Maven Central once (hundreds of MB). The default build and CI never touch it.
 */
final class PeersBuild {
    private PeersBuild() {}

    /** The file holding the peers' runtime classpath, building the module first when it is missing. */
    static Path classpath() throws IOException, InterruptedException {
        return ModuleBuild.classpath("attend-peers", "peers", "the peers: ONNX Runtime, libtorch via DJL, Jlama; several hundred MB");
    }
}
