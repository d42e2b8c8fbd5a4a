package dev.attend.cli;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the CLI writes files: every output is checked before any work (it may not be an input, another
 * output, a directory, or in a directory that does not exist), then written to a temporary file beside
 * its target and moved into place only when every output was written. A failure leaves the targets as
 * they were: no command destroys a user's file.
 */
final class OutputFiles {
    /** Writes one output to the given (temporary) path. */
    @FunctionalInterface
    interface Writer {
        void write(Path to) throws IOException;
    }

    private OutputFiles() {}

    /**
     * Refuses, before any work, an output that is also an input or another output (same path, or the same
     * file through a link) or that cannot be created. Keys are option names, e.g. {@code "--out"}.
     *
     * @throws picocli.CommandLine.ParameterException a usage error (exit 2) naming the options
     */
    static void check(picocli.CommandLine cl, Map<String, Path> inputs, Map<String, Path> outputs) {
        Map<String, Path> seen = new LinkedHashMap<>();
        for (Map.Entry<String, Path> in : inputs.entrySet()) seen.put(in.getKey(), in.getValue());
        for (Map.Entry<String, Path> out : outputs.entrySet()) {
            Path p = out.getValue();
            if (p == null) continue;
            for (Map.Entry<String, Path> other : seen.entrySet()) {
                if (other.getValue() != null && same(p, other.getValue())) {
                    throw new picocli.CommandLine.ParameterException(cl, out.getKey() + ": '" + p + "' is also " + other.getKey()
                            + (inputs.containsKey(other.getKey()) ? " (an input would be overwritten)" : " (one output would replace the other)"));
                }
            }
            if (Files.isDirectory(p)) {
                throw new picocli.CommandLine.ParameterException(cl, out.getKey() + ": '" + p + "' is a directory, expected a file path");
            }
            Path dir = parent(p);
            if (!Files.isDirectory(dir)) {
                throw new picocli.CommandLine.ParameterException(cl, out.getKey() + ": directory '" + dir + "' does not exist");
            }
            if (!Files.isWritable(dir)) {
                throw new picocli.CommandLine.ParameterException(cl, out.getKey() + ": directory '" + dir + "' is not writable");
            }
            seen.put(out.getKey(), p);
        }
    }

    /** Writes every output to a temporary sibling first, then moves each into place; on any failure no target changes. */
    static void writeAll(Map<Path, Writer> outputs) throws IOException {
        List<Path[]> staged = new ArrayList<>();
        try {
            for (Map.Entry<Path, Writer> e : outputs.entrySet()) {
                Path target = e.getKey().toAbsolutePath();
                Path tmp = Files.createTempFile(parent(target), "." + target.getFileName(), ".tmp");
                staged.add(new Path[] {tmp, target});
                e.getValue().write(tmp);
            }
            for (Path[] s : staged) move(s[0], s[1]);
            staged.clear();
        } finally {
            for (Path[] s : staged) Files.deleteIfExists(s[0]);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static boolean same(Path a, Path b) {
        Path x = a.toAbsolutePath().normalize(), y = b.toAbsolutePath().normalize();
        if (x.equals(y)) return true;
        try {
            return Files.exists(x) && Files.exists(y) && Files.isSameFile(x, y);
        } catch (IOException e) {
            return false;
        }
    }

    private static Path parent(Path p) {
        Path parent = p.toAbsolutePath().getParent();
        return parent == null ? p.toAbsolutePath().getRoot() : parent;
    }
}
