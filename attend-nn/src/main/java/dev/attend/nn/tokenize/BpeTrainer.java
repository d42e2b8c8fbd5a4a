package dev.attend.nn.tokenize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Learns byte-pair merges from a corpus (see {@link BpeTokenizer#train}). The corpus is cut by the
 * {@link Pretokenizer} and each distinct chunk is kept once with its count; pair counts are weighted by chunk
 * counts. Each step merges the most frequent adjacent pair; <b>ties go to the smallest left id, then the
 * smallest right id</b>, so training is deterministic and independent of hash order. Occurrences inside a chunk
 * merge left to right without overlap ({@code a a a} with merge {@code (a, a)} becomes {@code n a}).
 *
 * <p>Cost: one pass to count chunks and pairs, then per merge only the chunks that hold the pair are rewritten
 * (an index from pair to chunks, and a max-heap of pair counts with stale entries skipped), so a few MB of text
 * trains thousands of merges in seconds.
 */
final class BpeTrainer {
    private final int[][] symbols;
    private final int[] lengths;
    private final long[] counts;
    private final Map<Long, Long> pairCounts = new HashMap<>();
    private final Map<Long, IntList> chunksWith = new HashMap<>();
    private final PriorityQueue<long[]> heap = new PriorityQueue<>((x, y) ->
            x[0] != y[0] ? Long.compare(y[0], x[0]) : Long.compare(x[1], y[1]));
    private final int[] visited;

    private BpeTrainer(byte[] corpus) {
        Map<ByteKey, long[]> distinct = new HashMap<>();
        Pretokenizer.forEach(corpus, (s, e) ->
                distinct.computeIfAbsent(new ByteKey(Arrays.copyOfRange(corpus, s, e)), k -> new long[1])[0]++);
        // Chunks in byte order: the chunk index order then does not depend on hash order either.
        List<Map.Entry<ByteKey, long[]>> sorted = new ArrayList<>(distinct.entrySet());
        sorted.sort((x, y) -> Arrays.compareUnsigned(x.getKey().bytes(), y.getKey().bytes()));
        int n = sorted.size();
        symbols = new int[n][];
        lengths = new int[n];
        counts = new long[n];
        visited = new int[n];
        for (int w = 0; w < n; w++) {
            byte[] bytes = sorted.get(w).getKey().bytes();
            symbols[w] = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) symbols[w][i] = bytes[i] & 0xFF;
            lengths[w] = bytes.length;
            counts[w] = sorted.get(w).getValue()[0];
            for (int i = 0; i + 1 < bytes.length; i++) {
                long p = pair(symbols[w][i], symbols[w][i + 1]);
                pairCounts.merge(p, counts[w], Long::sum);
                chunksWith.computeIfAbsent(p, k -> new IntList()).add(w);
            }
        }
        pairCounts.forEach((p, c) -> heap.add(new long[] {c, p}));
    }

    static int[][] train(byte[] corpus, int vocabSize, int minFrequency) {
        BpeTrainer t = new BpeTrainer(corpus);
        List<int[]> merges = new ArrayList<>();
        while (ByteTokenizer.VOCAB_SIZE + merges.size() < vocabSize) {
            long[] top = t.heap.poll();
            if (top == null) break;
            Long current = t.pairCounts.get(top[1]);
            if (current == null || current != top[0]) continue; // stale: a newer entry holds the count
            if (top[0] < minFrequency) break;
            int a = (int) (top[1] >>> 32), b = (int) top[1];
            t.merge(a, b, ByteTokenizer.VOCAB_SIZE + merges.size(), merges.size() + 1);
            merges.add(new int[] {a, b});
        }
        return merges.toArray(new int[0][]);
    }

    /** Rewrites every chunk holding {@code (a, b)} with the new id, and updates counts, index and heap. */
    private void merge(int a, int b, int id, int stamp) {
        long merged = pair(a, b);
        Map<Long, Long> delta = new HashMap<>();
        IntList holders = chunksWith.remove(merged);
        for (int k = 0; k < holders.size; k++) {
            int w = holders.values[k];
            if (visited[w] == stamp) continue;
            visited[w] = stamp;
            int[] s = symbols[w];
            int len = lengths[w];
            long f = counts[w];
            for (int i = 0; i + 1 < len; i++) delta.merge(pair(s[i], s[i + 1]), -f, Long::sum);
            int out = 0;
            for (int i = 0; i < len; ) {
                if (i + 1 < len && s[i] == a && s[i + 1] == b) {
                    s[out++] = id;
                    i += 2;
                } else {
                    s[out++] = s[i++];
                }
            }
            lengths[w] = out;
            for (int i = 0; i + 1 < out; i++) {
                long p = pair(s[i], s[i + 1]);
                delta.merge(p, f, Long::sum);
                if (s[i] == id || s[i + 1] == id) chunksWith.computeIfAbsent(p, x -> new IntList()).add(w);
            }
        }
        delta.forEach((p, d) -> {
            if (d == 0) return;
            long c = pairCounts.merge(p, d, Long::sum);
            if (c == 0) pairCounts.remove(p);
            else heap.add(new long[] {c, p});
        });
        if (pairCounts.containsKey(merged)) throw new AssertionError("pair " + a + "," + b + " left after its merge");
    }

    static long pair(int a, int b) {
        return ((long) a << 32) | b;
    }

    private record ByteKey(byte[] bytes) {
        @Override public boolean equals(Object o) { return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes); }
        @Override public int hashCode() { return Arrays.hashCode(bytes); }
    }

    private static final class IntList {
        int[] values = new int[4];
        int size;

        void add(int v) {
            if (size == values.length) values = Arrays.copyOf(values, size * 2);
            values[size++] = v;
        }
    }
}
