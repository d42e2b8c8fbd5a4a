package dev.attend.spark;

import dev.attend.tensor.ByteSource;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Files as every executor sees them. A plain path or a {@code file:} URI is read and written with {@code java.nio} (a local
 * disk in tests, a shared mount on a cluster); any other scheme ({@code hdfs:}, {@code s3a:}, ...) goes through Hadoop's
 * {@link FileSystem}, which Spark brings and configures. Reads are positioned ({@link ByteSource}); writes go to a
 * temporary name beside the target and are renamed over it once complete, so a file is there whole or not at all.
 */
final class Storage {
    private Storage() {}

    /** True for a URI that names a local path (no scheme, or {@code file:}). */
    static boolean isLocal(String uri) {
        // A scheme is letters, digits, '+', '-' or '.' before "://" (one letter alone is a Windows drive).
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]+):").matcher(uri);
        return !m.find() || m.group(1).equalsIgnoreCase("file");
    }

    static Path localPath(String uri) {
        return uri.startsWith("file:") ? Path.of(URI.create(uri)) : Path.of(uri);
    }

    /** Positioned reads of the file at {@code uri}; close it when done. */
    static Source open(String uri) throws IOException {
        if (isLocal(uri)) {
            FileChannel ch = FileChannel.open(localPath(uri), StandardOpenOption.READ);
            return new Source() {
                @Override
                public long size() throws IOException {
                    return ch.size();
                }

                @Override
                public void readFully(long position, byte[] dst) throws IOException {
                    ByteBuffer b = ByteBuffer.wrap(dst);
                    while (b.hasRemaining()) {
                        int n = ch.read(b, position + b.position());
                        if (n < 0) throw new IOException(uri + ": the file ended at " + (position + b.position()) + " bytes");
                    }
                }

                @Override
                public void close() throws IOException {
                    ch.close();
                }
            };
        }
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
        FileSystem fs = p.getFileSystem(new Configuration());
        long size = fs.getFileStatus(p).getLen();
        FSDataInputStream in = fs.open(p);
        return new Source() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public void readFully(long position, byte[] dst) throws IOException {
                in.readFully(position, dst);
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    /** A {@link ByteSource} to close. */
    interface Source extends ByteSource, AutoCloseable {
        @Override
        void close() throws IOException;
    }

    /** What writes the whole content of a file. */
    @FunctionalInterface
    interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Writes {@code uri} whole or not at all: to a temporary name beside it ({@code tag} keeps attempts apart), then renamed over it. */
    static void writeWhole(String uri, String tag, Writer body) throws IOException {
        if (isLocal(uri)) {
            Path target = localPath(uri).toAbsolutePath();
            Path tmp = target.resolveSibling("." + target.getFileName() + "." + tag + ".tmp");
            try {
                try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                    body.write(out);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return;
        }
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(uri);
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(target.getParent(), "." + target.getName() + "." + tag + ".tmp");
        FileSystem fs = target.getFileSystem(new Configuration());
        try {
            try (OutputStream out = fs.create(tmp, true)) {
                body.write(out);
            }
            if (fs.exists(target)) fs.delete(target, false);
            if (!fs.rename(tmp, target)) throw new IOException(uri + ": could not rename " + tmp + " over it");
        } finally {
            if (fs.exists(tmp)) fs.delete(tmp, false);
        }
    }

    /** Creates directory {@code uri} (and its parents) if it is not there. */
    static void mkdirs(String uri) {
        try {
            if (isLocal(uri)) Files.createDirectories(localPath(uri));
            else {
                org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
                p.getFileSystem(new Configuration()).mkdirs(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(uri + ": cannot create the directory", e);
        }
    }

    /** {@code dir} joined with {@code name}, in the URI's own syntax. */
    static String resolve(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }
}
