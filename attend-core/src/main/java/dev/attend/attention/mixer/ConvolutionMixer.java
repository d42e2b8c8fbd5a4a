package dev.attend.attention.mixer;

/**
 * Toeplitz mixing by a per-channel kernel {@code h_c[t]}: causal {@code y_i = sum_{j <= i} h[i - j] v_j}, non-causal
 * the symmetric {@code y_i = sum_j h[|i - j|] v_j} (the causal sum plus its mirror image, {@code h[0]} counted once),
 * each by FFT in {@code O(L log L)} per channel (a channel holding a non-finite value takes the direct
 * {@code O(L^2)} sum, so that it reaches only the rows that see it). Long convolution and S4D differ only in the kernel.
 * P is Toeplitz, so its transpose is P with time reversed ({@code P^T = J P J}): the backward pass is the forward
 * on the reversed gradients.
 */
abstract class ConvolutionMixer extends TokenMixer {

    ConvolutionMixer(dev.attend.attention.MechanismDescriptor d, dev.attend.attention.Params p) {
        super(d, p);
    }

    /** The kernel of channel {@code c} over {@code l} lags. */
    abstract double[] kernel(int c, int d, int l);

    @Override
    void mix(double[][] v, boolean causal, double[][] out) {
        int l = v.length, d = v[0].length;
        double[] x = new double[l], flipped = new double[l];
        for (int c = 0; c < d; c++) {
            double[] h = kernel(c, d, l);
            for (int t = 0; t < l; t++) x[t] = v[t][c];
            boolean finite = true;
            for (double a : x) finite &= Double.isFinite(a);
            if (!finite) {
                // An FFT spreads a NaN to every output; the direct sum keeps it to the rows that see it.
                for (int i = 0; i < l; i++) {
                    double y = 0;
                    for (int j = 0; j < (causal ? i + 1 : l); j++) y += h[Math.abs(i - j)] * x[j];
                    out[i][c] = y;
                }
                continue;
            }
            double[] y = Fft.causalConvolution(h, x);
            if (!causal) {
                for (int t = 0; t < l; t++) flipped[t] = x[l - 1 - t];
                double[] back = Fft.causalConvolution(h, flipped);
                for (int t = 0; t < l; t++) y[t] += back[l - 1 - t] - h[0] * x[t];
            }
            for (int t = 0; t < l; t++) out[t][c] = y[t];
        }
    }

    @Override
    void mixTransposed(double[][] g, boolean causal, double[][] out) {
        int l = g.length;
        double[][] reversed = new double[l][], mixed = new double[l][g[0].length];
        for (int t = 0; t < l; t++) reversed[t] = g[l - 1 - t];
        mix(reversed, causal, mixed);
        for (int t = 0; t < l; t++) out[t] = mixed[l - 1 - t];
    }
}
