package dev.attend.attention.sparse;

import dev.attend.attention.AttentionResult;
import dev.attend.tensor.Tensor;

import java.util.Arrays;

/**
 * The reduced KV cache of {@link CcaAttention} for token-by-token decoding: the core tokens of every complete
 * group ({@code [B, Hq, L/g, D]} keys and values, pooled the moment a group's last token arrives, with that token's
 * query) and a ring of the last {@code s + g - 1} raw tokens ({@code [B, Hkv, s + g - 1, D]}), which is every raw
 * token a query can see (its window {@code s + ((p + 1 - s) mod g)} is at most that). Decoding token p costs
 * {@code O((c_p + s + g) D)} per q head and reads {@link #stepBytes()}; the cache holds {@link #bytes()} against
 * {@link #fullCacheBytes()} for exact attention (93% less at L = 128K, g = 16, s = 1024, Hq = Hkv).
 *
 * <p>{@link #step} appends one token and returns its attention output, equal to row p of
 * {@link CcaAttention#forward} on the whole sequence up to float rounding (the core tokens are bit-identical: both
 * pool with {@link CcaAttention#poolGroup}). Not thread-safe.
 */
public final class CcaCache {
    private final int group, window, batch, qHeads, kvHeads, d, ring;
    private final float[][] rawK, rawV;   // per (b, kv head): ring slots of d floats; token t in slot t % ring
    private float[][] coreK, coreV;       // per (b, q head): core tokens of d floats, growing
    private int length, cores;

    /**
     * An empty cache.
     *
     * @throws IllegalArgumentException naming the argument when a size is not positive or qHeads is not a multiple of kvHeads
     */
    public CcaCache(int group, int window, int batch, int qHeads, int kvHeads, int headDim) {
        positive("group", group);
        positive("window", window);
        positive("batch", batch);
        positive("qHeads", qHeads);
        positive("kvHeads", kvHeads);
        positive("headDim", headDim);
        if (qHeads % kvHeads != 0) {
            throw new IllegalArgumentException("qHeads: expected a multiple of kvHeads=" + kvHeads + ", got " + qHeads);
        }
        long ringLong = (long) window + group - 1;
        if (ringLong * headDim > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("window: (window + group - 1) * headDim must stay below 2^31, got " + ringLong * headDim);
        }
        this.group = group;
        this.window = window;
        this.batch = batch;
        this.qHeads = qHeads;
        this.kvHeads = kvHeads;
        this.d = headDim;
        this.ring = (int) ringLong;
        this.rawK = new float[batch * kvHeads][];
        this.rawV = new float[batch * kvHeads][];
        this.coreK = new float[batch * qHeads][];
        this.coreV = new float[batch * qHeads][];
        for (int i = 0; i < rawK.length; i++) {
            rawK[i] = new float[0];
            rawV[i] = new float[0];
        }
        for (int i = 0; i < coreK.length; i++) {
            coreK[i] = new float[0];
            coreV[i] = new float[0];
        }
    }

    private static void positive(String name, int v) {
        if (v < 1) throw new IllegalArgumentException(name + ": expected at least 1, got " + v);
    }

    /** Tokens appended so far. */
    public int length() { return length; }

    /** Core tokens stored per (b, q head). */
    public int coreTokens() { return cores; }

    /** Raw tokens stored per (b, kv head): at most {@code window + group - 1}. */
    public int rawTokens() { return Math.min(length, ring); }

    /** Bytes of keys and values held (F32). */
    public long bytes() {
        return 2L * Float.BYTES * d * ((long) batch * qHeads * cores + (long) batch * kvHeads * rawTokens());
    }

    /** Bytes exact attention's F32 cache holds at this length: every token, per (b, kv head). */
    public long fullCacheBytes() {
        return 2L * Float.BYTES * d * (long) batch * kvHeads * length;
    }

    /** Bytes of keys and values the next step reads: the core tokens it will see and its raw window. */
    public long stepBytes() {
        return stepBytes(length);
    }

