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
 * on scheduling. For each kv tile the block mask lists, the kernel computes the scores transposed,
 * {@code S^T = K Q^T} ({@code Q^T} packed and pre-scaled once per item), so the online softmax runs down
 * the columns with one vector of queries per step and no horizontal reductions; then {@code O += P V}.
 * Working memory per thread is a few tiles: no {@code Lq x Lk} buffer at any length.
 *
 * <p>The block mask is compiled from the problem's mask, or given by a mechanism that chose the blocks
 * from the data; blocks larger than the kernel's tiles are split into tiles. With an {@link IndexMap} the
 * kernel reads gathered rows in place and evaluates mask and score mod at their original positions.
 */
final class FlashForward {
    // Default tile sizes: multiples of 6 (Gemm rows) and 16 (vector lanes); a 96 x 96 score tile stays in L1.
    static final int BLOCK_Q = 96;
    static final int BLOCK_K = 96;
    private static final float LOG2E = 1.4426950408889634f;
    private static final float LN2 = 0.6931471805599453f;

    private FlashForward() {}

    /** The problem's mask compiled at tiles of at most {@code tileQ x tileK}. */
    static BlockMask compile(AttentionProblem p, int tileQ, int tileK) {
        return p.mask().compile(p.batch(), p.hq(), p.lq(), p.lk(), Math.min(tileQ, Gemm.pad(p.lq())), Math.min(tileK, Gemm.pad(p.lk())));
    }

