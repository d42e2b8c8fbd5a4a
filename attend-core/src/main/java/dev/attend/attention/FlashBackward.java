package dev.attend.attention;

import dev.attend.attention.mask.BlockMask;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.simd.Gemm;
import dev.attend.simd.Parallel;
import dev.attend.simd.VMath;
import dev.attend.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

import java.util.Arrays;

import static dev.attend.simd.Gemm.F;
import static dev.attend.simd.Gemm.LANES;

/**
 * FlashAttention-2 backward. With {@code D = rowsum(dO * O)} and the saved LSE, each kv tile of each
 * (batch, kv head) is one work item: for every query tile that sees it (all heads of its GQA group) it
 * recomputes {@code P = exp(S - lse)}, then {@code dV += P^T dO}, {@code dP = dO V^T},
 * {@code dS = P * (dP - D)}, {@code dK += scale dS^T Q} and {@code dQ += scale dS K}.
 * dK and dV belong to their item; dQ is summed per worker and the workers' sums are added in worker
 * order. Items are dealt round-robin, so for a given thread count the result is bit-reproducible.
 * Extra memory: one dQ-sized accumulator per worker. Blocks given by a mechanism are split into the kernel's
 * tiles, and PARTIAL ones are masked by the problem's mask.
 */
final class FlashBackward {
    static final int BLOCK_Q = 96;
    static final int BLOCK_K = 192;

    private FlashBackward() {}

    /** The problem's mask compiled at the kernel's own tile sizes. */
    static BlockMask compile(AttentionProblem p) {
        return p.mask().compile(p.batch(), p.hq(), p.lq(), p.lk(), Math.min(BLOCK_Q, Gemm.pad(p.lq())), Math.min(BLOCK_K, Gemm.pad(p.lk())));
    }

    /** Inputs were checked by {@link AttentionMechanism#backward} and {@link FlashAttention}. */
    static Gradients run(AttentionProblem p, AttentionResult fwd, Tensor dOut, BlockMask mask) {
        int d = p.headDim(), dp = Gemm.pad(d);
        long dqSize = (long) p.batch() * p.hq() * p.lq() * dp;
        if (dqSize > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("backward: B*Hq*Lq*D must stay below 2^31 elements, got " + dqSize);
        }
        int subs = FlashForward.ceilDiv(mask.blockK(), BLOCK_K), tk = FlashForward.ceilDiv(mask.blockK(), subs);
        int tq = FlashForward.ceilDiv(mask.blockQ(), FlashForward.ceilDiv(mask.blockQ(), BLOCK_Q));
        Strided q = Strided.of(p.q()), k = Strided.of(p.k()), v = Strided.of(p.v()), dO = Strided.of(dOut);
        Tensor lse = fwd.lse().contiguous();
        float[] delta = rowDots(dO, Strided.of(fwd.out()), p);

        Tensor dk = Tensor.zeros(p.k().shape()), dv = Tensor.zeros(p.v().shape());
        int items = p.batch() * p.hkv() * mask.kBlocks() * subs;
        int workers = Math.max(1, Math.min(Parallel.workers(), items));
        float[][] dq = new float[workers][];
        Parallel.run(workers, (w, n) -> {
            Tile t = new Tile(p, mask, tq, tk);
            dq[w] = new float[(int) dqSize];
            for (int i = w; i < items; i += n) {
                int sub = i % subs, kb = i / subs % mask.kBlocks(), bh = i / subs / mask.kBlocks();
                t.run(q, k, v, dO, lse, delta, bh / p.hkv(), bh % p.hkv(), kb, sub, dq[w], dk, dv);
            }
        });
        Tensor dqT = Tensor.zeros(p.q().shape());
        int rows = p.batch() * p.hq() * p.lq();
        Parallel.forEach(Parallel.threads(), (part, w) -> {
            float[] row = new float[dp];
            int per = (rows + Parallel.threads() - 1) / Parallel.threads();
            for (int r = part * per; r < Math.min(rows, (part + 1) * per); r++) {
                System.arraycopy(dq[0], r * dp, row, 0, dp);
                for (int x = 1; x < dq.length; x++) {
                    for (int c = 0; c < d; c++) row[c] += dq[x][r * dp + c];
                }
                dqT.writeFloats((long) r * d, row, 0, d);
            }
        });
        return new Gradients(dqT, dk, dv);
    }

    /** {@code D[r] = sum_x dO[r][x] * O[r][x]} per query row (b, h, i), rows read in bulk. */
    private static float[] rowDots(Strided dO, Strided out, AttentionProblem p) {
        int rows = p.batch() * p.hq() * p.lq(), d = p.headDim();
        float[] delta = new float[rows];
        Parallel.run(rows, (w, workers) -> {
            float[] a = new float[d], b = new float[d];
            for (int r = w; r < rows; r += workers) {
                int bb = r / (p.hq() * p.lq()), h = r / p.lq() % p.hq(), i = r % p.lq();
                dO.read(dO.row(bb, h, i), a, 0, d);
                out.read(out.row(bb, h, i), b, 0, d);
                double s = 0;
                for (int x = 0; x < d; x++) s += (double) a[x] * b[x];
                delta[r] = (float) s;
            }
        });
        return delta;
    }

