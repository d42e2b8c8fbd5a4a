package dev.attend.tensor;

import java.io.IOException;

/**
 * Random access to the bytes of a stored file that may not be on this machine's disk (a distributed file system,
 * an object store): its size, and positioned reads. The header readers ({@link Npy#readHeader(ByteSource, String)},
 * {@link Safetensors#readIndex(ByteSource, String)}) read only what the header needs, bounded before anything is
 * allocated, so a reader of shards fetches the bytes of its own rows and nothing else.
 */
public interface ByteSource {
    /** The length of the file in bytes. */
    long size() throws IOException;

    /** Fills {@code dst} with the bytes at {@code [position, position + dst.length)}; throws if the file ends first. */
    void readFully(long position, byte[] dst) throws IOException;

    /** The bytes at {@code [position, position + n)}, checked against the size first. */
    default byte[] read(long position, int n) throws IOException {
        long size = size();
        if (position < 0 || n < 0 || position + n > size) {
            throw new IOException("read of " + n + " bytes at " + position + " goes past the end of a " + size + "-byte file");
        }
        byte[] b = new byte[n];
        readFully(position, b);
        return b;
    }
}
