package dev.attend.nn.autograd;

import dev.attend.simd.VMath;
import jdk.incubator.vector.FloatVector;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Elementwise ops and their gradients: add, sub, mul, div with NumPy broadcasting (shapes aligned on the right,
 * a dimension of 1 stretches), scalar forms, exp, log, sqrt, pow, and the activations ReLU, GELU (the tanh form,
 * PyTorch's {@code approximate="tanh"}), SiLU, sigmoid, tanh, PReLU, and seeded dropout.
 *
 * <p>Cost: one pass over the output forward, one or two backward. Same-shape operands and a trailing
 * broadcast (a bias {@code [n]} on {@code [m, n]}) run vectorised rows; the exponentials go through
 * {@link VMath#exp(FloatVector)}. A broadcast operand's gradient is summed back to its shape.
 */
public final class Pointwise {
    private static final int ADD = 0, SUB = 1, MUL = 2, DIV = 3;

    private Pointwise() {}

    public static Var add(Var a, Var b) { return binary(ADD, "add", a, b); }
    public static Var sub(Var a, Var b) { return binary(SUB, "sub", a, b); }
    public static Var mul(Var a, Var b) { return binary(MUL, "mul", a, b); }
    public static Var div(Var a, Var b) { return binary(DIV, "div", a, b); }

    /** {@code a * s + t} for scalars s and t. */
    public static Var affine(Var a, float s, float t) {
        float[] x = a.data();
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * s + t;
        return Var.of("affine", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            for (int i = 0; i < g.length; i++) ga[i] += g[i] * s;
        }, a);
    }

    public static Var scale(Var a, float s) { return affine(a, s, 0f); }

    // ---------------------------------------------------------------- broadcasting binary ops

    private static Var binary(int op, String name, Var a, Var b) {
        int[] sa = Buf.ints(a.shape()), sb = Buf.ints(b.shape());
        int[] out = broadcastShape(name, sa, sb);
        float[] x = a.data(), y = b.data();
        float[] z = apply(op, x, sa, y, sb, out);
        return Var.of(name, Buf.wrap(z, Buf.longs(out)), g -> {
            if (a.requiresGrad()) {
                float[] ga = switch (op) {
                    case ADD, SUB -> g;
                    case MUL -> apply(MUL, g, out, y, sb, out);
                    default -> apply(DIV, g, out, y, sb, out);
                };
                reduceInto(a.gradData(), sa, ga, out, 1f);
            }
            if (b.requiresGrad()) {
                switch (op) {
                    case ADD -> reduceInto(b.gradData(), sb, g, out, 1f);
                    case SUB -> reduceInto(b.gradData(), sb, g, out, -1f);
                    case MUL -> reduceInto(b.gradData(), sb, apply(MUL, g, out, x, sa, out), out, 1f);
                    default -> {
                        // d(x/y)/dy = -z/y
                        float[] t = apply(MUL, g, out, z, out, out);
                        reduceInto(b.gradData(), sb, apply(DIV, t, out, y, sb, out), out, -1f);
                    }
                }
            }
        }, a, b);
    }

    static int[] broadcastShape(String op, int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
            int db = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast (dimension " + i + " of the result: " + da + " vs " + db + ")");
            }
            out[i] = Math.max(da, db);
        }
        return out;
    }

    /** Strides of {@code in} aligned to {@code out}'s rank, 0 on broadcast dimensions. */
    private static int[] alignedStrides(int[] in, int[] out) {
        int[] s = new int[out.length];
        int acc = 1;
        for (int i = in.length - 1; i >= 0; i--) {
            int o = i + out.length - in.length;
            s[o] = in[i] == 1 && out[o] != 1 ? 0 : acc;
            acc *= in[i];
        }
        return s;
    }

    /** {@code x op y} broadcast to {@code out}. */
    private static float[] apply(int op, float[] x, int[] sx, float[] y, int[] sy, int[] out) {
        int n = 1;
        for (int d : out) n *= d;
        float[] z = new float[n];
        if (Arrays.equals(sx, out) && Arrays.equals(sy, out)) {
            Buf.chunks(n, Buf.PARALLEL_MIN, (from, to) -> row(op, x, from, 1, y, from, 1, z, from, to - from));
            return z;
        }
        int rank = out.length;
        if (rank == 0) {
            row(op, x, 0, 1, y, 0, 1, z, 0, 1);
            return z;
        }
        int[] stx = alignedStrides(sx, out), sty = alignedStrides(sy, out);
        int len = out[rank - 1], rows = len == 0 ? 0 : n / len;
        int[] idx = new int[rank];
        int ox = 0, oy = 0;
        for (int r = 0; r < rows; r++) {
            row(op, x, ox, stx[rank - 1], y, oy, sty[rank - 1], z, r * len, len);
            for (int d = rank - 2; d >= 0; d--) {
                if (++idx[d] < out[d]) {
                    ox += stx[d];
                    oy += sty[d];
                    break;
                }
                ox -= stx[d] * (out[d] - 1);
                oy -= sty[d] * (out[d] - 1);
                idx[d] = 0;
            }
        }
        return z;
    }

    /** One row of n outputs; each input steps by 1 or 0 (broadcast). */
    private static void row(int op, float[] x, int xo, int xs, float[] y, int yo, int ys, float[] z, int zo, int n) {
        int i = 0, ub = Buf.F.loopBound(n);
        if (xs == 1 && ys == 1) {
            for (; i < ub; i += Buf.L) {
                FloatVector a = FloatVector.fromArray(Buf.F, x, xo + i), b = FloatVector.fromArray(Buf.F, y, yo + i);
                op(op, a, b).intoArray(z, zo + i);
            }
            for (; i < n; i++) z[zo + i] = op(op, x[xo + i], y[yo + i]);
        } else if (xs == 1) {
            FloatVector b = FloatVector.broadcast(Buf.F, y[yo]);
            for (; i < ub; i += Buf.L) op(op, FloatVector.fromArray(Buf.F, x, xo + i), b).intoArray(z, zo + i);
            for (; i < n; i++) z[zo + i] = op(op, x[xo + i], y[yo]);
        } else if (ys == 1) {
            FloatVector a = FloatVector.broadcast(Buf.F, x[xo]);
            for (; i < ub; i += Buf.L) op(op, a, FloatVector.fromArray(Buf.F, y, yo + i)).intoArray(z, zo + i);
            for (; i < n; i++) z[zo + i] = op(op, x[xo], y[yo + i]);
        } else {
            float v = op(op, x[xo], y[yo]);
            Arrays.fill(z, zo, zo + n, v);
        }
    }

    private static FloatVector op(int op, FloatVector a, FloatVector b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            default -> a.div(b);
        };
    }

    private static float op(int op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            default -> a / b;
        };
    }

    /** {@code dst (shape in) += sign * sum of g (shape out) over the dimensions that {@code in} broadcasts}. */
    static void reduceInto(float[] dst, int[] in, float[] g, int[] out, float sign) {
        if (Arrays.equals(in, out)) {
            if (sign == 1f) Buf.addInto(dst, g);
            else for (int i = 0; i < g.length; i++) dst[i] += sign * g[i];
            return;
        }
        int rank = out.length;
        if (rank == 0) {
            dst[0] += sign * g[0];
            return;
        }
        int[] st = alignedStrides(in, out);
        int len = out[rank - 1], rows = len == 0 ? 0 : g.length / len, s = st[rank - 1];
        int[] idx = new int[rank];
        int o = 0;
        for (int r = 0; r < rows; r++) {
            int go = r * len;
            if (s == 1) {
                for (int j = 0; j < len; j++) dst[o + j] += sign * g[go + j];
            } else {
                float acc = 0f;
                for (int j = 0; j < len; j++) acc += g[go + j];
                dst[o] += sign * acc;
            }
            for (int d = rank - 2; d >= 0; d--) {
                if (++idx[d] < out[d]) {
                    o += st[d];
                    break;
                }
                o -= st[d] * (out[d] - 1);
                idx[d] = 0;
            }
        }
    }

    // ---------------------------------------------------------------- unary maps

    public static Var exp(Var a) {
        float[] x = a.data(), y = new float[x.length];
        Buf.chunks(x.length, Buf.PARALLEL_MIN, (f, t) -> expRange(x, y, f, t));
        return Var.of("exp", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            for (int i = 0; i < g.length; i++) ga[i] += g[i] * y[i];
        }, a);
    }

    public static Var log(Var a) {
        float[] x = a.data(), y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (float) Math.log(x[i]);
        return Var.of("log", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            for (int i = 0; i < g.length; i++) ga[i] += g[i] / x[i];
        }, a);
    }

    public static Var sqrt(Var a) {
        float[] x = a.data(), y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (float) Math.sqrt(x[i]);
        return Var.of("sqrt", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            for (int i = 0; i < g.length; i++) ga[i] += g[i] * 0.5f / y[i];
        }, a);
    }

    /** {@code a^p} elementwise for a scalar exponent. */
    public static Var pow(Var a, float p) {
        float[] x = a.data(), y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (float) Math.pow(x[i], p);
        return Var.of("pow", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            for (int i = 0; i < g.length; i++) ga[i] += g[i] * p * (float) Math.pow(x[i], p - 1);
        }, a);
    }

    public static Var relu(Var a) {
        float[] x = a.data(), y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.max(x[i], 0f);
        return Var.of("relu", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            for (int i = 0; i < g.length; i++) ga[i] += x[i] > 0f ? g[i] : 0f;
        }, a);
    }

    private static final float GELU_C = 0.7978845608028654f, GELU_K = 0.044715f;

    /** {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}, vectorised forward and backward. */
    public static Var gelu(Var a) {
        float[] x = a.data(), y = new float[x.length];
        Buf.chunks(x.length, Buf.PARALLEL_MIN / 4, (f, t) -> geluRange(x, y, null, null, f, t));
        return Var.of("gelu", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            Buf.chunks(x.length, Buf.PARALLEL_MIN / 4, (f, t) -> geluRange(x, null, g, ga, f, t));
        }, a);
    }

    /** Forward into y when g is null, else {@code ga += g * gelu'(x)}. */
    private static void geluRange(float[] x, float[] y, float[] g, float[] ga, int from, int to) {
        int i = from, ub = from + Buf.F.loopBound(to - from);
        for (; i < ub; i += Buf.L) {
            FloatVector v = FloatVector.fromArray(Buf.F, x, i);
            FloatVector v2 = v.mul(v);
            FloatVector u = v2.fma(GELU_K, 1f).mul(v).mul(GELU_C);
            // tanh(u) = 1 - 2 / (e^{2u} + 1): exact limits +-1 for large |u| as exp saturates at 0 or a huge value
            FloatVector th = FloatVector.broadcast(Buf.F, 1f).sub(FloatVector.broadcast(Buf.F, 2f).div(VMath.exp(u.mul(2f)).add(1f)));
            if (g == null) {
                v.mul(0.5f).mul(th.add(1f)).intoArray(y, i);
            } else {
                FloatVector du = v2.fma(3 * GELU_K, 1f).mul(GELU_C);
                FloatVector d = th.add(1f).mul(0.5f).add(v.mul(0.5f).mul(th.mul(th).neg().add(1f)).mul(du));
                FloatVector.fromArray(Buf.F, ga, i).add(d.mul(FloatVector.fromArray(Buf.F, g, i))).intoArray(ga, i);
            }
        }
        for (; i < to; i++) {
            float v = x[i], u = GELU_C * (v + GELU_K * v * v * v), th = (float) Math.tanh(u);
            if (g == null) y[i] = 0.5f * v * (1f + th);
            else ga[i] += g[i] * (0.5f * (1f + th) + 0.5f * v * (1f - th * th) * GELU_C * (1f + 3 * GELU_K * v * v));
        }
    }

    public static Var sigmoid(Var a) {
        float[] x = a.data(), y = new float[x.length];
        Buf.chunks(x.length, Buf.PARALLEL_MIN, (f, t) -> sigmoidRange(x, y, f, t));
        return Var.of("sigmoid", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            for (int i = 0; i < g.length; i++) ga[i] += g[i] * y[i] * (1f - y[i]);
        }, a);
    }

    /** {@code x * sigmoid(x)}. */
    public static Var silu(Var a) {
        float[] x = a.data(), s = new float[x.length], y = new float[x.length];
        Buf.chunks(x.length, Buf.PARALLEL_MIN, (f, t) -> {
            sigmoidRange(x, s, f, t);
            for (int i = f; i < t; i++) y[i] = x[i] * s[i];
        });
        return Var.of("silu", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            for (int i = 0; i < g.length; i++) ga[i] += g[i] * s[i] * (1f + x[i] * (1f - s[i]));
        }, a);
    }

    public static Var tanh(Var a) {
        float[] x = a.data(), y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (float) Math.tanh(x[i]);
        return Var.of("tanh", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            for (int i = 0; i < g.length; i++) ga[i] += g[i] * (1f - y[i] * y[i]);
        }, a);
    }

    /**
     * {@code x > 0 ? x : alpha * x} with a learned slope per channel: {@code alpha [C]} broadcast over the last
     * dimension of x (C equal to it), or one shared slope {@code [1]}.
     */
    public static Var prelu(Var a, Var alpha) {
        int c = a.rank() == 0 ? 1 : a.dim(a.rank() - 1);
        if (alpha.rank() != 1 || (alpha.dim(0) != 1 && alpha.dim(0) != c)) {
            throw new IllegalArgumentException("prelu: alpha must have shape [1] or [" + c + "] (the last dimension of x), got "
                    + Arrays.toString(alpha.shape()));
        }
        float[] x = a.data(), w = alpha.data(), y = new float[x.length];
        int wc = w.length;
        for (int i = 0; i < x.length; i++) y[i] = x[i] > 0f ? x[i] : w[wc == 1 ? 0 : i % c] * x[i];
        return Var.of("prelu", Buf.wrap(y, a.shape()), g -> {
            if (a.requiresGrad()) {
                float[] ga = a.gradData();
                for (int i = 0; i < g.length; i++) ga[i] += x[i] > 0f ? g[i] : w[wc == 1 ? 0 : i % c] * g[i];
            }
            if (alpha.requiresGrad()) {
                float[] gw = alpha.gradData();
                for (int i = 0; i < g.length; i++) if (x[i] <= 0f) gw[wc == 1 ? 0 : i % c] += g[i] * x[i];
            }
        }, a, alpha);
    }

    /**
     * Inverted dropout: each element is zeroed with probability p and the rest scaled by {@code 1/(1-p)}; the mask
     * is a function of {@code seed} alone (a training step derives it from the run seed and the step), so runs
     * replay bit for bit. p = 0 returns the input node itself.
     */
    public static Var dropout(Var a, float p, long seed) {
        if (!(p >= 0f && p < 1f)) throw new IllegalArgumentException("dropout: p must be in [0, 1), got " + p);
        if (p == 0f) return a;
        float[] x = a.data(), y = new float[x.length];
        float keep = 1f / (1f - p);
        SplittableRandom r = new SplittableRandom(seed);
        boolean[] mask = new boolean[x.length];
        for (int i = 0; i < x.length; i++) {
            mask[i] = r.nextFloat() >= p;
            y[i] = mask[i] ? x[i] * keep : 0f;
        }
        return Var.of("dropout", Buf.wrap(y, a.shape()), g -> {
            float[] ga = a.gradData();
            for (int i = 0; i < g.length; i++) if (mask[i]) ga[i] += g[i] * keep;
        }, a);
    }

    static void expRange(float[] x, float[] y, int from, int to) {
        int i = from, ub = from + Buf.F.loopBound(to - from);
        for (; i < ub; i += Buf.L) VMath.exp(FloatVector.fromArray(Buf.F, x, i)).intoArray(y, i);
        for (; i < to; i++) y[i] = (float) Math.exp(x[i]);
    }

    private static void sigmoidRange(float[] x, float[] y, int from, int to) {
        int i = from, ub = from + Buf.F.loopBound(to - from);
        for (; i < ub; i += Buf.L) {
            FloatVector v = FloatVector.fromArray(Buf.F, x, i);
            FloatVector.broadcast(Buf.F, 1f).div(VMath.exp(v.neg()).add(1f)).intoArray(y, i);
        }
        for (; i < to; i++) y[i] = 1f / (1f + (float) Math.exp(-x[i]));
    }
}
