package dev.attend.attention;

import dev.attend.attention.mask.BlockMask;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.simd.Gemm;
import dev.attend.simd.Parallel;
import dev.attend.simd.VMath;
import dev.attend.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.attend.simd.Gemm.F;
import static dev.attend.simd.Gemm.LANES;

/**
 * FlashAttention-2 forward on the CPU. One work item is a query tile of one (batch, head); items are
 * handed out dynamically (heaviest first) and each writes its own rows, so the result does not depend
 * on scheduling. For each kv tile the mask lists, the kernel computes the scores transposed,
 * {@code S^T = K Q^T} ({@code Q^T} packed and pre-scaled once per item), so the online softmax runs down
 * the columns with one vector of queries per step and no horizontal reductions; then {@code O += P V}.
 * Working memory per thread is a few tiles: no {@code Lq x Lk} buffer at any length.
 */
final class FlashForward {
    // Tile sizes: multiples of 6 (Gemm rows) and 16 (vector lanes); a 96 x 96 score tile stays in L1.
    static final int BLOCK_Q = 96;
    static final int BLOCK_K = 96;
    private static final float LOG2E = 1.4426950408889634f;
    private static final float LN2 = 0.6931471805599453f;

    private FlashForward() {}

    static AttentionResult run(AttentionProblem p) {
        int bq = Math.min(BLOCK_Q, Gemm.pad(p.lq()));
        int bk = Math.min(BLOCK_K, Gemm.pad(p.lk()));
        BlockMask mask = p.mask().compile(p.batch(), p.hq(), p.lq(), p.lk(), bq, bk);
        Tensor q = p.q().contiguous(), k = p.k().contiguous(), v = p.v().contiguous();
        Tensor out = Tensor.zeros(p.batch(), p.hq(), p.lq(), p.headDim());
        Tensor lse = Tensor.zeros(p.batch(), p.hq(), p.lq());
        int heads = p.batch() * p.hq();
        int items = heads * mask.qBlocks();
        AtomicInteger next = new AtomicInteger();
        Parallel.run(items, (w, workers) -> {
            Tile t = new Tile(p, bq, bk);
            for (int i; (i = next.getAndIncrement()) < items; ) {
                int qb = mask.qBlocks() - 1 - i / heads;   // last query tiles first: under causal masks they cost most
                int bh = i % heads;
                t.run(q, k, v, mask, bh / p.hq(), bh % p.hq(), qb, out, lse);
            }
        });
        return new AttentionResult(out, lse, new AttentionResult.Stats(mask.visitedTiles(), mask.fullTiles(),
                4.0 * mask.area() * p.headDim()));
    }

    /** One worker's buffers, sized once per call. */
    private static final class Tile {
        final AttentionProblem p;
        final int bq, bk, d, dp, bqp, group;
        final float[] qT, kRows, vRows, sT, o, m, l, alpha, row;
        final ScoreMod mod;

        Tile(AttentionProblem p, int bq, int bk) {
            this.p = p;
            this.bq = bq;
            this.bk = bk;
            this.d = p.headDim();
            this.dp = Gemm.pad(d);
            this.bqp = Gemm.pad(bq);
            this.group = p.hq() / p.hkv();
            this.mod = p.scoreMod();
            qT = new float[d * bqp];
            kRows = new float[bk * d];
            vRows = new float[bk * dp];
            sT = new float[bk * bqp];
            o = new float[bq * dp];
            m = new float[bqp];
            l = new float[bqp];
            alpha = new float[bqp];
            row = new float[dp];
        }

