package dev.attend.spark;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.ScoreMod;
import dev.attend.tensor.Tensor;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;

import scala.Tuple2;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Exact attention over inputs too long for one machine, as one Spark job (the Java API; the CLI's
 * {@code attend attention --engine spark} and {@code spark-submit} go through {@link SparkMain}).
 *
 * <pre>{@code
 * SparkSession spark = SparkSession.builder().master("local[*]").getOrCreate();
 * SparkAttention.Result r = SparkAttention.run(spark, SparkAttention.Job.of("q.npy", "k.npy", "v.npy", "parts/")
 *         .withMask("causal").withShards(4).withAssembled("out.npy", "lse.npy"));
 * }</pre>
 *
 * <p>The driver reads the three headers only and makes the {@link ShardPlan}. Each task reads its own query, key and
 * value rows from the files (positioned reads, on the executor: no tensor goes through the driver), runs Attend's flash
 * kernel on each visible block with the mask's {@link Mask#window window}, and emits a partial (out, lse) keyed by its
 * output part; the partials of a part meet in one reduce task and are merged exactly by log-sum-exp, in key-shard
 * order (so the bits do not depend on the order the shuffle delivers them in); each part is written by an
 * executor as {@code out.part-NNNNN.npy} and {@code lse.part-NNNNN.npy} under the parts directory, with
 * {@code plan.txt} beside them. On request the driver assembles {@code out.npy}/{@code lse.npy} by streaming the part
 * files. Every file is written whole or not at all. A failed task or a lost executor is retried by Spark; a retry computes
 * the same partial and the merge order is fixed, so the answer has the same bits as a run without faults.
 */
public final class SparkAttention {
    private SparkAttention() {}

    /**
     * What to compute: inputs {@code q [B, Hq, Lq, D]}, {@code k, v [B, Hkv, Lk, D]} as {@code .npy} paths or
     * {@code file.safetensors#name}, on a path every executor can read (local, a shared mount, {@code hdfs://}, ...);
     * the parts directory; the mask spec (the CLI's syntax), the scale (NaN: {@code 1/sqrt(D)}), the number of shards,
     * the plan (null: chosen from the mask and shapes), the forward mechanism spec (a flash variant), the assembled
     * outputs (null: none), and whether non-finite inputs are computed anyway (by default a task that reads one fails,
     * naming the input and the element).
     */
    public record Job(String q, String k, String v, String partsDir, String mask, float scale, int shards, ShardPlan.Kind plan,
                      String mechanism, String out, String lse, boolean allowNonFinite, Faults faults) implements Serializable {
        public Job {
            Objects.requireNonNull(q, "q");
            Objects.requireNonNull(k, "k");
            Objects.requireNonNull(v, "v");
            Objects.requireNonNull(partsDir, "partsDir");
            Objects.requireNonNull(mask, "mask");
            Objects.requireNonNull(mechanism, "mechanism");
            if (shards < 1) throw new IllegalArgumentException("shards: expected at least 1, got " + shards);
            if (faults == null) faults = Faults.NONE;
        }

        /** Full attention, default scale, one shard (set the count with {@link #withShards}), automatic plan, flash. */
        public static Job of(String q, String k, String v, String partsDir) {
            return new Job(q, k, v, partsDir, "full", Float.NaN, 1, null, "flash", null, null, false, Faults.NONE);
        }

        public Job withMask(String spec) {
            return new Job(q, k, v, partsDir, spec, scale, shards, plan, mechanism, out, lse, allowNonFinite, faults);
        }

        public Job withScale(float s) {
            return new Job(q, k, v, partsDir, mask, s, shards, plan, mechanism, out, lse, allowNonFinite, faults);
        }

        public Job withShards(int n) {
            return new Job(q, k, v, partsDir, mask, scale, n, plan, mechanism, out, lse, allowNonFinite, faults);
        }

        public Job withPlan(ShardPlan.Kind p) {
            return new Job(q, k, v, partsDir, mask, scale, shards, p, mechanism, out, lse, allowNonFinite, faults);
        }

        public Job withMechanism(String spec) {
            return new Job(q, k, v, partsDir, mask, scale, shards, plan, spec, out, lse, allowNonFinite, faults);
        }

        /** Also assemble the whole output (and the LSE, when {@code lsePath} is not null) into single {@code .npy} files. */
        public Job withAssembled(String outPath, String lsePath) {
            return new Job(q, k, v, partsDir, mask, scale, shards, plan, mechanism, outPath, lsePath, allowNonFinite, faults);
        }

        /** Compute even when an input holds NaN or infinity (rows that see one give NaN); by default a task that reads one fails, naming it. */
        public Job withAllowNonFinite(boolean allow) {
            return new Job(q, k, v, partsDir, mask, scale, shards, plan, mechanism, out, lse, allow, faults);
        }

        Job withFaults(Faults f) {
            return new Job(q, k, v, partsDir, mask, scale, shards, plan, mechanism, out, lse, allowNonFinite, f);
        }
    }