    /** One worker's tile buffers. Layouts: rows of width dp (padded head dim) or bkp (padded kv tile). */
    private static final class Tile {
        final AttentionProblem p;
        final BlockMask mask;
        final boolean ownMask;
        final int tq, tk, d, dp, bkp, group;
        final float[] kRows, kT, vT, qRows, dORows, s, dP, dK, dV, lseRow, deltaRow, deriv, row;
        final ScoreMod mod;

        Tile(AttentionProblem p, BlockMask mask, int tq, int tk) {
            this.p = p;
            this.mask = mask;
            this.ownMask = mask.mask() == p.mask();
            this.tq = tq;
            this.tk = tk;
            this.d = p.headDim();
            this.dp = Gemm.pad(d);
            this.bkp = Gemm.pad(tk);
            this.group = p.hq() / p.hkv();
            this.mod = p.scoreMod();
            kRows = new float[tk * dp];
            kT = new float[d * bkp];
            vT = new float[d * bkp];
            qRows = new float[tq * dp];
            dORows = new float[tq * dp];
            s = new float[tq * bkp];
            dP = new float[tq * bkp];
            dK = new float[tk * dp];
            dV = new float[tk * dp];
            lseRow = new float[tq];
            deltaRow = new float[tq];
            deriv = mod.isIdentity() ? null : new float[tq * bkp];
            row = new float[dp];
        }

        void run(Strided q, Strided k, Strided v, Strided dO, Tensor lse, float[] delta,
                 int b, int hk, int kb, int sub, float[] dq, Tensor dkOut, Tensor dvOut) {
            int blockEnd = Math.min(p.lk(), (kb + 1) * mask.blockK());
            int k0 = kb * mask.blockK() + sub * tk, nk = Math.min(tk, blockEnd - k0);
            if (nk <= 0) return;
            Arrays.fill(kT, 0f);
            Arrays.fill(vT, 0f);
            for (int j = 0; j < nk; j++) {
                k.read(k.row(b, hk, k0 + j), kRows, j * dp, d);
                v.read(v.row(b, hk, k0 + j), row, 0, d);
                for (int x = 0; x < d; x++) {
                    kT[x * bkp + j] = kRows[j * dp + x];
                    vT[x * bkp + j] = row[x];
                }
            }
            Arrays.fill(dK, 0, nk * dp, 0f);
            Arrays.fill(dV, 0, nk * dp, 0f);
            float scale = p.scale();
            kvFinite = true;
            for (int j = 0; j < nk && kvFinite; j++) {
                kvFinite = VMath.allFinite(kRows, j * dp, d);
                for (int x = 0; x < d && kvFinite; x++) kvFinite = Float.isFinite(vT[x * bkp + j]);
            }

            for (int h = hk * group; h < (hk + 1) * group; h++) {
                for (int t = 0, n = mask.countByKey(b, h, kb); t < n; t++) {
                    int qb = mask.qBlock(b, h, kb, t);
                    boolean full = mask.isFullByKey(b, h, kb, t);
                    int qEnd = Math.min(p.lq(), (qb + 1) * mask.blockQ());
                    for (int q0 = qb * mask.blockQ(); q0 < qEnd; q0 += tq) {
                        int nq = Math.min(tq, qEnd - q0);
                        tile(q, dO, lse, delta, b, h, q0, nq, k0, nk, full, scale, dq);
                    }
                }
            }
            long kvRow = ((long) (b * p.hkv() + hk) * p.lk() + k0) * d;
            for (int j = 0; j < nk; j++) {
                dkOut.writeFloats(kvRow + (long) j * d, dK, j * dp, d);
                dvOut.writeFloats(kvRow + (long) j * d, dV, j * dp, d);
            }
        }

