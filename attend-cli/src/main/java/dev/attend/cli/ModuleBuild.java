package dev.attend.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A module of this checkout that the CLI's own build leaves out because of what it downloads (attend-peers: ONNX Runtime,
 * libtorch, Jlama; attend-spark: Apache Spark), built on first use with {@code mvn -B -q [-P profile] -pl MODULE -am
 * -DskipTests package} in the project root, with a message on stderr while it does. Each such module writes
 * {@code target/classpath.txt} (its jar and runtime dependencies, one line) for the JVM the CLI starts on it.
 */
public final class ModuleBuild {
    private ModuleBuild() {}

    /** The project root (the launcher passes it as {@code -Dattend.root}). */
    public static Path root() {
        return Path.of(System.getProperty("attend.root", ".")).toAbsolutePath();
    }

    /** The file holding {@code module}'s runtime classpath, building it first when it is missing. */
    public static synchronized Path classpath(String module, String profile, String what) throws IOException, InterruptedException {
        Path root = root(), cp = root.resolve(module).resolve("target").resolve("classpath.txt");
        String why = !Files.isRegularFile(cp) ? "the first time downloads it from Maven Central" : stale(root, module, cp);
        if (why == null) return cp;
        if (!Files.isDirectory(root.resolve(module))) {
            throw new IOException("the " + module + " module is not in " + root + " (run attend from a source checkout)");
        }
        System.err.println("building " + module + " (" + what + "): " + why + "...");
        List<String> cmd = new ArrayList<>(List.of("mvn", "-B", "-q"));
        if (profile != null) cmd.addAll(List.of("-P", profile));
        cmd.addAll(List.of("-pl", module, "-am", "-DskipTests", "package"));
        Process p = new ProcessBuilder(cmd).directory(root.toFile()).inheritIO().start();
        if (!p.waitFor(60, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("building " + module + " failed (" + String.join(" ", cmd) + " in " + root + ")");
        }
        if (!Files.isRegularFile(cp)) throw new IOException("the " + module + " build wrote no " + cp);
        return cp;
    }

    /** Why the module's build is older than its sources (its own, core's, or a pom), or null when it is not. */
    private static String stale(Path root, String module, Path built) throws IOException {
        java.nio.file.attribute.FileTime t = Files.getLastModifiedTime(built);
        for (Path dir : List.of(root.resolve(module).resolve("src"), root.resolve("attend-core").resolve("src").resolve("main"),
                root.resolve("pom.xml"), root.resolve(module).resolve("pom.xml"))) {
            if (!Files.exists(dir)) continue;
            try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
                if (files.anyMatch(f -> {
                    try {
                        return Files.isRegularFile(f) && Files.getLastModifiedTime(f).compareTo(t) > 0;
                    } catch (IOException e) {
                        return true;
                    }
                })) {
                    return "sources changed";
                }
            }
        }
        return null;
    }
}
