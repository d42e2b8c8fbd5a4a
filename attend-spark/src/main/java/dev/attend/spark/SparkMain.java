package dev.attend.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Exact attention as a Spark job from the command line. {@code attend attention --engine spark ...} runs this in its own
 * JVM (embedded {@code local[*]} by default); on a cluster, submit the module's jar:
 * <pre>
 * spark-submit --class dev.attend.spark.SparkMain --master spark://host:7077 \
 *   --conf spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector \
 *   --driver-java-options --add-modules=jdk.incubator.vector \
 *   attend-spark-submit.jar --q hdfs:///data/q.npy --k hdfs:///data/k.npy --v hdfs:///data/v.npy --parts hdfs:///out/parts --mask causal
 * </pre>
 * Exit codes as the CLI's: 2 for a wrong command line, 1 for a failure of the work.
 */
@Command(name = "attend attention --engine spark", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Exact attention on Apache Spark: Q and K/V cut into shards, the (query shard, key shard) pairs the mask",
            "leaves visible as tasks running Attend's flash kernel, partials merged exactly by log-sum-exp. Inputs are .npy",
            "files or FILE.safetensors#NAME on a path every executor can read; executors read their own rows."})
public final class SparkMain implements Callable<Integer> {
    @Option(names = "--q", required = true, paramLabel = "Q", description = "Queries [B, Hq, Lq, D] (.npy, or FILE.safetensors#NAME).")
    String q;

    @Option(names = "--k", required = true, paramLabel = "K", description = "Keys [B, Hkv, Lk, D].")
    String k;

    @Option(names = "--v", required = true, paramLabel = "V", description = "Values [B, Hkv, Lk, D].")
    String v;

    @Option(names = "--parts", paramLabel = "DIR", description = "Directory for the output parts and plan.txt (default: OUT.parts next to --out).")
    String parts;

    @Option(names = "--out", paramLabel = "O.npy", description = "Also assemble the whole output [B, Hq, Lq, D] here.")
    String out;

    @Option(names = "--lse", paramLabel = "LSE.npy", description = "Also assemble the log-sum-exp [B, Hq, Lq] here (needs --out).")
    String lse;

    @Option(names = "--mask", paramLabel = "SPEC", defaultValue = "full", description = "Mask spec (default: ${DEFAULT-VALUE}); see 'attend masks'.")
    String mask;

    @Option(names = "--scale", paramLabel = "S", description = "Score scale (default: 1/sqrt(D)).")
    Float scale;

    @Option(names = "--mechanism", paramLabel = "SPEC", defaultValue = "flash", description = "The kernel each task runs: flash[:blockQ=..,blockK=..] (default: ${DEFAULT-VALUE}).")
    String mechanism;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: the one spark-submit gives, else local[*]).")
    String master;

    @Option(names = "--shards", paramLabel = "N", description = "Sequence shards or head groups (default: the default parallelism of the master).")
    Integer shards;

    @Option(names = "--plan", paramLabel = "KIND", defaultValue = "auto", description = "auto, ring, zigzag or heads (default: ${DEFAULT-VALUE}).")
    String plan;

    @Option(names = "--allow-nonfinite", description = "Compute even when an input holds NaN or infinity (rows that see one give NaN).")
    boolean allowNonFinite;

    @Option(names = "--explain", description = "Print the plan and exit without running it.")
    boolean explain;

    @Option(names = "--quiet", description = "Print nothing on success.")
    boolean quiet;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new SparkMain());
        cli.setExecutionExceptionHandler((e, c, r) -> {
            System.err.println("attend: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (System.getenv("ATTEND_DEBUG") != null) e.printStackTrace();
            return 1;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() {
        if (lse != null && out == null) throw new CommandLine.ParameterException(new CommandLine(this), "--lse needs --out (the LSE is assembled with the output)");
        if (parts == null) {
            if (out == null) throw new CommandLine.ParameterException(new CommandLine(this), "expected --parts DIR or --out FILE (the parts go to FILE.parts)");
            parts = out + ".parts";
        }
        ShardPlan.Kind kind = plan.equalsIgnoreCase("auto") ? null : ShardPlan.Kind.parse(plan);
        SparkAttention.Job job = SparkAttention.Job.of(q, k, v, parts).withMask(mask).withMechanism(mechanism).withPlan(kind)
                .withAssembled(out, lse).withAllowNonFinite(allowNonFinite);
        if (scale != null) job = job.withScale(scale);
        if (explain && shards != null) {
            System.out.print(SparkAttention.plan(job.withShards(shards)).explain());
            return 0;
        }
        // Spark logs every step at INFO; a command line shows its own summary (ATTEND_DEBUG=1 keeps Spark's log).
        if (System.getenv("ATTEND_DEBUG") == null) {
            org.apache.logging.log4j.core.config.Configurator.setRootLevel(org.apache.logging.log4j.Level.WARN);
        }
        SparkConf conf = new SparkConf().setAppName("attend attention");
        if (master != null) conf.setMaster(master);
        else if (!conf.contains("spark.master")) conf.setMaster("local[*]");
        conf.setIfMissing("spark.ui.enabled", "false");
        conf.setIfMissing("spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector");
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        try {
            int n = shards != null ? shards : spark.sparkContext().defaultParallelism();
            job = job.withShards(n);
            if (explain) {
                System.out.print(SparkAttention.plan(job).explain());
                return 0;
            }
            SparkAttention.Result r = SparkAttention.run(spark, job);
            if (!quiet) {
                System.out.print(r.plan().explain());
                System.out.printf(Locale.ROOT, "done: %d parts in %s; job %.3f s, kernel %.3f s and reading %.3f s summed over %d task attempts"
                                + " (%d failed), %.1f MiB read, %.1f MiB shuffled%n",
                        r.outParts().size(), parts, r.jobNanos() / 1e9, r.kernelNanos() / 1e9, r.readNanos() / 1e9, r.taskAttempts(),
                        r.failedAttempts(), r.bytesRead() / 1048576.0, r.shuffleBytes() / 1048576.0);
                if (out != null) System.out.println("wrote " + out + (lse != null ? " and " + lse : ""));
            }
            return 0;
        } finally {
            spark.stop();
        }
    }
}