    /**
     * Faults to inject, for the tests of retries: the first attempt of the listed tasks throws, or kills its executor's
     * JVM (a lost executor). Only a first attempt of a first stage attempt is hit, so the retry succeeds.
     */
    record Faults(Set<Integer> throwing, Set<Integer> killing) implements Serializable {
        static final Faults NONE = new Faults(Set.of(), Set.of());

        void inject(int taskId) {
            TaskContext c = TaskContext.get();
            if (c == null || c.attemptNumber() != 0 || c.stageAttemptNumber() != 0) return;
            if (killing.contains(taskId)) Runtime.getRuntime().halt(43);
            if (throwing.contains(taskId)) throw new IllegalStateException("injected fault in the first attempt of task " + taskId);
        }
    }

    /**
     * What a job did: the plan, the part files, the assembled files (null when not asked), and measurements. Times are
     * wall-clock nanoseconds on the driver ({@code jobNanos}: from submitting the tasks to the last part written) and
     * summed over tasks on the executors ({@code kernelNanos}: inside the flash kernel; {@code readNanos}: reading
     * inputs); bytes are what the tasks read from the input files and what Spark's shuffle wrote (the partials).
     */
    public record Result(ShardPlan plan, List<String> outParts, List<String> lseParts, String out, String lse,
                         long jobNanos, long kernelNanos, long readNanos, long bytesRead, long shuffleBytes, long taskAttempts,
                         long failedAttempts) {}