        void run(Tensor q, Tensor k, Tensor v, BlockMask mask, int b, int h, int qb, Tensor out, Tensor lse) {
            int q0 = qb * bq, nq = Math.min(bq, p.lq() - q0);
            int hk = h / group;
            long qBase = ((long) (b * p.hq() + h) * p.lq() + q0) * d;
            long kvBase = ((long) (b * p.hkv() + hk) * p.lk()) * d;
            float scale = p.scale() * LOG2E; // scores in base 2: softmax uses the cheaper exp2
            if (nq < bqp) Arrays.fill(qT, 0f);
            for (int i = 0; i < nq; i++) {
                q.readRow(qBase + (long) i * d, row, 0, d);
                for (int x = 0; x < d; x++) qT[x * bqp + i] = row[x] * scale;
            }
            // K and V are read in place when they live in a heap array (V also needs rows of whole vectors).
            float[] kArr = k.heapArray(), vArr = d == dp ? v.heapArray() : null;
            Arrays.fill(m, Float.NEGATIVE_INFINITY);
            Arrays.fill(l, 0f);
            Arrays.fill(o, 0, nq * dp, 0f);

            for (int t = 0, n = mask.count(b, h, qb); t < n; t++) {
                int k0 = mask.kBlock(b, h, qb, t) * bk, nk = Math.min(bk, p.lk() - k0);
                float[] kSrc = kArr, vSrc = vArr;
                int kOff = (int) (kvBase + (long) k0 * d), vOff = kOff;
                if (kSrc == null) {
                    k.readRow(kvBase + (long) k0 * d, kRows, 0, nk * d);
                    kSrc = kRows;
                    kOff = 0;
                }
                if (vSrc == null) {
                    for (int j = 0; j < nk; j++) v.readRow(kvBase + (long) (k0 + j) * d, vRows, j * dp, d);
                    vSrc = vRows;
                    vOff = 0;
                }

                Gemm.mul(nk, bqp, d, kSrc, kOff, d, 1, qT, 0, bqp, sT, 0, bqp, false);
                if (!mod.isIdentity()) modScores(b, h, q0, nq, k0, nk);
                if (!mask.isFull(b, h, qb, t)) mask.maskTile(b, h, q0, nq, k0, nk, sT, 0, 1, bqp);
                softmaxColumns(nk);
                rescaleRows(nq);
                Gemm.mul(nq, dp, nk, sT, 0, 1, bqp, vSrc, vOff, dp, o, 0, dp, true);
            }

            for (int i = 0; i < nq; i++) {
                float li = l[i], inv = li > 0 ? 1f / li : 0f;
                for (int x = 0; x < d; x++) row[x] = o[i * dp + x] * inv;
                out.writeRow(qBase + (long) i * d, row, 0, d);
                lse.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED,
                        qBase / d + i, li > 0 ? m[i] * LN2 + (float) Math.log(li) : Float.NEGATIVE_INFINITY);
            }
        }

        private void modScores(int b, int h, int q0, int nq, int k0, int nk) {
            for (int j = 0; j < nk; j++) {
                for (int i = 0; i < nq; i++) {
                    sT[j * bqp + i] = mod.apply(sT[j * bqp + i] * LN2, b, h, q0 + i, k0 + j) * LOG2E;
                }
            }
        }

        /** Online softmax down each column (one query per lane): new max, P = 2^(S - max), row sums. */
        private void softmaxColumns(int nk) {
            for (int c = 0; c < bqp; c += LANES) {
                FloatVector mOld = FloatVector.fromArray(F, m, c);
                FloatVector mx = mOld;
                for (int j = 0; j < nk; j++) mx = mx.max(FloatVector.fromArray(F, sT, j * bqp + c));
                // A column with nothing visible yet keeps max -inf; subtracting 0 then leaves exp(-inf) = 0.
                FloatVector mSafe = mx.blend(0f, mx.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
                FloatVector sum = FloatVector.zero(F);
                for (int j = 0; j < nk; j++) {
                    FloatVector e = VMath.exp2(FloatVector.fromArray(F, sT, j * bqp + c).sub(mSafe));
                    e.intoArray(sT, j * bqp + c);
                    sum = sum.add(e);
                }
                FloatVector a = VMath.exp2(mOld.sub(mSafe));
                a.intoArray(alpha, c);
                FloatVector.fromArray(F, l, c).fma(a, sum).intoArray(l, c);
                mx.intoArray(m, c);
            }
        }

        private void rescaleRows(int nq) {
            for (int i = 0; i < nq; i++) {
                float a = alpha[i];
                if (a == 1f) continue;
                FloatVector av = FloatVector.broadcast(F, a);
                for (int x = 0; x < dp; x += LANES) {
                    FloatVector.fromArray(F, o, i * dp + x).mul(av).intoArray(o, i * dp + x);
                }
            }
        }
    }
}
