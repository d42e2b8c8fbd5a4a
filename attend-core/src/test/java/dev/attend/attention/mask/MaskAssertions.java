package dev.attend.attention.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;

/** Brute-force checks of a compiled BlockMask against the mask's per-element oracle. */
final class MaskAssertions {

    private MaskAssertions() {
    }

    /** The oracle matrix of (b, h). */
    static boolean[][] oracle(Mask m, int b, int h, int lq, int lk) {
        boolean[][] v = new boolean[lq][lk];
        for (int q = 0; q < lq; q++) {
            for (int k = 0; k < lk; k++) {
                v[q][k] = m.visible(b, h, q, k, lq, lk);
            }
        }
        return v;
    }

    static long count(boolean[][] v) {
        long n = 0;
        for (boolean[] row : v) {
            for (boolean x : row) {
                n += x ? 1 : 0;
            }
        }
        return n;
    }

    /** Matrix from strings like "1100": one string per query row. */
    static boolean[][] matrix(String... rows) {
        boolean[][] v = new boolean[rows.length][];
        for (int q = 0; q < rows.length; q++) {
            v[q] = new boolean[rows[q].length()];
            for (int k = 0; k < rows[q].length(); k++) {
                v[q][k] = rows[q].charAt(k) == '1';
            }
        }
        return v;
    }

    static String render(boolean[][] v) {
        StringBuilder sb = new StringBuilder();
        for (boolean[] row : v) {
            for (boolean x : row) {
                sb.append(x ? '1' : '0');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Reconstructs (b, h) from the row view and maskTile; checks every structural invariant on the way. */
    static boolean[][] fromRowView(BlockMask bm, int b, int h, boolean[][] oracle) {
        int lq = bm.lq(), lk = bm.lk(), bq = bm.blockQ(), bk = bm.blockK();
        boolean[][] rec = new boolean[lq][lk];
        long visited = 0;
        for (int qb = 0; qb < bm.qBlocks(); qb++) {
            int prev = -1;
            for (int i = 0; i < bm.count(b, h, qb); i++) {
                int kb = bm.kBlock(b, h, qb, i);
                assertTrue(kb > prev && kb < bm.kBlocks(), "key blocks ascending and in range at qb=" + qb);
                prev = kb;
                tile(bm, b, h, qb, kb, bm.isFull(b, h, qb, i), oracle, rec);
                visited++;
            }
        }
        return rec;
    }

    /** Same from the column view. */
    static boolean[][] fromColumnView(BlockMask bm, int b, int h, boolean[][] oracle) {
        boolean[][] rec = new boolean[bm.lq()][bm.lk()];
        for (int kb = 0; kb < bm.kBlocks(); kb++) {
            int prev = -1;
            for (int i = 0; i < bm.countByKey(b, h, kb); i++) {
                int qb = bm.qBlock(b, h, kb, i);
                assertTrue(qb > prev && qb < bm.qBlocks(), "query blocks ascending and in range at kb=" + kb);
                prev = qb;
                tile(bm, b, h, qb, kb, bm.isFullByKey(b, h, kb, i), oracle, rec);
            }
        }
        return rec;
    }

    private static void tile(BlockMask bm, int b, int h, int qb, int kb, boolean full, boolean[][] oracle, boolean[][] rec) {
        int q0 = qb * bm.blockQ(), q1 = Math.min(bm.lq(), q0 + bm.blockQ());
        int k0 = kb * bm.blockK(), k1 = Math.min(bm.lk(), k0 + bm.blockK());
        int nq = q1 - q0, nk = k1 - k0;
        // padded layout: ld > nk and an offset, to catch index mistakes in maskTile
        int ld = nk + 3, off = 5;
        float[] scores = new float[off + nq * ld + 2];
        Arrays.fill(scores, 7f);
        for (int r = 0; r < nq; r++) {
            Arrays.fill(scores, off + r * ld, off + r * ld + nk, 0f);
        }
        float[] before = scores.clone();
        if (!full) {
            bm.maskTile(b, h, q0, nq, k0, nk, scores, off, ld);
        }
        boolean any = false;
        for (int i = 0; i < scores.length; i++) {
            int r = (i - off) / ld, c = (i - off) % ld;
            boolean inTile = i >= off && r < nq && c < nk;
            if (!inTile) {
                assertEquals(before[i], scores[i], "maskTile wrote outside the tile at index " + i);
            }
        }
        for (int r = 0; r < nq; r++) {
            for (int c = 0; c < nk; c++) {
                float s = scores[off + r * ld + c];
                boolean vis = s == 0f;
                if (!vis && s != Float.NEGATIVE_INFINITY) {
                    fail("maskTile wrote " + s + " at (" + (q0 + r) + ", " + (k0 + c) + ")");
                }
                if (full && !oracle[q0 + r][k0 + c]) {
                    fail("tile (" + qb + ", " + kb + ") flagged FULL but (" + (q0 + r) + ", " + (k0 + c) + ") is masked");
                }
                rec[q0 + r][k0 + c] |= vis;
                any |= vis;
            }
        }
        assertTrue(any, "listed tile (" + qb + ", " + kb + ") is empty");
        if (!full) {
            boolean masked = false;
            for (int r = 0; r < nq && !masked; r++) {
                for (int c = 0; c < nk && !masked; c++) {
                    masked = !oracle[q0 + r][k0 + c];
                }
            }
            assertTrue(masked, "tile (" + qb + ", " + kb + ") is entirely visible but flagged PARTIAL");
        }
    }

    /** Every check of the brief for one compile. */
    static void checkCompiled(Mask m, int batch, int heads, int lq, int lk, int bq, int bk) {
        BlockMask bm = m.compile(batch, heads, lq, lk, bq, bk);
        assertEquals((lq + bq - 1) / bq, bm.qBlocks());
        assertEquals((lk + bk - 1) / bk, bm.kBlocks());
        String where = m + " lq=" + lq + " lk=" + lk + " block=" + bq + "x" + bk;
        long total = 0, visited = 0, fullTiles = 0;
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                boolean[][] o = oracle(m, b, h, lq, lk);
                boolean[][] rows = fromRowView(bm, b, h, o);
                for (int q = 0; q < lq; q++) {
                    assertArrayEquals(o[q], rows[q], () -> where + ": row view differs from oracle\nexpected\n"
                            + render(o) + "got\n" + render(rows));
                }
                boolean[][] cols = fromColumnView(bm, b, h, o);
                for (int q = 0; q < lq; q++) {
                    assertArrayEquals(o[q], cols[q], where + ": column view differs from oracle at row " + q);
                }
                long area = count(o);
                assertEquals(area, bm.area(b, h), where + ": area(b, h)");
                total += area;
                long v = 0, f = 0;
                for (int qb = 0; qb < bm.qBlocks(); qb++) {
                    v += bm.count(b, h, qb);
                    for (int i = 0; i < bm.count(b, h, qb); i++) {
                        f += bm.isFull(b, h, qb, i) ? 1 : 0;
                    }
                }
                long vc = 0;
                for (int kb = 0; kb < bm.kBlocks(); kb++) {
                    vc += bm.countByKey(b, h, kb);
                }
                assertEquals(v, vc, where + ": row and column views list different tile counts");
                visited += v;
                fullTiles += f;
            }
        }
        assertEquals(total, bm.area(), where + ": area()");
        assertEquals(total, m.area(batch, heads, lq, lk), where + ": Mask.area");
        assertEquals(visited, bm.visitedTiles(), where + ": visitedTiles");
        assertEquals(fullTiles, bm.fullTiles(), where + ": fullTiles");
    }
}
