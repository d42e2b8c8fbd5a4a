package dev.attend.attention.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScoreModTest {

    @Test
    void noneIsTheIdentity() {
        assertTrue(ScoreMod.NONE.isIdentity());
        assertEquals(1.25f, ScoreMod.NONE.apply(1.25f, 0, 0, 3, 9));
        assertEquals(1f, ScoreMod.NONE.derivative(1.25f, 0, 0, 3, 9));
        assertFalse(ScoreMod.softCap(5).isIdentity());
        ScoreMod cap = ScoreMod.softCap(5);
        assertSame(cap, cap.andThen(ScoreMod.NONE));
        assertSame(cap, ScoreMod.NONE.andThen(cap));
    }

    @Test
    void alibiSlopesPowerOfTwo() {
        float[] s = ScoreMod.alibiSlopes(8);
        assertArrayEquals(new float[] {1 / 2f, 1 / 4f, 1 / 8f, 1 / 16f, 1 / 32f, 1 / 64f, 1 / 128f, 1 / 256f}, s, 1e-9f);
        assertArrayEquals(new float[] {(float) Math.pow(2, -2), 1 / 16f, 1 / 64f, 1 / 256f}, ScoreMod.alibiSlopes(4), 1e-9f);
    }

    @Test
    void alibiSlopesNonPowerOfTwo() {
        // H = 12: the 8 slopes of H=8, then slopes 0, 2, 4, 6 of H=16 (2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5)
        float[] s = ScoreMod.alibiSlopes(12);
        float[] expected = {1 / 2f, 1 / 4f, 1 / 8f, 1 / 16f, 1 / 32f, 1 / 64f, 1 / 128f, 1 / 256f,
                (float) Math.pow(2, -0.5), (float) Math.pow(2, -1.5), (float) Math.pow(2, -2.5), (float) Math.pow(2, -3.5)};
        assertArrayEquals(expected, s, 1e-7f);
        float[] s6 = ScoreMod.alibiSlopes(6);  // 4 of H=4 then 0, 2 of H=8
        assertArrayEquals(new float[] {1 / 4f, 1 / 16f, 1 / 64f, 1 / 256f, 1 / 2f, 1 / 8f}, s6, 1e-7f);
        assertEquals(1, ScoreMod.alibiSlopes(1).length);
        assertEquals(1 / 256f, ScoreMod.alibiSlopes(1)[0], 1e-9f);
    }

    @Test
    void alibiBias() {
        ScoreMod a = ScoreMod.alibi(8);
        assertEquals(0.5f + 0.5f * (2 - 7), a.apply(0.5f, 0, 0, 7, 2), 1e-6f);
        assertEquals(0.5f - 3f / 256, a.apply(0.5f, 1, 7, 7, 4), 1e-6f);
        assertEquals(1f, a.derivative(3f, 0, 3, 7, 4));
        a.validate(2, 8, 10, 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.validate(2, 4, 10, 10));
        assertTrue(e.getMessage().contains("heads == 8") && e.getMessage().contains("got 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ScoreMod.alibi(0));
    }

    @Test
    void softCapValuesAndDerivative() {
        ScoreMod c = ScoreMod.softCap(30f);
        assertEquals(30 * Math.tanh(45.0 / 30), c.apply(45f, 0, 0, 0, 0), 1e-4);
        assertEquals(0f, c.apply(0f, 0, 0, 0, 0));
        assertTrue(c.apply(1e6f, 0, 0, 0, 0) <= 30f);
        assertEquals(-c.apply(7f, 0, 0, 0, 0), c.apply(-7f, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> ScoreMod.softCap(0));
        assertThrows(IllegalArgumentException.class, () -> ScoreMod.softCap(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> ScoreMod.softCap(Float.POSITIVE_INFINITY));
    }

    @Test
    void derivativesMatchFiniteDifferences() {
        float[][] table = new float[2][32];
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i < 32; i++) {
                table[h][i] = (float) Math.sin(h * 32 + i);
            }
        }
        ScoreMod[] mods = {ScoreMod.softCap(4f), ScoreMod.softCap(30f), ScoreMod.alibi(2),
                ScoreMod.relativeBucketBias(table, true, 128), ScoreMod.alibi(2).andThen(ScoreMod.softCap(3f))};
        for (ScoreMod m : mods) {
            for (float s = -9f; s <= 9f; s += 0.37f) {
                double eps = 1e-3;
                double fd = (m.apply((float) (s + eps), 0, 1, 5, 2) - (double) m.apply((float) (s - eps), 0, 1, 5, 2)) / (2 * eps);
                assertEquals(fd, m.derivative(s, 0, 1, 5, 2), 2e-2, m + " at " + s);
            }
        }
    }

    @Test
    void t5BucketsFollowTheReference() {
        // bidirectional, 32 buckets, max distance 128: 16 per side, exact below 8, log-spaced to 128
        assertEquals(0, ScoreMod.t5Bucket(0, true, 32, 128));
        assertEquals(3, ScoreMod.t5Bucket(-3, true, 32, 128));
        assertEquals(16 + 3, ScoreMod.t5Bucket(3, true, 32, 128));
        assertEquals(8, ScoreMod.t5Bucket(-8, true, 32, 128));
        assertEquals(8 + (int) (Math.log(20 / 8.0) / Math.log(16) * 8), ScoreMod.t5Bucket(-20, true, 32, 128));
        assertEquals(15, ScoreMod.t5Bucket(-127, true, 32, 128));
        assertEquals(15, ScoreMod.t5Bucket(-5000, true, 32, 128));
        assertEquals(31, ScoreMod.t5Bucket(5000, true, 32, 128));
        // unidirectional: future keys fall in bucket 0
        assertEquals(0, ScoreMod.t5Bucket(7, false, 32, 128));
        assertEquals(5, ScoreMod.t5Bucket(-5, false, 32, 128));
        assertEquals(31, ScoreMod.t5Bucket(-1000, false, 32, 128));
    }

    @Test
    void relativeBucketBiasLooksUpTheTable() {
        float[][] table = new float[3][32];
        for (int h = 0; h < 3; h++) {
            for (int i = 0; i < 32; i++) {
                table[h][i] = 100 * h + i;
            }
        }
        ScoreMod t5 = ScoreMod.relativeBucketBias(table, true, 128);
        table[0][0] = -1;  // the mod copied it
        for (int h = 0; h < 3; h++) {
            for (int d = -400; d <= 400; d += 3) {
                float expected = 1f + 100 * h + ScoreMod.t5Bucket(d, true, 32, 128);
                assertEquals(expected, t5.apply(1f, 0, h, 500, 500 + d), 1e-6f, "h=" + h + " d=" + d);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> t5.validate(1, 2, 5, 5));
        assertThrows(IllegalArgumentException.class, () -> ScoreMod.relativeBucketBias(new float[][] {{1, 2}, {1}}, false, 8));
        assertThrows(IllegalArgumentException.class, () -> ScoreMod.relativeBucketBias(table, true, 8));
    }

    /** The vector tile of every library mod (and a composition) equals the element-wise definition, in every layout. */
    @Test
    void tilesEqualTheElementWiseDefinition() {
        float[][] table = new float[4][8];
        java.util.Random r = new java.util.Random(5);
        for (float[] row : table) for (int x = 0; x < row.length; x++) row[x] = (float) r.nextGaussian();
        ScoreMod[] mods = {ScoreMod.alibi(4), ScoreMod.softCap(3f), ScoreMod.relativeBucketBias(table, true, 40),
                ScoreMod.alibi(4).andThen(ScoreMod.softCap(7f)), new ScoreMod() {  // a mod of a user's: the default tile
                    @Override public float apply(float z, int b, int h, int qi, int ki) { return z * (1 + h) + qi - 2 * ki; }
                    @Override public float derivative(float z, int b, int h, int qi, int ki) { return 1 + h; }
                }};
        float log2e = (float) (1 / Math.log(2));
        for (ScoreMod mod : mods) {
            for (int[] rc : new int[][] {{1, 1}, {8, 7}, {3, 9}, {8, 16}, {5, 37}}) {
                int rows = rc[0], cols = rc[1];
                // keys adjacent (row-major), queries adjacent (lane panels), and neither
                for (int[] st : new int[][] {{cols + 2, 1}, {1, rows + 1}, {2 * cols + 1, 2}}) {
                    for (float unit : new float[] {1f, log2e}) {
                        int size = 3 + rows * st[0] + cols * st[1];
                        float[] s = new float[size], d = new float[size], z = new float[size];
                        for (int i = 0; i < rows; i++) {
                            for (int j = 0; j < cols; j++) {
                                int at = 2 + i * st[0] + j * st[1];
                                z[at] = (float) (r.nextGaussian() * 6);
                                s[at] = z[at] * unit;
                            }
                        }
                        float[] before = s.clone();
                        int h = 3, q0 = 50, k0 = 20;
                        mod.applyTile(s, d, 2, rows, cols, st[0], st[1], 0, h, q0, k0, unit);
                        boolean[] inTile = new boolean[size];
                        for (int i = 0; i < rows; i++) {
                            for (int j = 0; j < cols; j++) {
                                int at = 2 + i * st[0] + j * st[1];
                                inTile[at] = true;
                                String where = mod.describe() + " " + rows + "x" + cols + " strides " + st[0] + "," + st[1] + " unit=" + unit
                                        + " (" + i + ", " + j + ")";
                                float want = mod.apply(z[at], 0, h, q0 + i, k0 + j);
                                assertEquals(want, s[at] / unit, 1e-5f * Math.max(1, Math.abs(want)), where);  // a few roundings of the bias
                                assertEquals(mod.derivative(z[at], 0, h, q0 + i, k0 + j), d[at], 2e-6f, where + " derivative");
                            }
                        }
                        for (int at = 0; at < size; at++) if (!inTile[at]) assertEquals(before[at], s[at], "outside the tile at " + at);
                    }
                }
            }
        }
    }
}
