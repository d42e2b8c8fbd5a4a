package dev.attend.nn.autograd;

import java.util.Arrays;

/**
 * Rotary position embedding on {@code x [B, L, H, D]} (the layout a linear projection gives before heads are
 * split off), D even, in the rotate-half convention (GPT-NeoX, Llama): for {@code i < D/2} the pair
 * {@code (x[i], x[i + D/2])} at position p turns by {@code p * base^(-2i/D)}. Positions default to 0..L-1.
 *
 * <p>Backward turns the gradient back by the same angle (a rotation's transpose is its inverse). Cost: one pass;
 * the cos/sin table ({@code L x D/2}) is computed per call in double precision.
 */
public final class Rope {
    private Rope() {}

    public static Var rope(Var x, int[] positions, double base) {
        if (x.rank() != 4 || x.dim(3) % 2 != 0) {
            throw new IllegalArgumentException("rope: expected x [B, L, H, D] with D even, got " + Arrays.toString(x.shape()));
        }
        int b = x.dim(0), l = x.dim(1), h = x.dim(2), d = x.dim(3), half = d / 2;
        if (positions != null && positions.length != l) {
            throw new IllegalArgumentException("rope: expected " + l + " positions (one per sequence index), got " + positions.length);
        }
        if (!(base > 1)) throw new IllegalArgumentException("rope: base must be > 1, got " + base);
        float[] cos = new float[l * half], sin = new float[l * half];
        for (int t = 0; t < l; t++) {
            int p = positions == null ? t : positions[t];
            for (int i = 0; i < half; i++) {
                double angle = p * Math.pow(base, -2.0 * i / d);
                cos[t * half + i] = (float) Math.cos(angle);
                sin[t * half + i] = (float) Math.sin(angle);
            }
        }
        float[] a = x.data(), y = new float[a.length];
        rotate(a, y, cos, sin, b, l, h, half, 1f);
        return Var.of("rope", Buf.wrap(y, x.shape()), g -> rotateAdd(g, x.gradData(), cos, sin, b, l, h, half), x);
    }

    private static void rotate(float[] a, float[] y, float[] cos, float[] sin, int b, int l, int h, int half, float sign) {
        Buf.chunks(b * l, 16, (from, to) -> {
            for (int bt = from; bt < to; bt++) {
                int t = bt % l;
                for (int hh = 0; hh < h; hh++) {
                    int o = (bt * h + hh) * 2 * half;
                    for (int i = 0; i < half; i++) {
                        float c = cos[t * half + i], s = sign * sin[t * half + i];
                        float x1 = a[o + i], x2 = a[o + half + i];
                        y[o + i] = x1 * c - x2 * s;
                        y[o + half + i] = x1 * s + x2 * c;
                    }
                }
            }
        });
    }

    private static void rotateAdd(float[] g, float[] gx, float[] cos, float[] sin, int b, int l, int h, int half) {
        float[] back = new float[g.length];
        rotate(g, back, cos, sin, b, l, h, half, -1f);
        Buf.addInto(gx, back);
    }
}
