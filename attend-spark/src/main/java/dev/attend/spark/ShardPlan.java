package dev.attend.spark;

import dev.attend.attention.mask.Mask;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How an exact attention problem too long for one machine is cut into Spark tasks. Pure arithmetic on shapes and the
 * mask: no Spark, no data.
 *
 * <p>Two families, as in the context-parallel literature:
 * <ul>
 *   <li><b>sequence</b> plans ({@link Kind#RING}, {@link Kind#ZIGZAG}): queries and keys are cut into {@code N} shards
 *   along the sequence; every (query shard, key shard) pair that the mask leaves visible is one task, computing a
 *   partial (out, lse) of its queries over its keys; the partials of one query shard are reduced by the exact
 *   log-sum-exp merge. A pair the mask hides is never scheduled. Ring cuts contiguous shards; zig-zag cuts
 *   {@code 2N} chunks and gives shard {@code i} chunks {@code i} and {@code 2N-1-i}, so that under a causal mask every
 *   task does the same work (Ring attention's load balancing).</li>
 *   <li>the <b>head</b> plan ({@link Kind#HEADS}, DeepSpeed-Ulysses style): the key/value heads are cut into {@code N}
 *   groups, each task runs whole-sequence attention for its group (with the query heads that share them); no merge
 *   is needed and every input byte is read once. Its degree is capped by the number of key/value heads.</li>
 * </ul>
 * {@link #choose} picks one from the mask and the shapes; {@link #explain()} says what it chose and why.
 */
public record ShardPlan(Kind kind, String reason, int batch, int hq, int hkv, int lq, int lk, int headDim, Mask mask,
                        List<Part> parts, List<Task> tasks, int hiddenPairs) {

    /** The plan families. */
    public enum Kind {
        RING("contiguous sequence shards, visible (query shard, key shard) pairs as tasks, partials merged by LSE"),
        ZIGZAG("zig-zag sequence shards (chunks i and 2N-1-i), visible pairs as tasks, partials merged by LSE"),
        HEADS("key/value head groups, whole-sequence attention per group, no merge");

        public final String description;

        Kind(String description) {
            this.description = description;
        }

        /** Parses {@code ring}, {@code zigzag}, {@code heads} (case-insensitive). */
        public static Kind parse(String s) {
            for (Kind k : values()) if (k.name().equalsIgnoreCase(s.strip())) return k;
            throw new IllegalArgumentException("plan: expected one of ring, zigzag, heads or auto, got '" + s + "'");
        }
    }

    /** Rows {@code [start, end)} of a sequence. */
    public record Range(int start, int end) implements Serializable {
        public Range {
            if (start < 0 || end < start) throw new IllegalArgumentException("range: expected 0 <= start <= end, got [" + start + ", " + end + ")");
        }

        public int length() {
            return end - start;
        }

        @Override
        public String toString() {
            return "[" + start + "," + end + ")";
        }
    }

    /**
     * One piece of the output: query rows {@code rows} (in this order in the part's file) of key/value heads
     * {@code [kvHead0, kvHead1)} and their query heads.
     */
    public record Part(int index, List<Range> rows, int kvHead0, int kvHead1) implements Serializable {
        public Part {
            rows = List.copyOf(rows);
        }

        public int length() {
            return rows.stream().mapToInt(Range::length).sum();
        }
    }

    /** One (query rows, key rows) sub-rectangle of a task that the mask leaves visible, with its exact area per (b, h). */
    public record Block(Range q, Range k, long area) implements Serializable {}

    /**
     * One Spark task: the partial of part {@code part} over key rows {@code keys} (shard {@code keyShard}); only its
     * visible {@code blocks} are computed. {@code area} is the visible (q, k) count over all its batches and heads.
     */
    public record Task(int id, int part, int keyShard, List<Range> keys, List<Block> blocks, long area) implements Serializable {
        public Task {
            keys = List.copyOf(keys);
            blocks = List.copyOf(blocks);
        }
    }

    public ShardPlan {
        parts = List.copyOf(parts);
        tasks = List.copyOf(tasks);
    }

    /** Bytes of one task's working set above which the head plan is not chosen automatically (a whole sequence per task). */
    public static final long HEAD_PLAN_TASK_BYTES = 1L << 30;

    /**
     * The plan {@code requested} asks for ({@code null} for automatic): the head plan when the key/value heads divide
     * into {@code shards} groups and a group's whole sequence fits {@link #HEAD_PLAN_TASK_BYTES}; else zig-zag for a
     * causal self-attention mask; else ring.
     */
    public static ShardPlan choose(Kind requested, int shards, int batch, int hq, int hkv, int lq, int lk, int headDim, Mask mask) {
        positive("shards", shards);
        positive("batch", batch);
        positive("hq", hq);
        positive("hkv", hkv);
        positive("lq", lq);
        positive("lk", lk);
        positive("headDim", headDim);
        if (hq % hkv != 0) throw new IllegalArgumentException("hq: expected a multiple of hkv=" + hkv + ", got " + hq);
        mask.validate(batch, hq, lq, lk);
        if (shards > Math.max(lq, lk)) {
            throw new IllegalArgumentException("shards: expected at most " + Math.max(lq, lk) + " (the longer sequence), got " + shards);
        }
        boolean causalSelf = lq == lk && mask.isCausal(batch, hq, lq, lk);
        // A task of the head plan sees its heads as 0.. of its own problem: a mask that varies with the head cannot follow.
        boolean headFree = !(mask.dependence() == Mask.Dependence.PER_HEAD || mask.dependence() == Mask.Dependence.PER_BATCH_HEAD);
        long groupBytes = 4L * batch * headDim * ((long) lq * hq + 2L * lk * hkv + (long) lq * hq) / shards;
        if (requested == null) {
            if (shards > 1 && headFree && hkv % shards == 0 && groupBytes <= HEAD_PLAN_TASK_BYTES) {
                return heads(shards, batch, hq, hkv, lq, lk, headDim, mask, "auto: " + hkv + " key/value heads divide into "
                        + shards + " groups and a group's whole sequence takes " + mib(groupBytes) + " (at most " + mib(HEAD_PLAN_TASK_BYTES) + ")");
            }
            String why = shards == 1 ? "one shard" : !headFree ? "the mask varies with the head" : hkv % shards != 0 ? hkv + " key/value heads do not divide into " + shards + " groups"
                    : "a head group's whole sequence would take " + mib(groupBytes) + " (over " + mib(HEAD_PLAN_TASK_BYTES) + ")";
            if (causalSelf && 2L * shards <= lq) {
                return sequence(Kind.ZIGZAG, shards, batch, hq, hkv, lq, lk, headDim, mask, "auto: " + why
                        + "; the mask is causal, so zig-zag shards balance the work");
            }
            return sequence(Kind.RING, shards, batch, hq, hkv, lq, lk, headDim, mask, "auto: " + why
                    + (causalSelf ? "" : "; the mask is not causal self-attention, so contiguous shards"));
        }
        return switch (requested) {
            case HEADS -> {
                if (!headFree) throw new IllegalArgumentException("plan heads: the mask '" + mask.describe() + "' varies with the head; use ring or zigzag");
                if (shards > hkv) {
                    throw new IllegalArgumentException("shards: the head plan cuts the " + hkv + " key/value heads into groups, expected at most "
                            + hkv + " shards, got " + shards);
                }
                yield heads(shards, batch, hq, hkv, lq, lk, headDim, mask, "requested");
            }
            case ZIGZAG -> {
                if (lq != lk) throw new IllegalArgumentException("plan zigzag: expected self-attention (lq == lk), got lq=" + lq + ", lk=" + lk);
                if (2L * shards > lq) throw new IllegalArgumentException("shards: zig-zag cuts 2N chunks, expected at most " + lq / 2 + ", got " + shards);
                yield sequence(Kind.ZIGZAG, shards, batch, hq, hkv, lq, lk, headDim, mask, "requested");
            }
            case RING -> sequence(Kind.RING, shards, batch, hq, hkv, lq, lk, headDim, mask, "requested");
        };
    }

    private static ShardPlan heads(int n, int batch, int hq, int hkv, int lq, int lk, int d, Mask mask, String reason) {
        List<Part> parts = new ArrayList<>();
        List<Task> tasks = new ArrayList<>();
        Range all = new Range(0, lq), keys = new Range(0, lk);
        int g = hq / hkv;
        for (int i = 0; i < n; i++) {
            int h0 = (int) ((long) hkv * i / n), h1 = (int) ((long) hkv * (i + 1) / n);
            parts.add(new Part(i, List.of(all), h0, h1));
            long area = mask.area(batch, (h1 - h0) * g, lq, lk);
            List<Block> blocks = area == 0 ? List.of() : List.of(new Block(all, keys, area));
            if (area > 0) tasks.add(new Task(tasks.size(), i, 0, List.of(keys), blocks, area));
        }
        return new ShardPlan(Kind.HEADS, reason, batch, hq, hkv, lq, lk, d, mask, parts, tasks, n - tasks.size());
    }

    private static ShardPlan sequence(Kind kind, int n, int batch, int hq, int hkv, int lq, int lk, int d, Mask mask, String reason) {
        List<List<Range>> qs = cut(kind, n, lq), ks = cut(kind, n, lk);
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < n; i++) parts.add(new Part(i, qs.get(i), 0, hkv));
        List<Task> tasks = new ArrayList<>();
        int hidden = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                List<Block> blocks = new ArrayList<>();
                long area = 0;
                for (Range q : qs.get(i)) {
                    for (Range k : ks.get(j)) {
                        if (q.length() == 0 || k.length() == 0) continue;
                        long a = areaOf(mask, batch, hq, lq, lk, q, k);
                        if (a > 0) {
                            blocks.add(new Block(q, k, a));
                            area += a;
                        }
                    }
                }
                if (area == 0) hidden++;
                else tasks.add(new Task(tasks.size(), i, j, ks.get(j), blocks, area));
            }
        }
        return new ShardPlan(kind, reason, batch, hq, hkv, lq, lk, d, mask, parts, tasks, hidden);
    }

    /** Visible (b, h, q, k) in the rectangle q x k: exact and O(rows) for slice masks, one test per element for predicates. */
    static long areaOf(Mask mask, int batch, int hq, int lq, int lk, Range q, Range k) {
        Mask w = mask.window(lq, lk, q.start(), q.length(), k.start(), k.length());
        return w.area(batch, hq, q.length(), k.length());
    }

    /** The shards of a sequence of length l: contiguous (ring, heads) or chunks i and 2N-1-i (zig-zag). */
    static List<List<Range>> cut(Kind kind, int n, int l) {
        List<List<Range>> out = new ArrayList<>();
        if (kind == Kind.ZIGZAG && 2L * n <= l) {
            Range[] chunks = new Range[2 * n];
            for (int c = 0; c < 2 * n; c++) chunks[c] = new Range((int) ((long) l * c / (2 * n)), (int) ((long) l * (c + 1) / (2 * n)));
            for (int i = 0; i < n; i++) out.add(List.of(chunks[i], chunks[2 * n - 1 - i]));
            return out;
        }
        for (int i = 0; i < n; i++) out.add(List.of(new Range((int) ((long) l * i / n), (int) ((long) l * (i + 1) / n))));
        return out;
    }

    /** Number of shards (parts of the output). */
    public int shards() {
        return parts.size();
    }

    /** Largest task area over the mean task area: 1 is perfect balance (the slowest task sets the job's time). */
    public double imbalance() {
        if (tasks.isEmpty()) return 1;
        long max = 0, sum = 0;
        for (Task t : tasks) {
            max = Math.max(max, t.area());
            sum += t.area();
        }
        return max / (sum / (double) tasks.size());
    }

    /**
     * Largest work of one part (all its tasks) over the mean: the balance of a ring in which each device owns one
     * part and computes all its tasks (for a causal mask: about 2 - 1/N with contiguous shards, 1 with zig-zag).
     */
    public double partImbalance() {
        long[] work = new long[parts.size()];
        for (Task t : tasks) work[t.part()] += t.area();
        long max = 0, sum = 0;
        for (long w : work) {
            max = Math.max(max, w);
            sum += w;
        }
        return sum == 0 ? 1 : max / (sum / (double) work.length);
    }

    /** Visible (b, h, q, k) pairs over all tasks: the mask's area over the whole problem. */
    public long area() {
        return tasks.stream().mapToLong(Task::area).sum();
    }

    /** Input bytes a task reads (F32): its query rows and their heads, its key and value rows and their heads. */
    public long inputBytes(Task t) {
        Part p = parts.get(t.part());
        int kvHeads = p.kvHead1() - p.kvHead0(), qHeads = kvHeads * (hq / hkv);
        long keys = t.keys().stream().mapToLong(Range::length).sum();
        return 4L * batch * headDim * ((long) p.length() * qHeads + 2L * keys * kvHeads);
    }

    /** Bytes of the partial (out and lse, F32) a task sends to the merge. */
    public long partialBytes(Task t) {
        Part p = parts.get(t.part());
        long qHeads = (long) (p.kvHead1() - p.kvHead0()) * (hq / hkv);
        return 4L * batch * qHeads * p.length() * (headDim + 1L);
    }

    /** The plan in words: kind, why, shards, tasks, hidden pairs, balance, bytes. What {@code --explain} prints. */
    public String explain() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "plan: %s (%s)%n", kind.name().toLowerCase(Locale.ROOT), kind.description));
        s.append("  why: ").append(reason).append(System.lineSeparator());
        s.append(String.format(Locale.ROOT, "  problem: B=%d Hq=%d Hkv=%d Lq=%d Lk=%d D=%d mask %s%n", batch, hq, hkv, lq, lk, headDim, mask.describe()));
        s.append(String.format(Locale.ROOT, "  shards: %d; tasks: %d scheduled, %d hidden by the mask (never scheduled)%n",
                parts.size(), tasks.size(), hiddenPairs));
        long in = tasks.stream().mapToLong(this::inputBytes).sum(), out = tasks.stream().mapToLong(this::partialBytes).sum();
        s.append(String.format(Locale.ROOT, "  work: %d visible (q, k) pairs; max/mean area %.3f per task, %.3f per part%n", area(),
                imbalance(), partImbalance()));
        s.append(String.format(Locale.ROOT, "  bytes: %s read by tasks, %s of partials to the merge%n", mib(in), mib(out)));
        for (Part p : parts) {
            s.append(String.format(Locale.ROOT, "  part %d: query rows %s, kv heads [%d,%d)%n", p.index(), p.rows(), p.kvHead0(), p.kvHead1()));
        }
        int shown = 0;
        for (Task t : tasks) {
            if (shown++ == 24) {
                s.append("  ... ").append(tasks.size() - 24).append(" more tasks").append(System.lineSeparator());
                break;
            }
            s.append(String.format(Locale.ROOT, "  task %d: part %d x keys %s (shard %d), %d blocks, area %d%n",
                    t.id(), t.part(), t.keys(), t.keyShard(), t.blocks().size(), t.area()));
        }
        return s.toString();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static void positive(String name, int v) {
        if (v < 1) throw new IllegalArgumentException(name + ": expected at least 1, got " + v);
    }
}