    /**
     * {@code blocks} over the (gathered) problem, in tiles of at most {@code tileQ x tileK}; {@code index} may be
     * null. Shapes were checked by {@link FlashAttention}.
     */
    static AttentionResult run(AttentionProblem p, BlockMask blocks, IndexMap index, int tileQ, int tileK) {
        int lq = index == null ? p.lq() : index.queryCount(p);
        Strided q = Strided.of(p.q()), k = Strided.of(p.k()), v = Strided.of(p.v());
        Tensor out = Tensor.zeros(p.batch(), p.hq(), lq, p.headDim());
        Tensor lse = Tensor.zeros(p.batch(), p.hq(), lq);
        int subs = ceilDiv(blocks.blockQ(), tileQ), tq = ceilDiv(blocks.blockQ(), subs);
        int tk = ceilDiv(blocks.blockK(), ceilDiv(blocks.blockK(), tileK));
        int heads = p.batch() * p.hq(), perBlock = heads * subs;
        int items = perBlock * blocks.qBlocks();
        AtomicInteger next = new AtomicInteger();
        Parallel.run(items, (w, workers) -> {
            Tile t = new Tile(p, blocks, index, tq, tk);
            for (int i; (i = next.getAndIncrement()) < items; ) {
                int qb = blocks.qBlocks() - 1 - i / perBlock;   // last query tiles first: under causal masks they cost most
                int bh = i % heads, sub = i % perBlock / heads;
                t.run(q, k, v, bh / p.hq(), bh % p.hq(), qb, sub, out, lse);
            }
        });
        long scores = blocks.visitedScores();
        return new AttentionResult(out, lse, new AttentionResult.Stats(blocks.visitedTiles(), blocks.fullTiles(), scores,
                Cost.attentionFlops(scores, p.headDim()), 2L * Float.BYTES * p.headDim() * blocks.visitedKeys()));
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /**
     * One worker's buffers, sized once per call. Layouts are those of {@link Gemm#mulRowsA} and
     * {@link Gemm#mulLanePanelsA}, whose inner loops step by constants: Q^T packed in panels of {@link Gemm#NR}
     * queries (once per item), the score tile in lane panels (one vector of queries per key and step), V packed in
     * panels of {@code NR} dimensions (once per kv tile, which also checks its values are finite).
     */
    private static final class Tile {
        final AttentionProblem p;
        final BlockMask blocks;
        final boolean ownMask;          // blocks compiled from p.mask(): mask partial tiles with its intervals
        final int[][] qIndex, kIndex;   // null: identity
        final int lq, lk;               // of the (gathered) problem the blocks cover
        final int tq, tk, d, bqp, group;
        final int qPanels, vPanels, ldo, ps;  // panels of Q^T and V; row stride of o; stride of a lane panel of scores
        final float[] qP, kRows, vP, sP, o, m, l, alpha, row;
        final ScoreMod mod;

        Tile(AttentionProblem p, BlockMask blocks, IndexMap index, int tq, int tk) {
            this.p = p;
            this.blocks = blocks;
            this.ownMask = blocks.mask() == p.mask();
            this.qIndex = index == null ? null : index.queries();
            this.kIndex = index == null ? null : index.keys();
            this.lq = blocks.lq();
            this.lk = blocks.lk();
            this.tq = tq;
            this.tk = tk;
            this.d = p.headDim();
            this.bqp = Gemm.pad(tq);
            this.group = p.hq() / p.hkv();
            this.mod = p.scoreMod();
            this.qPanels = Gemm.padPanels(tq) / Gemm.NR;
            this.vPanels = Gemm.padPanels(d) / Gemm.NR;
            this.ldo = vPanels * Gemm.NR;
            this.ps = tk * LANES;
            int qn = qPanels * Gemm.NR;
            qP = new float[qPanels * d * Gemm.NR];
            kRows = new float[tk * d];
            vP = new float[vPanels * tk * Gemm.NR];
            sP = new float[qn / LANES * ps];
            o = new float[tq * ldo];
            m = new float[qn];
            l = new float[qn];
            alpha = new float[qn];
            row = new float[ldo];  // lanes d .. ldo stay 0: V rows are packed through it
        }

        /** Index of score (query i, key j) in the lane panels. */
        private int at(int i, int j) {
            return (i / LANES) * ps + j * LANES + i % LANES;
        }

        void run(Strided q, Strided k, Strided v, int b, int h, int qb, int sub, Tensor out, Tensor lse) {
            int blockEnd = Math.min(lq, (qb + 1) * blocks.blockQ());
            int q0 = qb * blocks.blockQ() + sub * tq, nq = Math.min(tq, blockEnd - q0);
            if (nq <= 0) return;
            int hk = h / group;
            int[] qRows = qIndex == null ? null : qIndex[b * p.hq() + h];
            int[] kRowsOf = kIndex == null ? null : kIndex[b * p.hkv() + hk];
            float scale = p.scale() * LOG2E; // scores in base 2: softmax uses the cheaper exp2
            if (nq < qPanels * Gemm.NR) Arrays.fill(qP, 0f);
            for (int i = 0; i < nq; i++) {
                q.read(q.row(b, h, qRows == null ? q0 + i : qRows[q0 + i]), row, 0, d);
                int base = (i / Gemm.NR) * d * Gemm.NR + i % Gemm.NR;
                for (int x = 0; x < d; x++) qP[base + x * Gemm.NR] = row[x] * scale;
            }
            // K is read in place when it lives in a heap array and rows are not gathered; otherwise its rows are
            // copied into the tile. V is always packed.
            float[] kArr = kRowsOf == null ? k.heap() : null;
            long kBase = k.row(b, hk, 0);
            Arrays.fill(m, Float.NEGATIVE_INFINITY);
            Arrays.fill(l, 0f);
            Arrays.fill(o, 0, nq * ldo, 0f);

            for (int t = 0, n = blocks.count(b, h, qb); t < n; t++) {
                int kb = blocks.kBlock(b, h, qb, t);
                boolean full = blocks.isFull(b, h, qb, t);
                int kEnd = Math.min(lk, (kb + 1) * blocks.blockK());
                for (int k0 = kb * blocks.blockK(); k0 < kEnd; k0 += tk) {
                    int nk = Math.min(tk, kEnd - k0);
                    float[] kSrc = kArr;
                    int kOff = (int) (kBase + k0 * k.s2()), kRs = (int) k.s2();
                    if (kSrc == null && kRowsOf == null && k.s2() == d) {
                        k.read(kBase + (long) k0 * d, kRows, 0, nk * d);   // consecutive rows: one copy
                        kSrc = kRows;
                        kOff = 0;
                        kRs = d;
                    } else if (kSrc == null) {
                        for (int j = 0; j < nk; j++) k.read(k.row(b, hk, kRowsOf == null ? k0 + j : kRowsOf[k0 + j]), kRows, j * d, d);
                        kSrc = kRows;
                        kOff = 0;
                        kRs = d;
                    }
                    boolean valuesFinite = packValues(v, b, hk, kRowsOf, k0, nk);

                    Gemm.mulRowsA(nk, qPanels, d, kSrc, kOff, kRs, qP, d * Gemm.NR, sP, 0, LANES, ps, 2 * ps, false);
                    if (!mod.isIdentity()) modScores(b, h, qRows, q0, nq, kRowsOf, k0, nk);
                    if (!full) maskScores(b, h, qRows, q0, nq, kRowsOf, k0, nk);
                    softmaxColumns(nk);
                    rescaleRows(nq);
                    if (full || valuesFinite) {
                        Gemm.mulLanePanelsA(nq, vPanels, nk, sP, 0, ps, vP, tk * Gemm.NR, o, 0, ldo, LANES, Gemm.NR, true);
                    } else {
                        weighVisibleOnly(nq, nk);
                    }
                }
            }

            long outRow = ((long) (b * p.hq() + h) * lq + q0);
            for (int i = 0; i < nq; i++) {
                float li = l[i], rowLse;
                if (li > 0) {
                    rowLse = m[i] * LN2 + (float) Math.log(li);
                } else {
                    // No weight: a fully masked row (LSE -inf, output 0), or NaN from a non-finite input the row sees,
                    // or scores beyond float32 from finite inputs, which is refused rather than returned as NaN or 0.
                    int qi = qRows == null ? q0 + i : qRows[q0 + i];
                    rowLse = li == 0 ? Float.NEGATIVE_INFINITY : Float.NaN;
                    if ((li != 0 || (ownMask && mod.isIdentity() && p.mask().rowHasVisible(b, h, qi, p.lq(), p.lk())))
                            && !seesNonFinite(q, k, b, h, qi)) {
                        throw new IllegalArgumentException("q, k: the scores of query row (b=" + b + ", h=" + h + ", q=" + qi
                                + ") overflow float32 (|scale * q.k| > 3.4e38) although the inputs are finite; scale q or k down");
                    }
                }
                float inv = li > 0 ? 1f / li : 0f;
                for (int x = 0; x < d; x++) row[x] = li > 0 ? o[i * ldo + x] * inv : li == 0 ? 0f : Float.NaN;
                out.writeFloats((outRow + i) * d, row, 0, d);
                lse.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, outRow + i, rowLse);
            }
        }

        /**
         * V rows {@code k0 .. k0+nk} of (b, kv head hk) into the panels: {@code vP[(jb * tk + j) * NR + c]} holds
         * dimension {@code jb * NR + c} of key j (0 past d). Returns whether every value is finite: the product may then
         * multiply masked zeros.
         */
        private boolean packValues(Strided v, int b, int hk, int[] kRowsOf, int k0, int nk) {
            // x * 0 is 0 for finite x and NaN otherwise: one sum of them says whether the tile is finite.
            FloatVector zero = FloatVector.zero(F), probe = zero;
            for (int j = 0; j < nk; j++) {
                v.read(v.row(b, hk, kRowsOf == null ? k0 + j : kRowsOf[k0 + j]), row, 0, d);
                for (int jb = 0; jb < vPanels; jb++) {
                    int dst = (jb * tk + j) * Gemm.NR, src = jb * Gemm.NR;
                    FloatVector x0 = FloatVector.fromArray(F, row, src), x1 = FloatVector.fromArray(F, row, src + LANES);
                    x0.intoArray(vP, dst);
                    x1.intoArray(vP, dst + LANES);
                    probe = probe.add(x0.mul(zero)).add(x1.mul(zero));
                }
            }
            return !probe.compare(VectorOperators.NE, 0f).anyTrue();
        }

        /**
         * {@code O += P V} skipping zero weights: a masked key's weight is exactly 0 and 0 * NaN is NaN, so when the
         * tile holds a non-finite value the product must not touch masked entries. Rare path; scalar in the keys.
         */
        private void weighVisibleOnly(int nq, int nk) {
            for (int i = 0; i < nq; i++) {
                for (int j = 0; j < nk; j++) {
                    float pij = sP[at(i, j)];
                    if (pij == 0f) continue;
                    for (int x = 0; x < d; x++) o[i * ldo + x] += pij * vP[((x / Gemm.NR) * tk + j) * Gemm.NR + x % Gemm.NR];
                }
            }
        }

        /** Whether query row qi of (b, h) or a key it sees under the problem's mask holds a NaN or an infinity. */
        private boolean seesNonFinite(Strided q, Strided k, int b, int h, int qi) {
            q.read(q.row(b, h, qi), row, 0, d);
            if (!VMath.allFinite(row, 0, d)) return true;
            for (int kj = 0; kj < p.lk(); kj++) {
                if (!p.mask().visible(b, h, qi, kj, p.lq(), p.lk())) continue;
                k.read(k.row(b, h / group, kj), row, 0, d);
                if (!VMath.allFinite(row, 0, d)) return true;
            }
            return false;
        }

        /**
         * Masked pairs of a partial tile to -inf, one lane panel of queries at a time (inside a panel, queries are
         * adjacent and keys LANES apart): by the compiled intervals, or the problem's mask at original positions.
         */
        private void maskScores(int b, int h, int[] qRows, int q0, int nq, int[] kRowsOf, int k0, int nk) {
            for (int qs = 0; qs < nq; qs += LANES) {
                int cnt = Math.min(LANES, nq - qs), off = (qs / LANES) * ps;
                if (ownMask) {
                    blocks.maskTile(b, h, q0 + qs, cnt, k0, nk, sP, off, 1, LANES);
                } else if (qRows == null && kRowsOf == null) {
                    p.mask().maskTile(b, h, p.lq(), p.lk(), q0 + qs, cnt, k0, nk, sP, off, 1, LANES);
                } else {
                    p.mask().maskTileGathered(b, h, p.lq(), p.lk(), qRows != null ? qRows : identity(lq), q0 + qs, cnt,
                            kRowsOf != null ? kRowsOf : identity(lk), k0, nk, sP, off, 1, LANES);
                }
            }
        }

        private int[] identityCache;

        private int[] identity(int n) {
            if (identityCache == null || identityCache.length < n) {
                identityCache = new int[Math.max(lq, lk)];
                for (int i = 0; i < identityCache.length; i++) identityCache[i] = i;
            }
            return identityCache;
        }

        /**
         * The score mod, one lane panel at a time (queries adjacent, keys LANES apart; scores here are in base 2,
         * hence the unit). Gathered rows are not consecutive positions: element by element.
         */
        private void modScores(int b, int h, int[] qRows, int q0, int nq, int[] kRowsOf, int k0, int nk) {
            if (qRows == null && kRowsOf == null) {
                for (int qs = 0; qs < nq; qs += LANES) {
                    mod.applyTile(sP, null, at(qs, 0), Math.min(LANES, nq - qs), nk, 1, LANES, b, h, q0 + qs, k0, LOG2E);
                }
                return;
            }
            for (int j = 0; j < nk; j++) {
                int kj = kRowsOf == null ? k0 + j : kRowsOf[k0 + j];
                for (int i = 0; i < nq; i++) {
                    int qi = qRows == null ? q0 + i : qRows[q0 + i];
                    sP[at(i, j)] = mod.apply(sP[at(i, j)] * LN2, b, h, qi, kj) * LOG2E;
                }
            }
        }

        /** Online softmax down each column (one query per lane): new max, P = 2^(S - max), row sums. */
        private void softmaxColumns(int nk) {
            for (int c = 0; c < bqp; c += LANES) {
                int base = (c / LANES) * ps;
                FloatVector mOld = FloatVector.fromArray(F, m, c);
                FloatVector mx = mOld;
                for (int j = 0; j < nk; j++) mx = mx.max(FloatVector.fromArray(F, sP, base + j * LANES));
                // A column with nothing visible yet keeps max -inf; subtracting 0 then leaves exp(-inf) = 0.
                FloatVector mSafe = mx.blend(0f, mx.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
                FloatVector sum = FloatVector.zero(F);
                for (int j = 0; j < nk; j++) {
                    FloatVector e = VMath.exp2(FloatVector.fromArray(F, sP, base + j * LANES).sub(mSafe));
                    e.intoArray(sP, base + j * LANES);
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
                for (int x = 0; x < ldo; x += LANES) {
                    FloatVector.fromArray(F, o, i * ldo + x).mul(av).intoArray(o, i * ldo + x);
                }
            }
        }
    }
}
