package dev.attend.cli.bench;

import dev.attend.attention.mask.MaskParam;
import dev.attend.attention.mask.MaskRegistry;
import dev.attend.attention.mask.MaskType;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * A mask spec of each registered type for a given length, with the parameters LongCA-bench uses: windows of
 * 1024 (a quarter of the length when shorter), blocks of 128 or 1024, document lengths drawn from a seeded
 * distribution with every document capped at a quarter of the total. Types the bench does not know by name get
 * parameters from their kinds, so a newly registered mask appears in the grid with no edit here.
 */
final class MaskSamples {
    private MaskSamples() {}

    /** The spec of {@code type} at self-attention length {@code l} for {@code batch} entries; draw {@code seed} of its random parameters. */
    static String at(MaskType type, int l, int batch, long seed) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + type.name().hashCode());
        int w = Math.max(1, Math.min(1024, l / 4));
        return switch (type.name()) {
            case "full", "causal", "causal-br" -> type.name();
            case "sliding", "sliding-bi" -> type.name() + ":" + w;
            case "global-sliding" -> "global-sliding:" + Math.max(1, Math.min(256, l / 16)) + "," + w;
            case "sinks" -> "sinks:4," + w;
            case "prefix-lm" -> "prefix-lm:" + l / 4;
            case "document", "document-causal", "share-question", "causal-blockwise" -> type.name() + ":" + join(documents(l, r));
            case "prefix-lm-document" -> {
                int[] docs = documents(l, r);
                int[] pre = new int[docs.length];
                for (int i = 0; i < docs.length; i++) pre[i] = docs[i] / 4;
                yield "prefix-lm-document:" + join(pre) + ";" + join(docs);
            }
            case "block-causal-document" -> "block-causal-document:" + Math.max(1, Math.min(1024, l / 8)) + ";" + join(documents(l, r));
            case "padding" -> {
                int[] valid = new int[batch];
                for (int b = 0; b < batch; b++) valid[b] = l / 2 + r.nextInt(l - l / 2 + 1);
                yield "padding:" + join(valid);
            }
            case "block-sparse" -> {
                int bs = Math.min(128, Math.max(1, l / 4)), n = (l + bs - 1) / bs;
                List<String> rows = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    StringBuilder row = new StringBuilder();
                    for (int j = 0; j < n; j++) row.append(i == j || r.nextBoolean() ? '1' : '0');
                    rows.add(row.toString());
                }
                yield "block-sparse:" + bs + "," + bs + ";" + String.join(",", rows);
            }
            case "block-sparse-random" -> "block-sparse-random:128,128,0.5," + seed;
            default -> generic(type, l, batch, r, seed);
        };
    }

    /** A block-sparse layout for cross attention (lq != lk): tiles of 128 (or smaller), about half of them visible. */
    static String crossLayout(int lq, int lk) {
        int bq = Math.min(128, Math.max(1, lq / 2)), bk = Math.min(128, Math.max(1, lk / 4));
        int nq = (lq + bq - 1) / bq, nk = (lk + bk - 1) / bk;
        SplittableRandom r = new SplittableRandom(lq * 31L + lk);
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < nq; i++) {
            StringBuilder row = new StringBuilder();
            for (int j = 0; j < nk; j++) row.append(j == 0 || r.nextBoolean() ? '1' : '0');
            rows.add(row.toString());
        }
        return "block-sparse:" + bq + "," + bk + ";" + String.join(",", rows);
    }

    /** Whether draws of this type differ (varlen documents, random layouts): such masks are averaged over several draws. */
    static boolean isRandom(MaskType type) {
        return type.params().stream().anyMatch(p -> p.kind() == MaskParam.Kind.POSITIVE_LIST || p.kind() == MaskParam.Kind.BIT_ROWS
                || p.kind() == MaskParam.Kind.SEED) || type.name().equals("padding");
    }

    /** The registered type called {@code name}. */
    static MaskType type(String name) {
        return MaskRegistry.all().stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("mask type: no '" + name + "' in the registry"));
    }

    /** The registered types in listing order (the bench's grid follows the registry). */
    static List<MaskType> types() {
        return MaskRegistry.all();
    }

    /**
     * Document lengths summing to {@code l}: log-normal around l/16, each capped at l/4 (LongCA-bench's cap),
     * the last one taking the remainder.
     */
    static int[] documents(int l, SplittableRandom r) {
        int cap = Math.max(1, l / 4);
        List<Integer> lens = new ArrayList<>();
        int left = l;
        while (left > 0) {
            int n = (int) Math.round(Math.exp(Math.log(Math.max(1, l / 16.0)) + r.nextGaussian()));
            n = Math.max(1, Math.min(Math.min(cap, left), n));
            lens.add(n);
            left -= n;
        }
        return lens.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String generic(MaskType type, int l, int batch, SplittableRandom r, long seed) {
        List<String> groups = new ArrayList<>();
        List<String> scalars = new ArrayList<>();
        for (MaskParam p : type.params()) {
            String v = switch (p.kind()) {
                case POSITIVE, NON_NEGATIVE -> Integer.toString(Math.max(1, l / 8));
                case FRACTION -> "0.5";
                case SEED -> Long.toString(seed);
                case POSITIVE_LIST -> join(documents(l, r));
                case NON_NEGATIVE_LIST -> join(java.util.stream.IntStream.range(0, batch).map(i -> l).toArray());
                case BIT_ROWS -> "1";
            };
            if (p.kind() == MaskParam.Kind.POSITIVE_LIST || p.kind() == MaskParam.Kind.NON_NEGATIVE_LIST || p.kind() == MaskParam.Kind.BIT_ROWS) {
                if (!scalars.isEmpty()) groups.add(String.join(",", scalars));
                scalars = new ArrayList<>();
                groups.add(v);
            } else {
                scalars.add(v);
            }
        }
        if (!scalars.isEmpty()) groups.add(String.join(",", scalars));
        return groups.isEmpty() ? type.name() : type.name() + ":" + String.join(";", groups);
    }

    private static String join(int[] a) {
        return java.util.Arrays.stream(a).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
