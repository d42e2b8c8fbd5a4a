package dev.attend.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.MaskRegistry;
import dev.attend.tensor.DType;
import dev.attend.tensor.Npy;
import dev.attend.tensor.Safetensors;
import dev.attend.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark engine equals single-node flash within 1e-5 (output and LSE) on every library mask, GQA, causal and cross
 * attention, for 1, 2, 3 and 7 shards (7 does not divide the lengths), with each plan. Embedded {@code local[2]}: the
 * tasks run in this JVM but every partial still goes through Spark's serializer and shuffle.
 */
class SparkAttentionTest {
    static SparkSession spark;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        spark = SparkTesting.session("local[2]");
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    /** One spec of every registered library mask at L = 96 (batch 2 for the per-batch padding mask). */
    static final Map<String, String> MASKS = new LinkedHashMap<>();

    static {
        MASKS.put("full", "full");
        MASKS.put("causal", "causal");
        MASKS.put("causal-br", "causal-br");
        MASKS.put("sliding", "sliding:9");
        MASKS.put("sliding-bi", "sliding-bi:5");
        MASKS.put("global-sliding", "global-sliding:3,7");
        MASKS.put("document", "document:20,30,46");
        MASKS.put("document-causal", "document-causal:40,56");
        MASKS.put("share-question", "share-question:30,33,33");
        MASKS.put("causal-blockwise", "causal-blockwise:32,32,32");
        MASKS.put("prefix-lm", "prefix-lm:17");
        MASKS.put("prefix-lm-document", "prefix-lm-document:5,9;40,56");
        MASKS.put("block-causal-document", "block-causal-document:8;40,56");
        MASKS.put("sinks", "sinks:4,8");
        MASKS.put("padding", "padding:70,96");
        MASKS.put("block-sparse", "block-sparse:32,32;101,010,110");
        MASKS.put("block-sparse-random", "block-sparse-random:16,16,0.4,7");
    }

    @Test
    void everyLibraryMaskIsCovered() {
        assertEquals(new TreeSet<>(MaskRegistry.names()), new TreeSet<>(MASKS.keySet()), "add a spec for each new mask here");
    }

    static String save(String name, Tensor t) throws IOException {
        Path p = dir.resolve(name);
        Npy.write(p, t);
        return p.toString();
    }

    /** Runs the job and checks out and LSE (the assembled files and the parts) against single-node flash. */
    static SparkAttention.Result check(String what, Tensor q, Tensor k, Tensor v, String mask, int shards, ShardPlan.Kind plan,
                                       String qPath, String kPath, String vPath) throws IOException {
        Path run = Files.createTempDirectory(dir, "run");
        SparkAttention.Job job = SparkAttention.Job.of(qPath, kPath, vPath, run.resolve("parts").toString()).withMask(mask)
                .withShards(shards).withPlan(plan).withAssembled(run.resolve("out.npy").toString(), run.resolve("lse.npy").toString());
        SparkAttention.Result r = SparkAttention.run(spark, job);
        AttentionResult want = Attention.flash().forward(AttentionProblem.of(q, k, v, Mask.parse(mask)));
        assertClose(what + " out", want.out(), Npy.read(run.resolve("out.npy")));
        assertClose(what + " lse", want.lse(), Npy.read(run.resolve("lse.npy")));
        return r;
    }