        /** The five products of one (query tile, key tile) pair. */
        private void tile(Strided q, Strided dO, Tensor lse, float[] delta, int b, int h, int q0, int nq, int k0, int nk,
                          boolean full, float scale, float[] dq) {
            int rowBase = (b * p.hq() + h) * p.lq() + q0;
            for (int i = 0; i < nq; i++) {
                q.read(q.row(b, h, q0 + i), qRows, i * dp, d);
                dO.read(dO.row(b, h, q0 + i), dORows, i * dp, d);
            }
            lse.readFloats(rowBase, lseRow, 0, nq);
            System.arraycopy(delta, rowBase, deltaRow, 0, nq);

            // S = Q K^T (scaled), then the score modifier and the mask, then P = exp(S - lse).
            Gemm.mul(nq, bkp, d, qRows, 0, dp, 1, kT, 0, bkp, s, 0, bkp, false);
            for (int i = 0; i < nq; i++) {
                for (int j = 0; j < nk; j++) s[i * bkp + j] *= scale;
            }
            if (deriv != null) modScores(b, h, q0, nq, k0, nk);
            if (!full) {
                if (ownMask) mask.maskTile(b, h, q0, nq, k0, nk, s, 0, bkp);
                else p.mask().maskTile(b, h, p.lq(), p.lk(), q0, nq, k0, nk, s, 0, bkp, 1);
                if (!finiteTile(nq)) {
                    visibleOnly(nq, nk, scale, rowBase, dq);
                    return;
                }
            }
            probabilities(nq, nk);

            Gemm.mul(nk, dp, nq, s, 0, 1, bkp, dORows, 0, dp, dV, 0, dp, true);        // dV += P^T dO
            Gemm.mul(nq, bkp, d, dORows, 0, dp, 1, vT, 0, bkp, dP, 0, bkp, false);     // dP = dO V^T
            scoreGrad(nq, nk, scale);                                                   // dP <- dS * scale
            Gemm.mul(nk, dp, nq, dP, 0, 1, bkp, qRows, 0, dp, dK, 0, dp, true);        // dK += dS^T Q
            Gemm.mul(nq, dp, nk, dP, 0, bkp, 1, kRows, 0, dp, dq, rowBase * dp, dp, true); // dQ += dS K
        }

        private boolean kvFinite;

        /** Whether every input of a partial tile is finite, so that the GEMMs may multiply the zero weights of masked pairs. */
        private boolean finiteTile(int nq) {
            if (!kvFinite || !VMath.allFinite(deltaRow, 0, nq)) return false;
            for (int i = 0; i < nq; i++) {
                if (Float.isNaN(lseRow[i]) || !VMath.allFinite(qRows, i * dp, d) || !VMath.allFinite(dORows, i * dp, d)) return false;
            }
            return true;
        }

        /**
         * The five products of a partial tile that holds a NaN or an infinity, touching visible pairs only: 0 * NaN is
         * NaN, so a masked pair must not enter any product (as in the reference). Rare path; scalar loops.
         */
        private void visibleOnly(int nq, int nk, float scale, int rowBase, float[] dq) {
            for (int i = 0; i < nq; i++) {
                float li = lseRow[i];
                for (int j = 0; j < nk; j++) {
                    float sij = s[i * bkp + j];
                    if (sij == Float.NEGATIVE_INFINITY || li == Float.NEGATIVE_INFINITY) continue;
                    float pij = VMath.exp(sij - li);
                    if (pij == 0f) continue;
                    float dpij = 0f;
                    for (int x = 0; x < d; x++) dpij += dORows[i * dp + x] * vT[x * bkp + j];
                    float ds = pij * (dpij - deltaRow[i]) * (deriv != null ? deriv[i * bkp + j] : 1f) * scale;
                    for (int x = 0; x < d; x++) {
                        dV[j * dp + x] += pij * dORows[i * dp + x];
                        dK[j * dp + x] += ds * qRows[i * dp + x];
                        dq[(rowBase + i) * dp + x] += ds * kRows[j * dp + x];
                    }
                }
            }
        }

        /** The score mod and its derivative over the tile (row-major, keys adjacent). */
        private void modScores(int b, int h, int q0, int nq, int k0, int nk) {
            mod.applyTile(s, deriv, 0, nq, nk, bkp, 1, b, h, q0, k0, 1f);
        }

        private void probabilities(int nq, int nk) {
            for (int i = 0; i < nq; i++) {
                float li = lseRow[i];
                int o = i * bkp;
                if (li == Float.NEGATIVE_INFINITY) { // a fully masked row passes no gradient
                    Arrays.fill(s, o, o + bkp, 0f);
                    continue;
                }
                FloatVector lv = FloatVector.broadcast(F, li);
                int j = 0;
                for (; j + LANES <= nk; j += LANES) {
                    VMath.exp(FloatVector.fromArray(F, s, o + j).sub(lv)).intoArray(s, o + j);
                }
                for (; j < nk; j++) s[o + j] = VMath.exp(s[o + j] - li);
                Arrays.fill(s, o + nk, o + bkp, 0f);
            }
        }

        /** dS = P * (dP - D) [* d mod / d score] * scale, written over dP. */
        private void scoreGrad(int nq, int nk, float scale) {
            for (int i = 0; i < nq; i++) {
                int o = i * bkp;
                FloatVector di = FloatVector.broadcast(F, deltaRow[i]);
                for (int j = 0; j < bkp; j += LANES) {
                    FloatVector ds = FloatVector.fromArray(F, dP, o + j).sub(di).mul(FloatVector.fromArray(F, s, o + j));
                    if (deriv != null) ds = ds.mul(FloatVector.fromArray(F, deriv, o + j));
                    ds.mul(scale).intoArray(dP, o + j);
                }
            }
        }
    }
}
