package dev.attend.attention;

import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random attention problems over every mask of the library, shared by the kernel tests. */
final class Cases {
    private Cases() {}

    static final int[] HEAD_DIMS = {16, 32, 64, 80, 128};
    static final int[][] HEADS = {{1, 1}, {4, 1}, {8, 2}};

    /** A named problem; the name says everything needed to reproduce it. */
    record Case(String name, AttentionProblem problem) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> random(int count, long seed, int maxLen) {
        Random r = new Random(seed);
        List<Case> out = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            int b = 1 + r.nextInt(2);
            int[] heads = HEADS[r.nextInt(HEADS.length)];
            int d = HEAD_DIMS[r.nextInt(HEAD_DIMS.length)];
            int lq = 1 + r.nextInt(maxLen);
            boolean cross = r.nextInt(4) == 0;
            int lk = cross ? 1 + r.nextInt(maxLen) : lq;
            Mask mask = cross ? crossMask(r) : selfMask(r, lq, b);
            ScoreMod mod = switch (r.nextInt(8)) {
                case 0 -> ScoreMod.alibi(heads[0]);
                case 1 -> ScoreMod.softCap(5f + r.nextInt(20));
                default -> ScoreMod.NONE;
            };
            long s = r.nextLong();
            Tensor q = Tensor.randn(s, b, heads[0], lq, d);
            Tensor k = Tensor.randn(s + 1, b, heads[1], lk, d);
            Tensor v = Tensor.randn(s + 2, b, heads[1], lk, d);
            AttentionProblem p = AttentionProblem.of(q, k, v, mask).withScoreMod(mod);
            if (r.nextInt(5) == 0) p = p.withScale(0.5f + r.nextFloat()); // sharper softmax
            out.add(new Case(String.format("#%d B=%d Hq=%d Hkv=%d Lq=%d Lk=%d D=%d mask=%s mod=%s scale=%.3f",
                    c, b, heads[0], heads[1], lq, lk, d, mask.describe(), mod.describe(), p.scale()), p));
        }
        return out;
    }

    static Mask crossMask(Random r) {
        return switch (r.nextInt(3)) {
            case 0 -> Masks.full();
            case 1 -> Masks.causal();
            default -> Masks.causalBottomRight();
        };
    }

    /** Every mask of the library ({@code MaskRegistryCoverageTest} checks it), with parameters drawn for length {@code l} and {@code batch}. */
    static Mask selfMask(Random r, int l, int batch) {
        int[] docs = partition(r, l);
        return switch (r.nextInt(19)) {
            case 0 -> Masks.full();
            case 1 -> Masks.causal();
            case 2 -> Masks.causalBottomRight();
            case 3 -> Masks.slidingWindow(1 + r.nextInt(l));
            case 4 -> Masks.slidingWindowBidirectional(1 + r.nextInt(l));
            case 5 -> Masks.globalSliding(r.nextInt(l + 1), 1 + r.nextInt(l));
            case 6 -> Masks.documents(docs);
            case 7 -> Masks.documentsCausal(docs);
            case 8 -> Masks.shareQuestion(docs);
            case 9 -> Masks.causalBlockwise(docs);
            case 10 -> Masks.prefixLm(r.nextInt(l + 1));
            case 11 -> {
                int[] pre = new int[docs.length];
                for (int i = 0; i < docs.length; i++) pre[i] = r.nextInt(docs[i] + 1);
                yield Masks.prefixLmDocuments(pre, docs);
            }
            case 12 -> Masks.blockCausalDocument(1 + r.nextInt(64), docs);
            case 13 -> Masks.sinksWindow(r.nextInt(5), 1 + r.nextInt(l));
            case 14 -> Masks.blockSparseRandom(16 << r.nextInt(3), 16 << r.nextInt(3), 0.1 + 0.9 * r.nextDouble(), r.nextLong());
            case 15 -> Mask.predicate("q+k not divisible by 3", (b, h, qi, ki) -> (qi + ki) % 3 != 0);
            case 16 -> {
                int[] valid = new int[batch];
                for (int i = 0; i < batch; i++) valid[i] = r.nextInt(l + 1);
                yield r.nextBoolean() ? Masks.padding(valid) : Masks.padding(valid).and(Masks.causal());
            }
            case 17 -> {
                int bq = 8 << r.nextInt(3), bk = 8 << r.nextInt(3);
                boolean[][] layout = new boolean[(l + bq - 1) / bq][(l + bk - 1) / bk];
                for (boolean[] row : layout) for (int j = 0; j < row.length; j++) row[j] = r.nextInt(3) > 0;
                yield Masks.blockSparse(bq, bk, layout);
            }
            default -> Masks.slidingWindow(1 + r.nextInt(l)).or(Masks.prefixLm(r.nextInt(l + 1))).and(Masks.causal());
        };
    }

    static int[] partition(Random r, int l) {
        List<Integer> lens = new ArrayList<>();
        int left = l;
        while (left > 0) {
            int n = 1 + r.nextInt(Math.max(1, Math.min(left, 1 + l / 2)));
            lens.add(n);
            left -= n;
        }
        return lens.stream().mapToInt(Integer::intValue).toArray();
    }

    /** max |a - b| over all elements, treating equal infinities as equal. */
    static double maxAbsDiff(Tensor a, Tensor b) {
        float[] x = a.toArray(), y = b.toArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] == y[i]) continue;
            m = Math.max(m, Math.abs((double) x[i] - y[i]));
        }
        return m;
    }

    static double maxAbs(Tensor a) {
        double m = 0;
        for (float x : a.toArray()) m = Math.max(m, Math.abs(x));
        return m;
    }
}
