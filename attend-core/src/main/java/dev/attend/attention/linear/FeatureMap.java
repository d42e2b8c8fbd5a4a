package dev.attend.attention.linear;

/**
 * The feature map of kernel attention: {@code phi} with {@code phi(q) . phi(k)} the (unnormalised) weight of key k
 * for query q, so that {@code out_i = sum_j (phi(q_i) . phi(k_j)) v_j / sum_j phi(q_i) . phi(k_j)} costs
 * {@code O(L m D)} instead of {@code O(L^2 D)} ({@link LinearKernel}). Performer, cosFormer, elu+1 and the 2nd-order
 * Taylor map implement it; {@link KernelAttention} runs all of them on the same kernels.
 *
 * <p>Rows are written {@link #stride()} floats apart ({@link #features()} rounded up to the vector width for the GEMM
 * kernels), the padding features zero. A map may write a per-row log scale: the true features of row r are
 * {@code out[r] * exp(logScale[r])}. Query scales cancel in the ratio and are ignored; key scales are made common
 * to the keys a query sees by the kernel's running maximum (Performer's stabiliser). Maps without scales leave
 * {@code logScale} untouched and say so in {@link #scaled()}.
 */
interface FeatureMap {

    /** Which side of the score a row is on (Performer treats them alike; cosFormer alike; the distinction is for maps that do not). */
    enum Side { QUERY, KEY }

    /** {@code m}: features per row. */
    int features();

    /** Floats between rows of the output: {@code features()} padded to the vector width. */
    int stride();

    /** FLOPs {@link #map} does per row of {@code d} (counted in the kernel's stats beside the GEMMs; a transcendental counts one). */
    double flopsPerRow(int d);

    /** True when {@link #map} writes per-row log scales (then the kernel stabilises the keys). */
    boolean scaled();

    /**
     * Features of {@code rows} rows {@code x[r * d ..]} at sequence positions {@code pos0 + r} into
     * {@code out[r * stride() ..]} (padding zeroed) and, when {@link #scaled()}, their log scales into {@code logScale[r]}.
     */
    void map(Side side, float[] x, int rows, int d, int pos0, float[] out, float[] logScale);

    /**
     * The vector-Jacobian product: {@code dx[r] = (d phi / d x)^T dphi[r]} at {@code x[r]}, given the map's own output
     * {@code phi} there (log scales held constant: the attention output does not depend on them).
     */
    void backward(Side side, float[] x, int rows, int d, int pos0, float[] phi, float[] dphi, float[] dx);
}
