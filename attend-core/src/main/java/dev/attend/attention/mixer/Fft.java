package dev.attend.attention.mixer;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.concurrent.ConcurrentHashMap;

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
        int m = linearSize(n);
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

    /** FLOPs of {@link #dft} of length {@code n}: {@code 5 n log2 n} radix-2, three FFTs of 2n or more and the chirps by Bluestein. */
    static double dftFlops(int n) {
        if (Integer.bitCount(n) == 1) return radix2Flops(n);
        int m = linearSize(n);
        return 3 * radix2Flops(m) + 6.0 * m + 12.0 * n;
    }

    /** FLOPs of {@link #causalConvolutions} (two convolutions of length {@code n}): three FFTs of the padded size and the products. */
    static double causalConvolutionPairFlops(int n) {
        int m = linearSize(n);
        return 3 * radix2Flops(m) + 20.0 * m;
    }

    /** The power of two above {@code 2n - 1}: room for a linear (not circular) convolution of two length-n signals. */
    private static int linearSize(int n) {
        return Integer.highestOneBit(Math.max(1, 2 * n - 1)) << 1;
    }

    private static double radix2Flops(int n) {
        return 5.0 * n * Integer.numberOfTrailingZeros(n);
    }

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    /**
     * The twiddles of every stage of a size, {@code cos} and {@code sin} of {@code -2 pi k / len} for the stage of
     * half-length {@code h = len / 2} at {@code [h - 1 + k]}, k < h: contiguous per stage, so a stage loads them as
     * vectors (n - 1 of each per size, 8 MB at n = 2^19; computed once per size).
     */
    private record Twiddles(double[] cos, double[] sin) {}

    private static final ConcurrentHashMap<Integer, Twiddles> TWIDDLES = new ConcurrentHashMap<>();

    private static Twiddles twiddles(int n) {
        return TWIDDLES.computeIfAbsent(n, size -> {
            double[] c = new double[Math.max(1, size - 1)], sn = new double[Math.max(1, size - 1)];
            for (int h = 1; h < size; h <<= 1) {
                for (int k = 0; k < h; k++) {
                    double a = -Math.PI * k / h;
                    c[h - 1 + k] = Math.cos(a);
                    sn[h - 1 + k] = Math.sin(a);
                }
            }
            return new Twiddles(c, sn);
        });
    }

    /**
     * Radix-2 in place; {@code re.length} a power of two. Twiddles come from a table (exact to rounding at every
     * stage); a stage whose half-length holds whole vectors runs its butterflies {@link #S} lanes at a time.
     */
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
        Twiddles w = twiddles(n);
        double sign = inverse ? -1 : 1;
        int lanes = S.length();
        for (int half = 1; half < n; half <<= 1) {
            int at = half - 1;
            for (int i = 0; i < n; i += 2 * half) {
                if (half >= lanes) {
                    for (int k = 0; k < half; k += lanes) {
                        int p = i + k, q = p + half;
                        DoubleVector cr = DoubleVector.fromArray(S, w.cos, at + k), ci = DoubleVector.fromArray(S, w.sin, at + k).mul(sign);
                        DoubleVector br = DoubleVector.fromArray(S, re, q), bi = DoubleVector.fromArray(S, im, q);
                        DoubleVector xr = br.mul(cr).sub(bi.mul(ci)), xi = br.mul(ci).add(bi.mul(cr));
                        DoubleVector ar = DoubleVector.fromArray(S, re, p), ai = DoubleVector.fromArray(S, im, p);
                        ar.sub(xr).intoArray(re, q);
                        ai.sub(xi).intoArray(im, q);
                        ar.add(xr).intoArray(re, p);
                        ai.add(xi).intoArray(im, p);
                    }
                    continue;
                }
                for (int k = 0; k < half; k++) {
                    int p = i + k, q = p + half;
                    double cr = w.cos[at + k], ci = sign * w.sin[at + k];
                    double xr = re[q] * cr - im[q] * ci, xi = re[q] * ci + im[q] * cr;
                    re[q] = re[p] - xr;
                    im[q] = im[p] - xi;
                    re[p] += xr;
                    im[p] += xi;
                }
            }
        }
    }

    /**
     * Two causal convolutions of real signals at once, {@code y1 = h1 * x1} and {@code y2 = h2 * x2}: each pair of
     * real inputs is one complex FFT ({@code x1 + i x2}), split by the Hermitian symmetry of a real signal's spectrum,
     * and the two real outputs are one inverse FFT ({@code y1 + i y2}): three FFTs of size 2n where two separate
     * convolutions take six.
     */
    static void causalConvolutions(double[] h1, double[] x1, double[] h2, double[] x2, double[] y1, double[] y2) {
        int n = x1.length, m = linearSize(n);
        double[] hr = new double[m], hi = new double[m], xr = new double[m], xi = new double[m];
        System.arraycopy(h1, 0, hr, 0, n);
        System.arraycopy(h2, 0, hi, 0, n);
        System.arraycopy(x1, 0, xr, 0, n);
        System.arraycopy(x2, 0, xi, 0, n);
        radix2(hr, hi, false);
        radix2(xr, xi, false);
        // With Z = FFT(a + i b) and j = m - k: A_k = (Z_k + conj Z_j) / 2 and B_k = (Z_k - conj Z_j) / 2i. A real
        // signal's spectrum has A_j = conj A_k, so the products at j are the conjugates of those at k: each pair
        // (k, j) is read once and both are written.
        for (int k = 0; k <= m / 2; k++) {
            int j = (m - k) & (m - 1);
            double h1r = (hr[k] + hr[j]) / 2, h1i = (hi[k] - hi[j]) / 2, h2r = (hi[k] + hi[j]) / 2, h2i = (hr[j] - hr[k]) / 2;
            double x1r = (xr[k] + xr[j]) / 2, x1i = (xi[k] - xi[j]) / 2, x2r = (xi[k] + xi[j]) / 2, x2i = (xr[j] - xr[k]) / 2;
            double y1r = h1r * x1r - h1i * x1i, y1i = h1r * x1i + h1i * x1r;   // Y1 = H1 X1
            double y2r = h2r * x2r - h2i * x2i, y2i = h2r * x2i + h2i * x2r;   // Y2 = H2 X2
            xr[k] = y1r - y2i;   // Y1 + i Y2 at k
            xi[k] = y1i + y2r;
            xr[j] = y1r + y2i;   // conj Y1 + i conj Y2 at j (the same cell when j == k, where both are real)
            xi[j] = y2r - y1i;
        }
        radix2(xr, xi, true);
        for (int i = 0; i < n; i++) {
            y1[i] = xr[i] / m;
            y2[i] = xi[i] / m;
        }
    }
}
