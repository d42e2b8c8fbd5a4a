package dev.attend.peers;

/**
 * Copies between Attend's {@code [B, H, L, D]} row-major arrays and the layouts the peers take: {@code [B, L, H*D]}
 * (ONNX Runtime's BSH, Jlama's rows of all heads) and the grouped form that puts the {@code G = Hq / Hkv} query
 * heads sharing a key/value head at extra query positions ({@code [B, G*L, Hkv*D]}, position {@code g * L + i}),
 * which lets a multi-head operator without grouped-query support run a GQA problem without a mask.
 */
final class Layouts {
    private Layouts() {}

    /** {@code [B, H, L, D]} to {@code [B, L, H*D]}. */
    static float[] toBsh(float[] x, int b, int h, int l, int d) {
        return toGroupedBsh(x, b, h, 1, l, d);
    }

    /** {@code [B, L, H*D]} back to {@code [B, H, L, D]}. */
    static float[] fromBsh(float[] y, int b, int h, int l, int d) {
        return fromGroupedBsh(y, b, h, 1, l, d);
    }

    /**
     * {@code q [B, hkv*g, L, D]} to {@code [B, g*L, hkv*D]}: query head {@code n*g + j} at position {@code i} goes to
     * position {@code j*L + i} of head {@code n}.
     */
    static float[] toGroupedBsh(float[] q, int b, int hkv, int g, int l, int d) {
        float[] out = new float[q.length];
        int s = g * l;
        for (int bi = 0; bi < b; bi++)
            for (int n = 0; n < hkv; n++)
                for (int j = 0; j < g; j++)
                    for (int i = 0; i < l; i++) {
                        int src = (((bi * hkv + n) * g + j) * l + i) * d;
                        int dst = ((bi * s + j * l + i) * hkv + n) * d;
                        System.arraycopy(q, src, out, dst, d);
                    }
        return out;
    }

    /** The inverse of {@link #toGroupedBsh}. */
    static float[] fromGroupedBsh(float[] y, int b, int hkv, int g, int l, int d) {
        float[] out = new float[y.length];
        int s = g * l;
        for (int bi = 0; bi < b; bi++)
            for (int n = 0; n < hkv; n++)
                for (int j = 0; j < g; j++)
                    for (int i = 0; i < l; i++) {
                        int dst = (((bi * hkv + n) * g + j) * l + i) * d;
                        int src = ((bi * s + j * l + i) * hkv + n) * d;
                        System.arraycopy(y, src, out, dst, d);
                    }
        return out;
    }

    /** {@code [B, H, L, D]} rows {@code [from, to)} of every head, as {@code [B, H, to-from, D]}. */
    static float[] rows(float[] x, int b, int h, int l, int d, int from, int to) {
        int n = to - from;
        float[] out = new float[b * h * n * d];
        for (int bh = 0; bh < b * h; bh++) System.arraycopy(x, (bh * l + from) * d, out, bh * n * d, n * d);
        return out;
    }

    /** {@code k [B, Hkv, L, D]} with every head repeated {@code g} times: {@code [B, Hkv*g, L, D]}. */
    static float[] repeatHeads(float[] k, int b, int hkv, int g, int l, int d) {
        if (g == 1) return k;
        float[] out = new float[k.length * g];
        int head = l * d;
        for (int bi = 0; bi < b; bi++)
            for (int n = 0; n < hkv; n++)
                for (int j = 0; j < g; j++)
                    System.arraycopy(k, (bi * hkv + n) * head, out, ((bi * hkv + n) * g + j) * head, head);
        return out;
    }
}
