package dev.attend.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attend.tensor.Npy;
import dev.attend.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a {@code local-cluster[2,1,1024]} master: two executor JVMs, so inputs are read, partials shuffled and parts written
 * across process boundaries. A task whose first attempt throws is retried; an executor killed in the middle of the job
 * (its JVM halts inside a task) is replaced; either way the answer is the one of a clean run, bit for bit.
 */
class SparkFaultsTest {
    static SparkSession spark;

    @TempDir
    static Path dir;

    static String q, k, v;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkTesting.session("local-cluster[2,1,1024]");
        q = write("q.npy", Tensor.randn(21, 1, 4, 200, 32));
        k = write("k.npy", Tensor.randn(22, 1, 2, 200, 32));
        v = write("v.npy", Tensor.randn(23, 1, 2, 200, 32));
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    static String write(String name, Tensor t) throws IOException {
        Path p = dir.resolve(name);
        Npy.write(p, t);
        return p.toString();
    }

    static SparkAttention.Result run(String name, SparkAttention.Faults faults) throws IOException {
        Path run = Files.createDirectories(dir.resolve(name));
        SparkAttention.Job job = SparkAttention.Job.of(q, k, v, run.resolve("parts").toString()).withMask("causal").withShards(3)
                .withPlan(ShardPlan.Kind.ZIGZAG).withAssembled(run.resolve("out.npy").toString(), run.resolve("lse.npy").toString())
                .withFaults(faults);
        return SparkAttention.run(spark, job);
    }

    static void assertSameBits(String what, Path a, Path b) throws IOException {
        float[] x = Npy.read(a).toArray(), y = Npy.read(b).toArray();
        assertEquals(x.length, y.length, what);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), what + " at " + i);
        }
    }

    @Test
    void executorsInOtherJvmsGiveTheSingleNodeAnswer() throws IOException {
        SparkAttention.Result r = run("clean", SparkAttention.Faults.NONE);
        assertEquals(9, r.plan().tasks().size());
        assertEquals(0, r.failedAttempts());
        assertTrue(r.bytesRead() > 0 && r.shuffleBytes() > 0, "bytes read " + r.bytesRead() + ", shuffled " + r.shuffleBytes());
        // The same job on this JVM's flash kernel.
        Tensor want = dev.attend.attention.Attention.flash().forward(dev.attend.attention.AttentionProblem.of(Npy.read(Path.of(q)),
                Npy.read(Path.of(k)), Npy.read(Path.of(v)), dev.attend.attention.mask.Mask.parse("causal"))).out();
        SparkAttentionTest.assertClose("local-cluster out", want, Npy.read(dir.resolve("clean").resolve("out.npy")));
    }

    @Test
    void aFailedTaskIsRetriedAndTheAnswerIsExact() throws IOException {
        run("reference", SparkAttention.Faults.NONE);
        SparkAttention.Result r = run("throwing", new SparkAttention.Faults(Set.of(0, 4, 8), Set.of()));
        assertTrue(r.failedAttempts() >= 3, "three first attempts fail: " + r.failedAttempts());
        assertSameBits("out after retries", dir.resolve("reference").resolve("out.npy"), dir.resolve("throwing").resolve("out.npy"));
        assertSameBits("lse after retries", dir.resolve("reference").resolve("lse.npy"), dir.resolve("throwing").resolve("lse.npy"));
    }

    @Test
    void aLostExecutorDoesNotChangeTheAnswer() throws IOException {
        run("reference2", SparkAttention.Faults.NONE);
        SparkAttention.Result r = run("killed", new SparkAttention.Faults(Set.of(), Set.of(5)));
        assertTrue(r.failedAttempts() >= 1, "the killed executor's task failed: " + r.failedAttempts());
        assertSameBits("out after a lost executor", dir.resolve("reference2").resolve("out.npy"), dir.resolve("killed").resolve("out.npy"));
        assertSameBits("lse after a lost executor", dir.resolve("reference2").resolve("lse.npy"), dir.resolve("killed").resolve("lse.npy"));
    }
}
