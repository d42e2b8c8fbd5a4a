package dev.attend.attention.mixer;

import dev.attend.attention.AttentionProblem;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.attention.RecurrentMechanism;
import dev.attend.attention.RecurrentState;
import dev.attend.simd.MatMul;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * S4D (Gu et al. 2022, "On the Parameterization and Initialization of Diagonal State Space Models"), CAB's S4D: one
 * diagonal SSM of N complex states per channel, {@code x_t = A' x_{t-1} + B' u_t}, {@code y_t = 2 Re(C x_t)}, with the
 * S4D-Lin initialisation {@code A_n = -1/2 + i pi n}, {@code B = 1}, {@code C_n} complex normal, a step
 * {@code dt_c} log-uniform in [0.001, 0.1] per channel (all from {@code seed}), and zero-order hold
 * {@code A' = e^{dt A}}, {@code B' = (A' - 1) / A}. Its convolution kernel is {@code K[t] = 2 Re(sum_n C_n B'_n A'_n^t)};
 * non-causal is the symmetric (bidirectional) kernel. {@link #newState} is the recurrence: {@code 2 N D} floats per
 * head, constant per token.
 *
 * <p><b>The parallel form</b> is the recurrence in chunks of {@link #CHUNK} tokens (the state-space duality of
 * Mamba-2), linear in L where an FFT convolution is {@code L log L}, and GEMM-shaped: per channel, with the chunk's
 * inputs as the rows of {@code U [L/T x T]}, the state added by each chunk is {@code U W} ({@code W [T x 2N]}, the
 * real and imaginary parts of {@code A'^(T-1-i) C B'}); a scan over the chunks, {@code S_k = A'^T S_(k-1) + (U W)_(k-1)},
 * gives the state each chunk starts from; and the outputs are {@code U Toe + S G}, the chunk's own Toeplitz part
 * ({@code K[j - i]}, {@code i <= j}) and the carried state read out ({@code G [2N x T]}, {@code 2 Re A'^(j+1)}). That
 * is {@code 2 (4N + T)} FLOPs per token and channel ({@link #mixFlops}). A chunk holding a non-finite input has its
 * rows summed directly, so the value reaches only the rows at and after it.
 */
public final class S4dMixer extends ConvolutionMixer implements RecurrentMechanism {
    public static final String NAME = "s4d";

    public static final MechanismDescriptor DESCRIPTOR = builder(NAME, S4dMixer::new, true)
            .summary("Token mixer: S4D diagonal state-space model (S4D-Lin), kernel by Vandermonde, mixing by FFT; recurrent decoding")
            .param(Param.ofInt("states", 64, 1, 4096, "complex states N per channel"))
            .param(Param.ofLong("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE, "seed of C and of the steps dt"))
            .seeded("seed")
            .recurrent()
            .build();

    private final int states;
    private final long seed;

    private S4dMixer(MechanismDescriptor d, Params p) {
        super(d, p);
        this.states = p.getInt("states");
        this.seed = p.getLong("seed");
    }

    /** Channel c's discretised {@code A'} and {@code C B'} (real, imaginary parts), {@code [4][N]}. */
    private double[][] channel(int c) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + c);
        double dt = Math.exp(Math.log(0.001) + r.nextDouble() * (Math.log(0.1) - Math.log(0.001)));
        double[][] out = new double[4][states];
        for (int n = 0; n < states; n++) {
            double ar = -0.5, ai = Math.PI * n;
            double mag = Math.exp(dt * ar), pr = mag * Math.cos(dt * ai), pi = mag * Math.sin(dt * ai);   // A' = e^{dt A}
            double nr = pr - 1, ni = pi, den = ar * ar + ai * ai;                                            // B' = (A' - 1) / A
            double br = (nr * ar + ni * ai) / den, bi = (ni * ar - nr * ai) / den;
            double cr = r.nextGaussian() * Math.sqrt(0.5), ci = r.nextGaussian() * Math.sqrt(0.5);
            out[0][n] = pr;
            out[1][n] = pi;
            out[2][n] = cr * br - ci * bi;
            out[3][n] = cr * bi + ci * br;
        }
        return out;
    }

    /** Tokens per chunk of the parallel form: the Toeplitz part is O(T) per token, the state's O(N). */
    static final int CHUNK = 64;

    @Override
    void mix(double[][] v, boolean causal, double[][] out) {
        int d = v.length, l = v[0].length, t = CHUNK, chunks = (l + t - 1) / t, n2 = 2 * states;
        float[] u = new float[chunks * t], y = new float[chunks * t], added = new float[chunks * n2], start = new float[chunks * n2];
        float[] w = new float[t * n2], g = new float[n2 * t], toe = new float[t * t];
        double[] carry = new double[2 * states];
        double[] k = new double[t];
        for (int c = 0; c < d; c++) {
            channelMatrices(c, w, g, toe, carry, k);
            for (int pass = 0; pass < (causal ? 1 : 2); pass++) {
                boolean reversed = pass == 1;   // the anti-causal half: the causal form on the reversed sequence
                Arrays.fill(u, l, u.length, 0f);   // the partial last chunk: zeros reach no real row
                double[] x = v[c], o = out[c];
                for (int i = 0; i < l; i++) u[i] = (float) x[reversed ? l - 1 - i : i];
                scan(u, y, added, start, w, g, toe, carry, k, chunks);
                for (int i = 0; i < l; i++) {
                    int at = reversed ? l - 1 - i : i;
                    // Both halves count lag 0: the symmetric kernel has h[0] once.
                    o[at] = reversed ? o[at] + y[i] - k[0] * x[at] : y[i];
                }
            }
        }
    }

    /** {@code 2 (4N + T)} FLOPs per token and channel (the three GEMMs), twice for the symmetric form. */
    @Override
    double mixFlops(int l, int d, boolean causal) {
        double chunked = (double) ((l + CHUNK - 1) / CHUNK) * CHUNK;
        return (causal ? 1 : 2) * 2.0 * (4.0 * states + CHUNK) * chunked * d;
    }

    /** Channel c's W [T x 2N], G [2N x T], Toe [T x T] (row i, column j: K[j - i] for i <= j), A'^T and K[0..T). */
    private void channelMatrices(int c, float[] w, float[] g, float[] toe, double[] carry, double[] k) {
        double[][] ch = channel(c);
        int t = CHUNK, n2 = 2 * states;
        Arrays.fill(k, 0);
        for (int n = 0; n < states; n++) {
            double ar = ch[0][n], ai = ch[1][n], zr = ch[2][n], zi = ch[3][n];   // z = C B' A'^j
            double pr = 1, pi = 0;                                                // p = A'^j
            for (int j = 0; j < t; j++) {
                k[j] += 2 * zr;
                w[(t - 1 - j) * n2 + n] = (float) zr;
                w[(t - 1 - j) * n2 + states + n] = (float) zi;
                double nr = zr * ar - zi * ai;
                zi = zr * ai + zi * ar;
                zr = nr;
                nr = pr * ar - pi * ai;
                pi = pr * ai + pi * ar;
                pr = nr;
                g[n * t + j] = (float) (2 * pr);             // p is now A'^(j+1)
                g[(states + n) * t + j] = (float) (-2 * pi);
            }
            carry[2 * n] = pr;                                // A'^T
            carry[2 * n + 1] = pi;
        }
        for (int i = 0; i < t; i++) for (int j = 0; j < t; j++) toe[i * t + j] = j >= i ? (float) k[j - i] : 0f;
    }

    /** One channel's causal form over {@code chunks} chunks of {@code u}, into {@code y}. */
    private void scan(float[] u, float[] y, float[] added, float[] start, float[] w, float[] g, float[] toe, double[] carry,
                      double[] k, int chunks) {
        int t = CHUNK, n2 = 2 * states;
        MatMul.gemmSerial(false, false, chunks, n2, t, 1f, u, 0, t, w, 0, n2, 0f, added, 0, n2);
        double[] sr = new double[states], si = new double[states];
        for (int ch = 0; ch < chunks; ch++) {
            for (int n = 0; n < states; n++) {
                start[ch * n2 + n] = (float) sr[n];
                start[ch * n2 + states + n] = (float) si[n];
                double cr = carry[2 * n], ci = carry[2 * n + 1];
                double r = sr[n] * cr - si[n] * ci + added[ch * n2 + n];
                si[n] = sr[n] * ci + si[n] * cr + added[ch * n2 + states + n];
                sr[n] = r;
            }
        }
        MatMul.gemmSerial(false, false, chunks, t, t, 1f, u, 0, t, toe, 0, t, 0f, y, 0, t);
        MatMul.gemmSerial(false, false, chunks, t, n2, 1f, start, 0, n2, g, 0, t, 1f, y, 0, t);
        for (int ch = 0; ch < chunks; ch++) {
            boolean finite = true;
            for (int i = ch * t; i < (ch + 1) * t; i++) finite &= Float.isFinite(u[i]);
            if (finite) continue;
            // The GEMM spread the chunk's non-finite input over all its rows (0 * NaN); sum them directly.
            for (int j = 0; j < t; j++) {
                double acc = 0;
                for (int i = 0; i <= j; i++) acc += k[j - i] * u[ch * t + i];
                for (int x = 0; x < n2; x++) acc += (double) start[ch * n2 + x] * g[x * t + j];
                y[ch * t + j] = (float) acc;
            }
        }
    }

    @Override
    double[] kernel(int c, int d, int l) {
        double[][] ch = channel(c);
        double[] k = new double[l];
        for (int n = 0; n < states; n++) {
            double zr = ch[2][n], zi = ch[3][n];   // C B' A'^t, from t = 0
            for (int t = 0; t < l; t++) {
                k[t] += 2 * zr;
                double nr = zr * ch[0][n] - zi * ch[1][n];
                zi = zr * ch[1][n] + zi * ch[0][n];
                zr = nr;
            }
        }
        return k;
    }

    /** The recurrence of one head of {@code d} channels; q and k (and so the scale) are ignored, v is the input u; no horizon. */
    @Override
    public RecurrentState newState(int d, float scale, int horizon) {
        if (d < 1 || d > AttentionProblem.MAX_HEAD_DIM) {
            throw new IllegalArgumentException("d: expected a head dimension in [1, " + AttentionProblem.MAX_HEAD_DIM + "], got " + d);
        }
        double[][][] ch = new double[d][][];
        for (int c = 0; c < d; c++) ch[c] = channel(c);
        return new RecurrentState() {
            // x' = C B'-scaled state: y_t = 2 Re(sum_n s_n) with s_n <- A'_n s_n + (C B')_n u_t.
            final double[] sr = new double[d * states], si = new double[d * states];
            long tokens;

            @Override
            public void step(float[] q, float[] k, float[] v, float[] out) {
                tokens++;
                for (int c = 0; c < d; c++) {
                    double[][] p = ch[c];
                    double y = 0;
                    for (int n = 0; n < states; n++) {
                        int at = c * states + n;
                        double r = sr[at] * p[0][n] - si[at] * p[1][n] + p[2][n] * v[c];
                        si[at] = sr[at] * p[1][n] + si[at] * p[0][n] + p[3][n] * v[c];
                        sr[at] = r;
                        y += 2 * r;
                    }
                    out[c] = (float) y;
                }
            }

            @Override
            public long tokens() {
                return tokens;
            }

            @Override
            public long stateFloats() {
                return 2L * d * states;
            }
        };
    }
}
