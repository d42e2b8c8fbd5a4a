package dev.attend.spark;

import dev.attend.tensor.Bf16;
import dev.attend.tensor.DType;
import dev.attend.tensor.F16;
import dev.attend.tensor.Npy;
import dev.attend.tensor.Safetensors;
import dev.attend.tensor.Tensor;

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * An input tensor {@code [B, H, L, D]} where it lies in a file every executor can read: a {@code .npy} file, or one
 * tensor of a safetensors file named as {@code path#name}. Only the header is read to make one; an executor then reads
 * the rows of its own shard ({@link #read}) by positioned reads, never the whole file.
 */
record StoredTensor(String spec, String uri, DType dtype, long[] shape, long offset) implements Serializable {

    /** Opens {@code spec} ({@code file.npy}, or {@code file.safetensors#name}) and reads its header; {@code what} names it in errors. */
    static StoredTensor open(String what, String spec) throws IOException {
        return open(what, spec, false);
    }

    /** A log-sum-exp part {@code [B, H, L]}, seen as {@code [B, H, L, 1]}. */
    static StoredTensor openLse(String what, String spec) throws IOException {
        return open(what, spec, true);
    }

    private static StoredTensor open(String what, String spec, boolean lse) throws IOException {
        int hash = spec.lastIndexOf('#');
        String uri = hash < 0 ? spec : spec.substring(0, hash);
        try (Storage.Source in = Storage.open(uri)) {
            StoredTensor t;
            if (hash < 0) {
                Npy.Header h = Npy.readHeader(in, uri);
                t = new StoredTensor(spec, uri, h.dtype(), h.shape(), h.dataOffset());
            } else {
                String name = spec.substring(hash + 1);
                Map<String, Safetensors.Stored> index = Safetensors.readIndex(in, uri);
                Safetensors.Stored s = index.get(name);
                if (s == null) {
                    throw new IllegalArgumentException(what + ": " + uri + " holds no tensor '" + name + "', it holds " + index.keySet());
                }
                t = new StoredTensor(spec, uri, s.dtype(), s.shape(), s.offset());
            }
            if (lse && t.shape.length == 3) {
                t = new StoredTensor(spec, uri, t.dtype, new long[] {t.shape[0], t.shape[1], t.shape[2], 1}, t.offset);
            }
            if (t.shape.length != 4) {
                throw new IllegalArgumentException(what + ": expected 4 dimensions [B, H, L, D], got " + t.shape.length + " "
                        + Arrays.toString(t.shape) + " in " + spec);
            }
            return t;
        }
    }

    int dim(int i) {
        return Math.toIntExact(shape[i]);
    }

    /**
     * Rows {@code rows} (in that order) of heads {@code [h0, h1)} of every batch entry, as a new F32 tensor
     * {@code [B, h1-h0, sum of rows, D]}: one positioned read per (b, h, range). Returns the bytes read in {@code read[0]}.
     */
    Tensor read(int h0, int h1, List<ShardPlan.Range> rows, long[] read) throws IOException {
        int b = dim(0), h = dim(1), l = dim(2), d = dim(3), n = rows.stream().mapToInt(ShardPlan.Range::length).sum();
        int size = dtype == DType.F32 ? 4 : 2;
        float[] out = new float[Math.multiplyExact(Math.multiplyExact(b * (h1 - h0), n), d)];
        try (Storage.Source in = Storage.open(uri)) {
            int at = 0;
            for (int bi = 0; bi < b; bi++) {
                for (int hi = h0; hi < h1; hi++) {
                    for (ShardPlan.Range r : rows) {
                        long pos = offset + (((long) bi * h + hi) * l + r.start()) * d * size;
                        byte[] bytes = in.read(pos, Math.multiplyExact(r.length() * d, size));
                        read[0] += bytes.length;
                        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                        int m = r.length() * d;
                        switch (dtype) {
                            case F32 -> buf.asFloatBuffer().get(out, at, m);
                            case F16 -> { for (int i = 0; i < m; i++) out[at + i] = F16.toFloat(buf.getShort(2 * i)); }
                            case BF16 -> { for (int i = 0; i < m; i++) out[at + i] = Bf16.toFloat(buf.getShort(2 * i)); }
                            default -> throw new IllegalStateException(spec + ": stored as " + dtype + ", expected F32, F16 or BF16");
                        }
                        at += m;
                    }
                }
            }
        }
        return Tensor.of(out, b, h1 - h0, n, d);
    }
}
