package dev.attend.attention.mixer;

/**
 * Toeplitz mixing by a per-channel kernel {@code h_c[t]}: causal {@code y_i = sum_{j <= i} h[i - j] v_j}, non-causal
 * the symmetric {@code y_i = sum_j h[|i - j|] v_j} (the causal sum plus its mirror image, {@code h[0]} counted once),
 * each by FFT in {@code O(L log L)} per channel, two channels per complex FFT (a channel holding a non-finite value
 * takes the direct {@code O(L^2)} sum, so that it reaches only the rows that see it). Long convolution and S4D share
 * the kernel's definition; S4D computes its parallel form by a chunked scan instead.
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
        int d = v.length, l = v[0].length;
        // Channels two at a time (one complex FFT carries two real signals); a channel holding a non-finite value is
        // summed directly: an FFT spreads a NaN to every output, the direct sum keeps it to the rows that see it.
        int pending = -1;
        for (int c = 0; c < d; c++) {
            boolean finite = true;
            for (double a : v[c]) finite &= Double.isFinite(a);
            if (!finite) {
                direct(kernel(c, d, l), v[c], causal, out[c]);
            } else if (pending < 0) {
                pending = c;
            } else {
                convolve(kernel(pending, d, l), v[pending], kernel(c, d, l), v[c], causal, out[pending], out[c]);
                pending = -1;
            }
        }
        if (pending >= 0) {
            double[] h = kernel(pending, d, l);
            convolve(h, v[pending], h, v[pending], causal, out[pending], out[pending]);
        }
    }

    /** Two channels by FFT: {@code o1 = P_1 x1}, {@code o2 = P_2 x2} (the causal sum, plus its mirror for the symmetric form). */
    private static void convolve(double[] h1, double[] x1, double[] h2, double[] x2, boolean causal, double[] o1, double[] o2) {
        int l = x1.length;
        double[] y1 = new double[l], y2 = new double[l];
        Fft.causalConvolutions(h1, x1, h2, x2, y1, y2);
        if (!causal) {
            double[] f1 = reversed(x1), f2 = reversed(x2), b1 = new double[l], b2 = new double[l];
            Fft.causalConvolutions(h1, f1, h2, f2, b1, b2);
            for (int t = 0; t < l; t++) {
                y1[t] += b1[l - 1 - t] - h1[0] * x1[t];
                y2[t] += b2[l - 1 - t] - h2[0] * x2[t];
            }
        }
        System.arraycopy(y1, 0, o1, 0, l);
        System.arraycopy(y2, 0, o2, 0, l);
    }

    private static void direct(double[] h, double[] x, boolean causal, double[] o) {
        int l = x.length;
        for (int i = 0; i < l; i++) {
            double y = 0;
            for (int j = 0; j < (causal ? i + 1 : l); j++) y += h[Math.abs(i - j)] * x[j];
            o[i] = y;
        }
    }

    private static double[] reversed(double[] x) {
        double[] r = new double[x.length];
        for (int t = 0; t < x.length; t++) r[t] = x[x.length - 1 - t];
        return r;
    }

    /** The FFT path's FLOPs (a pair of convolutions per two channels, twice for the symmetric form); a channel summed directly is not counted. */
    @Override
    double mixFlops(int l, int d, boolean causal) {
        return (causal ? 1 : 2) * (double) ((d + 1) / 2) * Fft.causalConvolutionPairFlops(l);
    }

    @Override
    void mixTransposed(double[][] g, boolean causal, double[][] out) {
        double[][] backwards = new double[g.length][];
        for (int c = 0; c < g.length; c++) backwards[c] = reversed(g[c]);
        mix(backwards, causal, out);
        for (int c = 0; c < out.length; c++) out[c] = reversed(out[c]);
    }
}