    /**
     * Appends token p = {@link #length()} ({@code q [B, Hq, 1, D]}, {@code k, v [B, Hkv, 1, D]}, any views) and returns
     * the attention of q over the sequence so far: out {@code [B, Hq, 1, D]}, lse {@code [B, Hq, 1]}. When p ends a
     * group, the group is pooled with this q first.
     */
    public AttentionResult step(Tensor q, Tensor k, Tensor v, float scale) {
        check("q", q, qHeads);
        check("k", k, kvHeads);
        check("v", v, kvHeads);
        if (!Float.isFinite(scale) || scale == 0f) throw new IllegalArgumentException("scale: expected finite non-zero, got " + scale);
        int p = length, slot = p % ring;
        for (int bh = 0; bh < batch * kvHeads; bh++) {
            if (rawK[bh].length < (long) Math.min(p + 1, ring) * d) {
                int grown = (int) Math.min(ring, Math.max(p + 1L, 2L * rawK[bh].length / d + 1)) * d;
                rawK[bh] = Arrays.copyOf(rawK[bh], grown);
                rawV[bh] = Arrays.copyOf(rawV[bh], grown);
            }
            k.readRow(bh, rawK[bh], slot * d);
            v.readRow(bh, rawV[bh], slot * d);
        }
        length++;
        float[] qRow = new float[d];
        if ((p + 1) % group == 0) pool(q, p, qRow, scale);
        int c = CcaAttention.visibleGroups(p, group, window), lo = c * group, per = qHeads / kvHeads;
        Tensor out = Tensor.zeros(batch, qHeads, 1, d);
        float[] lse = new float[batch * qHeads], o = new float[d];
        float[] score = new float[c + p + 1 - lo];
        for (int bh = 0; bh < batch * qHeads; bh++) {
            int kv = bh / qHeads * kvHeads + bh % qHeads / per;
            q.readRow(bh, qRow, 0);
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) max = Math.max(max, score[j] = scale * dot(qRow, coreK[bh], j * d));
            for (int t = lo; t <= p; t++) max = Math.max(max, score[c + t - lo] = scale * dot(qRow, rawK[kv], t % ring * d));
            double sum = 0;
            Arrays.fill(o, 0f);
            for (int i = 0; i < score.length; i++) {
                float e = (float) Math.exp(score[i] - max);
                sum += e;
                float[] src = i < c ? coreV[bh] : rawV[kv];
                int off = i < c ? i * d : (lo + i - c) % ring * d;
                for (int x = 0; x < d; x++) o[x] += e * src[off + x];
            }
            float inv = (float) (1 / sum);
            for (int x = 0; x < d; x++) o[x] *= inv;
            out.writeRow(bh, o, 0);
            lse[bh] = max + (float) Math.log(sum);
        }
        return new AttentionResult(out, Tensor.of(lse, batch, qHeads, 1), new AttentionResult.Stats(
                (long) batch * qHeads, 0, (long) batch * qHeads * score.length, 4.0 * batch * qHeads * score.length * d, stepBytes(p)));
    }

    /** Bytes the step of token p reads: its visible core tokens and its raw window. */
    private long stepBytes(int p) {
        int c = CcaAttention.visibleGroups(p, group, window);
        return 2L * Float.BYTES * d * ((long) batch * qHeads * c + (long) batch * kvHeads * (p + 1 - (long) c * group));
    }

    /** Pools the group that token p ends, per (b, q head), with the query of token p. */
    private void pool(Tensor q, int p, float[] qRow, float scale) {
        int per = qHeads / kvHeads, first = p + 1 - group;
        float[] keys = new float[group * d], vals = new float[group * d], w = new float[group], kOut = new float[d], vOut = new float[d];
        for (int bh = 0; bh < batch * qHeads; bh++) {
            int kv = bh / qHeads * kvHeads + bh % qHeads / per;
            q.readRow(bh, qRow, 0);
            for (int t = 0; t < group; t++) {
                System.arraycopy(rawK[kv], (first + t) % ring * d, keys, t * d, d);
                System.arraycopy(rawV[kv], (first + t) % ring * d, vals, t * d, d);
            }
            CcaAttention.poolGroup(qRow, keys, vals, group, d, scale, w, kOut, vOut);
            if (coreK[bh].length < (cores + 1) * d) {
                coreK[bh] = Arrays.copyOf(coreK[bh], Math.max(cores + 1, 2 * cores) * d);
                coreV[bh] = Arrays.copyOf(coreV[bh], Math.max(cores + 1, 2 * cores) * d);
            }
            System.arraycopy(kOut, 0, coreK[bh], cores * d, d);
            System.arraycopy(vOut, 0, coreV[bh], cores * d, d);
        }
        cores++;
    }

    private static float dot(float[] a, float[] b, int off) {
        float s = 0;
        for (int x = 0; x < a.length; x++) s += a[x] * b[off + x];
        return s;
    }

    private void check(String name, Tensor t, int heads) {
        if (t == null) throw new IllegalArgumentException(name + ": expected a tensor [" + batch + ", " + heads + ", 1, " + d + "], got null");
        if (t.rank() != 4 || t.dim(0) != batch || t.dim(1) != heads || t.dim(2) != 1 || t.dim(3) != d) {
            throw new IllegalArgumentException(name + ": expected shape [" + batch + ", " + heads + ", 1, " + d + "], got "
                    + Arrays.toString(t.shape()));
        }
    }
}
