package dev.attend.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The optional attend-peers module, built on first use: {@code mvn -B -q -P peers -pl attend-peers -am -DskipTests
 * package} in the project root, which downloads ONNX Runtime, DJL/libtorch and Jlama from Maven Central once
 * (hundreds of MB), with a message on stderr while it does. The default build and CI never touch it.
 */
final class PeersBuild {
    private static Path built;

    private PeersBuild() {}

    /** The file holding the peers' runtime classpath, building the module first when it is missing. */
    static synchronized Path classpath() throws IOException, InterruptedException {
        if (built != null) return built;
        Path root = PeerCases.root(), cp = root.resolve("attend-peers").resolve("target").resolve("classpath.txt");
        if (!Files.isRegularFile(cp)) {
            if (!Files.isDirectory(root.resolve("attend-peers"))) {
                throw new IOException("the attend-peers module is not in " + root + " (run attend from a source checkout)");
            }
            System.err.println("building the peers (ONNX Runtime, libtorch via DJL, Jlama): the first time downloads several hundred MB...");
            Process p = new ProcessBuilder("mvn", "-B", "-q", "-P", "peers", "-pl", "attend-peers", "-am", "-DskipTests", "package")
                    .directory(root.toFile()).inheritIO().start();
            if (!p.waitFor(60, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("building attend-peers failed (mvn -P peers -pl attend-peers -am package in " + root + ")");
            }
            if (!Files.isRegularFile(cp)) throw new IOException("the peers build wrote no " + cp);
        }
        built = cp;
        return cp;
    }
}
