package dev.attend.attention;

import dev.attend.tensor.Tensor;

/**
 * Row addresses of a rank-4 tensor view whose last dimension is contiguous, so kernels read
 * {@code [B, H, L, D]} rows in place whatever the view's strides: a {@code [B, L, H, D]} tensor from a
 * linear layer, permuted, needs no copy. A view whose last dimension is strided is copied once.
 * {@code heap} is the backing array when there is one (then float index i of the segment is heap[i]).
 */
record Strided(Tensor t, long offset, long s0, long s1, long s2, float[] heap) {

    static Strided of(Tensor t) {
        Tensor c = t.dim(3) == 1 || t.stride(3) == 1 ? t : t.contiguous();
        return new Strided(c, c.offset(), c.stride(0), c.stride(1), c.stride(2), c.heapArray());
    }

    /** Float index in the segment of row {@code i} of (b, h). */
    long row(int b, int h, int i) {
        return offset + b * s0 + h * s1 + i * s2;
    }

    void read(long at, float[] dst, int off, int n) {
        t.readFloats(at, dst, off, n);
    }
}