    static void assertClose(String what, Tensor want, Tensor got) {
        assertEquals(List.of(toBoxed(want.shape())), List.of(toBoxed(got.shape())), what + " shape");
        float[] a = want.toArray(), b = got.toArray();
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == Float.NEGATIVE_INFINITY || b[i] == Float.NEGATIVE_INFINITY) {
                assertEquals(a[i], b[i], what + ": a fully masked row at " + i);
                continue;
            }
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        assertTrue(max <= 1e-5, what + ": max abs error " + max);
    }

    private static Long[] toBoxed(long[] s) {
        Long[] o = new Long[s.length];
        for (int i = 0; i < s.length; i++) o[i] = s[i];
        return o;
    }

    @Test
    void equalsSingleNodeOnEveryMaskAndShardCount() throws IOException {
        int l = 96;
        for (Map.Entry<String, String> e : MASKS.entrySet()) {
            int batch = e.getKey().equals("padding") ? 2 : 1;
            Tensor q = Tensor.randn(1, batch, 4, l, 16), k = Tensor.randn(2, batch, 2, l, 16), v = Tensor.randn(3, batch, 2, l, 16);
            String qp = save(e.getKey() + ".q.npy", q), kp = save(e.getKey() + ".k.npy", k), vp = save(e.getKey() + ".v.npy", v);
            for (int shards : new int[] {1, 2, 3, 7}) {
                check(e.getValue() + " x" + shards, q, k, v, e.getValue(), shards, null, qp, kp, vp);
            }
        }
    }

    @Test
    void everyPlanOnGqaCausal() throws IOException {
        Tensor q = Tensor.randn(4, 2, 8, 131, 32), k = Tensor.randn(5, 2, 4, 131, 32), v = Tensor.randn(6, 2, 4, 131, 32);
        String qp = save("gqa.q.npy", q), kp = save("gqa.k.npy", k), vp = save("gqa.v.npy", v);
        for (ShardPlan.Kind kind : ShardPlan.Kind.values()) {
            for (int shards : new int[] {1, 2, 3, 7}) {
                if (kind == ShardPlan.Kind.HEADS && shards > 4) continue;
                SparkAttention.Result r = check("gqa " + kind + " x" + shards, q, k, v, "causal", shards, kind, qp, kp, vp);
                assertEquals(kind, r.plan().kind());
                assertEquals(r.plan().tasks().size(), r.taskAttempts() - r.plan().shards(), "one attempt per task, then one write per part");
            }
        }
    }

    @Test
    void crossAttentionWithBothCausalAlignments() throws IOException {
        Tensor q = Tensor.randn(7, 1, 4, 50, 16), k = Tensor.randn(8, 1, 4, 173, 16), v = Tensor.randn(9, 1, 4, 173, 16);
        String qp = save("x.q.npy", q), kp = save("x.k.npy", k), vp = save("x.v.npy", v);
        for (String mask : new String[] {"full", "causal", "causal-br"}) {
            for (int shards : new int[] {1, 2, 3, 7}) check("cross " + mask + " x" + shards, q, k, v, mask, shards, null, qp, kp, vp);
        }
        // and the other way round: more queries than keys
        Tensor q2 = Tensor.randn(10, 1, 4, 173, 16), k2 = Tensor.randn(11, 1, 4, 50, 16), v2 = Tensor.randn(12, 1, 4, 50, 16);
        String q2p = save("y.q.npy", q2), k2p = save("y.k.npy", k2), v2p = save("y.v.npy", v2);
        for (int shards : new int[] {2, 7}) check("cross causal-br long q x" + shards, q2, k2, v2, "causal-br", shards, null, q2p, k2p, v2p);
    }

    @Test
    void safetensorsAndHalfInputs() throws IOException {
        Tensor q = Tensor.randn(13, 1, 2, 64, 16), k = Tensor.randn(14, 1, 2, 64, 16), v = Tensor.randn(15, 1, 2, 64, 16);
        Path st = dir.resolve("qkv.safetensors");
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("q", q);
        m.put("k", k);
        m.put("v", v);
        Safetensors.write(st, m, Map.of("q", DType.BF16, "k", DType.F16, "v", DType.F32), Map.of());
        Map<String, Tensor> stored = Safetensors.read(st);  // the values as rounded to BF16 / F16
        check("safetensors", stored.get("q"), stored.get("k"), stored.get("v"), "causal", 3, null,
                st + "#q", st + "#k", st + "#v");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkAttention.plan(
                SparkAttention.Job.of(st + "#q", st + "#nope", st + "#v", dir.resolve("p").toString())));
        assertTrue(e.getMessage().contains("no tensor 'nope'"), e.getMessage());
    }

    @Test
    void partsHoldTheirRowsAndHiddenPartsAreWritten() throws IOException {
        // document:32,64 with 3 ring shards of 32: part 0 (rows 0..31) sees keys 0..31 only; every part is written.
        Tensor q = Tensor.randn(16, 1, 2, 96, 8), k = Tensor.randn(17, 1, 2, 96, 8), v = Tensor.randn(18, 1, 2, 96, 8);
        SparkAttention.Result r = check("parts", q, k, v, "document:32,64", 3, ShardPlan.Kind.RING,
                save("p.q.npy", q), save("p.k.npy", k), save("p.v.npy", v));
        assertEquals(3, r.outParts().size());
        assertEquals(5, r.plan().tasks().size(), "(0,0), (1,1), (1,2), (2,1), (2,2)");
        assertEquals(4, r.plan().hiddenPairs());
        Tensor part1 = Npy.read(Path.of(r.outParts().get(1)));
        assertEquals(List.of(1L, 2L, 32L, 8L), List.of(toBoxed(part1.shape())));
        assertTrue(Files.readString(Path.of(r.outParts().get(0)).resolveSibling("plan.txt")).contains("plan: ring"));
    }

    @Test
    void badInputsAreRefusedBeforeAnyTask() throws IOException {
        String q = save("b.q.npy", Tensor.randn(1, 1, 2, 8, 4)), k = save("b.k.npy", Tensor.randn(1, 1, 2, 8, 8));
        String v = save("b.v.npy", Tensor.randn(1, 1, 2, 8, 8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparkAttention.run(spark, SparkAttention.Job.of(q, k, v, dir.resolve("b").toString())));
        assertTrue(e.getMessage().startsWith("k: expected head dim 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SparkAttention.plan(SparkAttention.Job.of(k, k, v, dir.resolve("b").toString())
                .withMechanism("hyper")));
        assertTrue(e.getMessage().contains("expected flash"), e.getMessage());
        String bad = save("b.r3.npy", Tensor.randn(1, 2, 8, 8));
        e = assertThrows(IllegalArgumentException.class, () -> SparkAttention.plan(SparkAttention.Job.of(bad, k, v, dir.resolve("b").toString())));
        assertTrue(e.getMessage().startsWith("q: expected 4 dimensions"), e.getMessage());
    }

    @Test
    void aNonFiniteInputFailsTheJobNamingItsElementUnlessAllowed() throws IOException {
        Tensor q = Tensor.randn(19, 1, 4, 64, 8), k = Tensor.randn(20, 1, 2, 64, 8), v = Tensor.randn(21, 1, 2, 64, 8);
        k.set(Float.NaN, 0, 1, 50, 3);
        String qp = save("nan.q.npy", q), kp = save("nan.k.npy", k), vp = save("nan.v.npy", v);
        SparkAttention.Job job = SparkAttention.Job.of(qp, kp, vp, dir.resolve("nan-parts").toString()).withMask("causal").withShards(3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkAttention.run(spark, job));
        assertTrue(e.getMessage().startsWith("k: element [0, 1, 50, 3] of " + kp + " is NaN"), e.getMessage());
        SparkAttention.Result r = SparkAttention.run(spark, job.withAllowNonFinite(true).withAssembled(dir.resolve("nan-o.npy").toString(), null));
        Tensor out = Npy.read(Path.of(r.out()));
        // Query heads 2 and 3 share key/value head 1: their rows from 50 on see the NaN, every other row is finite.
        for (int h = 0; h < 4; h++) {
            for (int i = 0; i < 64; i++) {
                boolean nan = Float.isNaN(out.get(0, h, i, 0));
                assertEquals(h >= 2 && i >= 50, nan, "head " + h + " row " + i);
            }
        }
    }
}
