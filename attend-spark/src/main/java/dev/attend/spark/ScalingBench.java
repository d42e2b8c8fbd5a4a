package dev.attend.spark;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.Cost;
import dev.attend.attention.mask.Mask;
import dev.attend.simd.MachinePeak;
import dev.attend.simd.Parallel;
import dev.attend.tensor.Npy;
import dev.attend.tensor.Tensor;

import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Weak scaling of the Spark engine on this machine, and a model calibrated on it (what {@code bench/spark/scaling.sh}
 * runs; not a unit test). Each executor has one core and one kernel thread, the single-node reference is the same
 * kernel on one thread in this JVM.
 *
 * <ol>
 *   <li>The single-node kernel on the per-executor work (causal, {@code L1}), one thread: its time and FLOP rate.</li>
 *   <li>{@code local-cluster[N,1,M]} for N = 1, 2 at {@code L_N = L1 * sqrt(N)} (the same causal work per executor),
 *   zig-zag with N shards: job time, kernel time summed over tasks, bytes read and shuffled. Efficiency is the single-node
 *   kernel time over the job time; Spark's overhead is the job time over the kernel time per executor, minus one.</li>
 *   <li>One long run ({@code --long}, default 256K) on N = 2 for the overhead at that length.</li>
 *   <li>The model {@code T(N, L) = J + N * (tau + w(L, N) / r + b(L, N) / beta)}: J a job's fixed cost (from a tiny job),
 *   tau the cost of one task beyond its kernel and reads, r the kernel rate, beta the read rate; predicted for 8 to 96
 *   executors at 256K to 4M.</li>
 * </ol>
 * Arguments: {@code OUT_DIR [L1=65536] [LONG=262144] [HEADS=1] [D=128]}. Writes {@code OUT_DIR/scaling.md}.
 */
public final class ScalingBench {
    private ScalingBench() {}