    /** The plan {@code job} would run, from the headers of its inputs. */
    public static ShardPlan plan(Job job) {
        try {
            StoredTensor q = StoredTensor.open("q", job.q()), k = StoredTensor.open("k", job.k()), v = StoredTensor.open("v", job.v());
            return plan(job, q, k, v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ShardPlan plan(Job job, StoredTensor q, StoredTensor k, StoredTensor v) {
        if (!java.util.Arrays.equals(k.shape(), v.shape())) {
            throw new IllegalArgumentException("v: expected the shape of k " + java.util.Arrays.toString(k.shape()) + ", got "
                    + java.util.Arrays.toString(v.shape()));
        }
        if (q.dim(0) != k.dim(0)) throw new IllegalArgumentException("k: expected batch " + q.dim(0) + " (the batch of q), got " + k.dim(0));
        if (q.dim(3) != k.dim(3)) throw new IllegalArgumentException("k: expected head dim " + q.dim(3) + " (the head dim of q), got " + k.dim(3));
        AttentionMechanism m = Attention.of(job.mechanism());
        if (!m.descriptor().name().equals("flash")) {
            throw new IllegalArgumentException("mechanism: the Spark engine runs exact flash attention on each block (partials merge by "
                    + "log-sum-exp), expected flash[:params], got '" + job.mechanism() + "'");
        }
        return ShardPlan.choose(job.plan(), job.shards(), q.dim(0), q.dim(1), k.dim(1), q.dim(2), k.dim(2), q.dim(3), Mask.parse(job.mask()));
    }

    /** Runs {@code job} on {@code spark}: plan on the driver, tasks on the executors, parts (and the assembled files) written. */
    public static Result run(SparkSession spark, Job job) {
        Objects.requireNonNull(spark, "spark");
        Objects.requireNonNull(job, "job");
        StoredTensor q, k, v;
        try {
            q = StoredTensor.open("q", job.q());
            k = StoredTensor.open("k", job.k());
            v = StoredTensor.open("v", job.v());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ShardPlan plan = plan(job, q, k, v);
        Storage.mkdirs(job.partsDir());
        try {
            String text = plan.explain();
            Storage.writeWhole(Storage.resolve(job.partsDir(), "plan.txt"), "driver", o -> o.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        LongAccumulator kernel = jsc.sc().longAccumulator("attend kernel ns"), reading = jsc.sc().longAccumulator("attend read ns"),
                bytes = jsc.sc().longAccumulator("attend bytes read");
        AtomicLong shuffle = new AtomicLong(), attempts = new AtomicLong(), failed = new AtomicLong(), succeeded = new AtomicLong();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                attempts.incrementAndGet();
                if (end.taskInfo().successful()) succeeded.incrementAndGet();
                else failed.incrementAndGet();
                if (end.taskMetrics() != null) shuffle.addAndGet(end.taskMetrics().shuffleWriteMetrics().bytesWritten());
            }
        };
        spark.sparkContext().addSparkListener(listener);
        TaskSpec spec = new TaskSpec(job, q, k, v, plan.lq(), plan.lk(), plan.hq() / plan.hkv(), plan.parts());
        long t0 = System.nanoTime();
        List<String[]> written;
        try {
            jsc.setJobGroup("attend", "attend attention: " + plan.kind().name().toLowerCase(java.util.Locale.ROOT) + " plan, "
                    + plan.tasks().size() + " tasks", false);
            int n = Math.max(1, plan.tasks().size());
            JavaPairRDD<Integer, Partial> partials = jsc.parallelize(plan.tasks(), n)
                    .mapToPair(t -> new Tuple2<>(t.part(), spec.compute(t, kernel, reading, bytes)));
            written = partials.groupByKey(Math.max(1, plan.parts().size()))
                    .map(p -> spec.write(Partial.mergeAll(p._2())))
                    .collect();
            // Listener events arrive asynchronously: wait (briefly) until every task that must have succeeded is counted.
            long want = plan.tasks().size() + (long) Math.max(1, plan.parts().size()), until = System.nanoTime() + 5_000_000_000L;
            while (succeeded.get() < want && System.nanoTime() < until) java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        } catch (Exception e) {
            // A task's refusal (a non-finite input, a shape a file does not have) reaches the driver inside Spark's
            // "job aborted" exception: give the caller the task's own message.
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof IllegalArgumentException iae) throw new IllegalArgumentException(iae.getMessage(), e);
            }
            if (e instanceof RuntimeException re) throw re;
            throw new IllegalStateException("the Spark job failed: " + e.getMessage(), e);
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
        // A part no task computes (the mask hides all its rows) is all zeros with LSE -inf: the driver writes it.
        List<String> outParts = new ArrayList<>(), lseParts = new ArrayList<>();
        java.util.Map<Integer, String[]> byPart = new java.util.TreeMap<>();
        for (String[] w : written) byPart.put(Integer.parseInt(w[0]), w);
        for (ShardPlan.Part p : plan.parts()) {
            String[] w = byPart.get(p.index());
            if (w == null) {
                try {
                    w = spec.write(Partial.empty(p.index(), -1, spec.rowsOf(p), plan.headDim()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            outParts.add(w[1]);
            lseParts.add(w[2]);
        }
        long jobNanos = System.nanoTime() - t0;
        if (job.out() != null) Assembly.assemble(plan, outParts, lseParts, job.out(), job.lse());
        return new Result(plan, outParts, lseParts, job.out(), job.lse(), jobNanos, kernel.value(), reading.value(), bytes.value(),
                shuffle.get(), attempts.get(), failed.get());
    }

    /** What every task needs, shipped with the closure: small (paths, headers, the parts), never tensors. */
    record TaskSpec(Job job, StoredTensor q, StoredTensor k, StoredTensor v, int lq, int lk, int group, List<ShardPlan.Part> parts)
            implements Serializable {

        int rowsOf(ShardPlan.Part p) {
            return q.dim(0) * (p.kvHead1() - p.kvHead0()) * group * p.length();
        }

        /** One task: read its rows, flash on each visible block (the mask's window), merge the blocks of the same rows. */
        Partial compute(ShardPlan.Task t, LongAccumulator kernelNs, LongAccumulator readNs, LongAccumulator bytes) throws IOException {
            job.faults().inject(t.id());
            ShardPlan.Part p = parts.get(t.part());
            long r0 = System.nanoTime();
            long[] read = {0};
            Tensor qt = q.read(p.kvHead0() * group, p.kvHead1() * group, p.rows(), read);
            Tensor kt = k.read(p.kvHead0(), p.kvHead1(), t.keys(), read);
            Tensor vt = v.read(p.kvHead0(), p.kvHead1(), t.keys(), read);
            readNs.add(System.nanoTime() - r0);
            bytes.add(read[0]);
            if (!job.allowNonFinite()) {
                requireFinite("q", q, qt, p.kvHead0() * group, p.rows());
                requireFinite("k", k, kt, p.kvHead0(), t.keys());
                requireFinite("v", v, vt, p.kvHead0(), t.keys());
            }
            Mask mask = Mask.parse(job.mask());
            AttentionMechanism flash = Attention.of(job.mechanism());
            int batch = (int) qt.dim(0), heads = (int) qt.dim(1), d = (int) qt.dim(3), rows = p.length();
            float scale = Float.isNaN(job.scale()) ? (float) (1.0 / Math.sqrt(d)) : job.scale();
            Partial acc = Partial.empty(t.part(), t.keyShard(), batch * heads * rows, d);
            float[] row = new float[d];
            long kernel = 0;
            for (ShardPlan.Block blk : t.blocks()) {
                int qOff = offsetIn(p.rows(), blk.q()), kOff = offsetIn(t.keys(), blk.k());
                Tensor qb = qt.slice(2, qOff, qOff + blk.q().length());
                Tensor kb = kt.slice(2, kOff, kOff + blk.k().length()), vb = vt.slice(2, kOff, kOff + blk.k().length());
                Mask w = mask.window(lq, lk, blk.q().start(), blk.q().length(), blk.k().start(), blk.k().length());
                long k0 = System.nanoTime();
                AttentionResult r = flash.forward(new AttentionProblem(qb, kb, vb, w, ScoreMod.NONE, scale));
                kernel += System.nanoTime() - k0;
                float[] lse = r.lse().toArray();
                Tensor o = r.out();
                int n = blk.q().length();
                for (int bh = 0; bh < batch * heads; bh++) {
                    for (int i = 0; i < n; i++) {
                        int src = bh * n + i, dst = bh * rows + qOff + i;
                        o.readRow(src, row, 0);
                        acc.lse()[dst] = dev.attend.attention.LseMerge.mergeInto(acc.out(), dst * d, acc.lse()[dst], row, 0, lse[src], d);
                    }
                }
            }
            kernelNs.add(kernel);
            return acc;
        }

        /** Writes one merged part as {@code out.part-NNNNN.npy} and {@code lse.part-NNNNN.npy}; returns {part, out uri, lse uri}. */
        String[] write(Partial merged) throws IOException {
            ShardPlan.Part p = parts.get(merged.part());
            int batch = q.dim(0), heads = (p.kvHead1() - p.kvHead0()) * group, rows = p.length(), d = merged.d();
            String name = String.format(java.util.Locale.ROOT, "part-%05d.npy", p.index());
            String outUri = Storage.resolve(job.partsDir(), "out." + name), lseUri = Storage.resolve(job.partsDir(), "lse." + name);
            TaskContext c = TaskContext.get();
            String tag = c == null ? "driver" : "a" + c.taskAttemptId();
            Tensor out = Tensor.of(merged.out(), batch, heads, rows, d), lse = Tensor.of(merged.lse(), batch, heads, rows);
            Storage.writeWhole(outUri, tag, o -> dev.attend.tensor.Npy.write(o, out, dev.attend.tensor.DType.F32));
            Storage.writeWhole(lseUri, tag, o -> dev.attend.tensor.Npy.write(o, lse, dev.attend.tensor.DType.F32));
            return new String[] {Integer.toString(p.index()), outUri, lseUri};
        }

        /** Refuses a non-finite element of the rows a task read, at its position in the whole input. */
        private static void requireFinite(String name, StoredTensor file, Tensor t, int h0, List<ShardPlan.Range> rows) {
            long[] at = t.firstNonFinite();
            if (at == null) return;
            float x = t.get(at);
            long row = at[2];
            for (ShardPlan.Range r : rows) {
                if (row < r.length()) {
                    row += r.start();
                    break;
                }
                row -= r.length();
            }
            throw new IllegalArgumentException(name + ": element " + java.util.Arrays.toString(new long[] {at[0], at[1] + h0, row, at[3]})
                    + " of " + file.spec() + " is " + x + "; inputs must be finite (allow non-finite inputs to compute anyway: rows that see it give NaN)");
        }

        private static int offsetIn(List<ShardPlan.Range> rows, ShardPlan.Range r) {
            int off = 0;
            for (ShardPlan.Range x : rows) {
                if (x.equals(r)) return off;
                off += x.length();
            }
            throw new IllegalStateException("range " + r + " is not one of " + rows);
        }
    }
}
