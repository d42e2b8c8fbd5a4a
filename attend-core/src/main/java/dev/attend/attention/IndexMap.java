package dev.attend.attention;

import java.util.Arrays;

/**
 * The rows a flash call over data-chosen blocks reads, for mechanisms that attend over a permuted or
 * selected set of queries and keys (sorted by hash bucket, gathered by cluster) without copying them:
 * gathered query {@code i} of (b, h) is the problem's query {@code queries[b * Hq + h][i]}, gathered key
 * {@code j} of (b, kv head hk) is the problem's key {@code keys[b * Hkv + hk][j]}. A null side is the
 * identity. Every row of one side has the same length (the gathered Lq, Lk); indices may repeat (a token
 * in two clusters). Masks and score mods are evaluated at the original positions; outputs come back in the
 * gathered order, {@code [B, Hq, gathered Lq, D]}.
 */
public record IndexMap(int[][] queries, int[][] keys) {

    /** Query count per (b, h) of the gathered problem. */
    int queryCount(AttentionProblem p) {
        return queries == null ? p.lq() : queries[0].length;
    }

    /** Key count per (b, kv head) of the gathered problem. */
    int keyCount(AttentionProblem p) {
        return keys == null ? p.lk() : keys[0].length;
    }

    /** Checks row counts, equal lengths and every index against the problem; O(total indices). */
    void validate(AttentionProblem p) {
        check("queries", queries, p.batch() * p.hq(), p.lq());
        check("keys", keys, p.batch() * p.hkv(), p.lk());
    }

    private static void check(String side, int[][] rows, int count, int limit) {
        if (rows == null) return;
        if (rows.length != count) {
            throw new IllegalArgumentException("index map " + side + ": expected " + count + " rows (one per batch x head), got " + rows.length);
        }
        for (int r = 0; r < rows.length; r++) {
            int[] row = rows[r];
            if (row == null || row.length == 0 || row.length != (rows[0] == null ? -1 : rows[0].length)) {
                throw new IllegalArgumentException("index map " + side + "[" + r + "]: expected a non-empty row as long as row 0 ("
                        + (rows[0] == null ? "null" : rows[0].length) + "), got " + (row == null ? "null" : row.length));
            }
            for (int i = 0; i < row.length; i++) {
                if (row[i] < 0 || row[i] >= limit) {
                    throw new IllegalArgumentException("index map " + side + "[" + r + "][" + i + "]: expected an index in [0, "
                            + limit + "), got " + row[i]);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "IndexMap[queries=" + (queries == null ? "identity" : queries.length + "x" + queries[0].length)
                + ", keys=" + (keys == null ? "identity" : keys.length + "x" + keys[0].length) + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IndexMap m && Arrays.deepEquals(queries, m.queries) && Arrays.deepEquals(keys, m.keys);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(queries) * 31 + Arrays.deepHashCode(keys);
    }
}
