package dev.attend.attention.mixer;

import dev.attend.attention.AttentionProblem;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Param;
import dev.attend.attention.Params;
import dev.attend.attention.RecurrentMechanism;
import dev.attend.attention.RecurrentState;

import java.util.SplittableRandom;

/**
 * S4D (Gu et al. 2022, "On the Parameterization and Initialization of Diagonal State Space Models"), CAB's S4D: one
 * diagonal SSM of N complex states per channel, {@code x_t = A' x_{t-1} + B' u_t}, {@code y_t = 2 Re(C x_t)}, with the
 * S4D-Lin initialisation {@code A_n = -1/2 + i pi n}, {@code B = 1}, {@code C_n} complex normal, a step
 * {@code dt_c} log-uniform in [0.001, 0.1] per channel (all from {@code seed}), and zero-order hold
 * {@code A' = e^{dt A}}, {@code B' = (A' - 1) / A}. Its convolution kernel {@code K[t] = 2 Re(sum_n C_n B'_n A'_n^t)}
 * (Vandermonde, {@code O(L N)} per channel) mixes by FFT in {@code O(L log L)}; non-causal is the symmetric
 * (bidirectional) kernel. {@link #newState} is the recurrence: {@code 2 N D} floats per head, constant per token.
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
