package dev.attend.attention.mixer;

/**
 * Complex FFT in double precision for the token mixers: iterative radix-2 for powers of two, Bluestein's chirp-z
 * (three power-of-two FFTs) for any other length, so every length costs {@code O(n log n)}. Arrays hold the real and
 * imaginary parts; transforms are in place and unnormalised ({@code inverse} uses {@code e^{+2 pi i jk/n}}).
 */
final class Fft {
    private Fft() {}

    /** The DFT of any length {@code re.length}. */
    static void dft(double[] re, double[] im, boolean inverse) {
        int n = re.length;
        if (Integer.bitCount(n) == 1) {
            radix2(re, im, inverse);
            return;
        }
        // Bluestein: X_k = conj(w_k) sum_j (x_j conj(w_j)) w_{k-j}, w_j = e^{i pi j^2 / n} (sign flipped for inverse).
        int m = Integer.highestOneBit(2 * n - 1) << 1;
        double sign = inverse ? -1 : 1;
        double[] wr = new double[n], wi = new double[n];
        for (int j = 0; j < n; j++) {
            double a = Math.PI * ((long) j * j % (2L * n)) / n;
            wr[j] = Math.cos(a);
            wi[j] = sign * Math.sin(a);
        }
        double[] ar = new double[m], ai = new double[m], br = new double[m], bi = new double[m];
        for (int j = 0; j < n; j++) {
            ar[j] = re[j] * wr[j] + im[j] * wi[j];
            ai[j] = im[j] * wr[j] - re[j] * wi[j];
        }
        br[0] = wr[0];
        bi[0] = wi[0];
        for (int j = 1; j < n; j++) {
            br[j] = br[m - j] = wr[j];
            bi[j] = bi[m - j] = wi[j];
        }
        radix2(ar, ai, false);
        radix2(br, bi, false);
        for (int j = 0; j < m; j++) {
            double r = ar[j] * br[j] - ai[j] * bi[j], i = ar[j] * bi[j] + ai[j] * br[j];
            ar[j] = r;
            ai[j] = i;
        }
        radix2(ar, ai, true);
        for (int k = 0; k < n; k++) {
            double r = ar[k] / m, i = ai[k] / m;
            re[k] = r * wr[k] + i * wi[k];
            im[k] = i * wr[k] - r * wi[k];
        }
    }

    /** Radix-2 in place; {@code re.length} a power of two. */
    static void radix2(double[] re, double[] im, boolean inverse) {
        int n = re.length;
        for (int i = 1, j = 0; i < n; i++) {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j ^= bit;
            if (i < j) {
                double t = re[i]; re[i] = re[j]; re[j] = t;
                t = im[i]; im[i] = im[j]; im[j] = t;
            }
        }
        for (int len = 2; len <= n; len <<= 1) {
            double a = 2 * Math.PI / len * (inverse ? 1 : -1), wr = Math.cos(a), wi = Math.sin(a);
            for (int i = 0; i < n; i += len) {
                double cr = 1, ci = 0;
                for (int k = 0; k < len / 2; k++) {
                    int p = i + k, q = p + len / 2;
                    double xr = re[q] * cr - im[q] * ci, xi = re[q] * ci + im[q] * cr;
                    re[q] = re[p] - xr;
                    im[q] = im[p] - xi;
                    re[p] += xr;
                    im[p] += xi;
                    double t = cr * wr - ci * wi;
                    ci = cr * wi + ci * wr;
                    cr = t;
                }
            }
        }
    }

    /** {@code y_i = sum_{j <= i} h_{i - j} x_j} for i in [0, n): the causal convolution by one FFT product of size 2n. */
    static double[] causalConvolution(double[] h, double[] x) {
        int n = x.length, m = Integer.highestOneBit(Math.max(1, 2 * n - 1)) << 1;
        double[] ar = new double[m], ai = new double[m], br = new double[m], bi = new double[m];
        System.arraycopy(h, 0, ar, 0, n);
        System.arraycopy(x, 0, br, 0, n);
        radix2(ar, ai, false);
        radix2(br, bi, false);
        for (int j = 0; j < m; j++) {
            double r = ar[j] * br[j] - ai[j] * bi[j], i = ar[j] * bi[j] + ai[j] * br[j];
            ar[j] = r;
            ai[j] = i;
        }
        radix2(ar, ai, true);
        double[] y = new double[n];
        for (int i = 0; i < n; i++) y[i] = ar[i] / m;
        return y;
    }
}