    record Run(String what, int executors, int l, int tasks, double jobS, double kernelS, double readS, long bytesRead, long shuffle,
               double flops) {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int l1 = args.length > 1 ? Integer.parseInt(args[1]) : 65536;
        int longL = args.length > 2 ? Integer.parseInt(args[2]) : 262144;
        int heads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        int d = args.length > 4 ? Integer.parseInt(args[4]) : 128;
        Files.createDirectories(out);
        Path data = Files.createDirectories(out.resolve("data"));
        StringBuilder md = new StringBuilder();
        MachinePeak.Result peak = MachinePeak.measure();
        md.append(String.format(Locale.ROOT, "# Spark engine scaling (%s)%n%nMachine: %d hardware threads, FMA peak %.1f GFLOP/s on one thread, read %.1f GB/s.%n"
                + "Causal self-attention, B=1, H=%d, D=%d, fp32; one core and one kernel thread per executor.%n%n",
                java.time.LocalDate.now(), Runtime.getRuntime().availableProcessors(), peak.fmaGflopsOneThread(), peak.readGBps(), heads, d));

        // 1. The single-node kernel on one thread.
        Mask causal = Mask.parse("causal");
        double kernel1 = Parallel.withThreads(1, () -> {
            AttentionProblem p = AttentionProblem.of(Tensor.randn(1, 1, heads, l1, d), Tensor.randn(2, 1, heads, l1, d),
                    Tensor.randn(3, 1, heads, l1, d), causal);
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 2; i++) {
                long t0 = System.nanoTime();
                Attention.flash().forward(p);
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            return best;
        });
        double flops1 = Cost.forwardFlops(causal, 1, heads, l1, l1, d);
        double rate = flops1 / kernel1;
        md.append(String.format(Locale.ROOT, "Single-node kernel, L=%d, one thread: %.2f s, %.1f GFLOP/s (%.0f%% of the one-thread peak).%n%n",
                l1, kernel1, rate / 1e9, 100 * rate / 1e9 / peak.fmaGflopsOneThread()));

        List<Run> runs = new ArrayList<>();
        for (int n : new int[] {1, 2}) {
            int l = (int) (Math.round(l1 * Math.sqrt(n) / 256.0) * 256);
            runs.add(job("weak N=" + n, n, l, heads, d, data, 2));
        }
        Run tiny = job("tiny job (fixed costs)", 2, 512, heads, d, data, 3);
        Run many = job("many small tasks (per-task cost)", 2, 8192, heads, d, data, 2, 16);
        Run longRun = longL > 0 ? job("long", 2, longL, heads, d, data, 1) : null;

        md.append("| run | executors | L | tasks | job s | kernel s (sum) | kernel s per executor | read s (sum) | MiB read | MiB shuffled | efficiency vs single node | Spark overhead |\n");
        md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        List<Run> all = new ArrayList<>(runs);
        all.add(tiny);
        all.add(many);
        if (longRun != null) all.add(longRun);
        for (Run r : all) {
            double perExec = r.kernelS / r.executors;
            double eff = r.what.startsWith("weak") ? kernel1 / r.jobS : Double.NaN;
            md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %s | %.1f%% |%n", r.what, r.executors, r.l,
                    r.tasks, r.jobS, r.kernelS, perExec, r.readS, r.bytesRead / 1048576.0, r.shuffle / 1048576.0,
                    Double.isNaN(eff) ? "" : String.format(Locale.ROOT, "%.2f", eff), 100 * (r.jobS / perExec - 1)));
        }

        // Bytes against the ring formula: each device receives (N-1)/N * L * Hkv * D * 2 elements.
        md.append("\nBytes read per task and per job, against ring attention's (N-1)/N * L * Hkv * D * 2 elements received per device:\n\n");
        for (Run r : all) {
            if (r.executors < 2) continue;
            double ring = (r.executors - 1.0) / r.executors * r.l * heads * d * 2 * 4;
            md.append(String.format(Locale.ROOT, "- %s: %.1f MiB per task, %.1f MiB per job; ring formula %.1f MiB per device, %.1f MiB over %d devices%n",
                    r.what, r.bytesRead / (double) r.tasks / 1048576.0, r.bytesRead / 1048576.0, ring / 1048576.0,
                    ring * r.executors / 1048576.0, r.executors));
        }

        // The model, calibrated on the runs above.
        double j = tiny.jobS;
        double beta = all.stream().mapToLong(Run::bytesRead).sum() / all.stream().mapToDouble(Run::readS).sum();
        double tau = Math.max(0, (many.jobS - j - (many.kernelS + many.readS) / many.executors) / (many.tasks / (double) many.executors));
        double r2 = runs.get(1).flops / runs.get(1).kernelS;  // kernel rate inside an executor
        md.append(String.format(Locale.ROOT, "%nModel: T(N, L) = J + N (tau + w / r + b / beta), zig-zag with N shards (N^2 tasks, N per executor),"
                + " w = 4 L^2 H D / (2 N^2), b = 4 B H D (3 L / N) bytes per task.%nCalibrated here: J = %.2f s (tiny job), tau = %.3f s per task"
                + " (many small tasks), r = %.1f GFLOP/s per executor core (kernel inside executors), beta = %.0f MB/s (reads).%n%n",
                j, tau, r2 / 1e9, beta / 1e6));
        md.append("| executors | L=256K | L=1M | L=4M |\n|--:|--:|--:|--:|\n");
        for (int n : new int[] {8, 16, 32, 64, 96}) {
            md.append("| ").append(n);
            for (int l : new int[] {262144, 1 << 20, 1 << 22}) {
                double w = 4.0 * l * (double) l * heads * d / (2.0 * n * n);
                double b = 4.0 * heads * d * 3.0 * l / n;
                double t = j + n * (tau + w / r2 + b / beta);
                md.append(String.format(Locale.ROOT, " | %.1f s", t));
            }
            md.append(" |\n");
        }
        md.append("\nMeasured: the single-node kernel and every run in the first table. Modelled: the last table (one core per executor,"
                + " the read rate of this machine's disk cache, no network).\n");
        Files.writeString(out.resolve("scaling.md"), md);
        System.out.print(md);
    }

    /** One job on a fresh local-cluster of {@code n} one-core executors; the last of {@code repeats} runs is kept. */
    static Run job(String what, int n, int l, int heads, int d, Path data, int repeats) throws IOException {
        return job(what, n, l, heads, d, data, repeats, n);
    }

    static Run job(String what, int n, int l, int heads, int d, Path data, int repeats, int shards) throws IOException {
        String q = data.resolve("q" + l + ".npy").toString(), k = data.resolve("k" + l + ".npy").toString(), v = data.resolve("v" + l + ".npy").toString();
        if (!Files.exists(Path.of(q))) {
            Npy.write(Path.of(q), Tensor.randn(11, 1, heads, l, d));
            Npy.write(Path.of(k), Tensor.randn(12, 1, heads, l, d));
            Npy.write(Path.of(v), Tensor.randn(13, 1, heads, l, d));
        }
        System.setProperty("spark.testing", "1");
        System.setProperty("spark.test.home", data.toString());
        SparkSession spark = SparkSession.builder().master("local-cluster[" + n + ",1,3072]").appName("attend scaling")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector -Dattend.threads=1 -XX:+UseParallelGC")
                .getOrCreate();
        try {
            SparkAttention.Result r = null;
            for (int i = 0; i < repeats; i++) {
                r = SparkAttention.run(spark, SparkAttention.Job.of(q, k, v, data.resolve("parts-" + l).toString()).withMask("causal")
                        .withShards(shards).withPlan(ShardPlan.Kind.ZIGZAG));
            }
            double flops = Cost.forwardFlops(Mask.parse("causal"), 1, heads, l, l, d);
            Run run = new Run(what, n, l, r.plan().tasks().size(), r.jobNanos() / 1e9, r.kernelNanos() / 1e9, r.readNanos() / 1e9,
                    r.bytesRead(), r.shuffleBytes(), flops);
            System.err.printf(Locale.ROOT, "%s: %s%n", what, run);
            return run;
        } finally {
            spark.stop();
        }
    }
}
