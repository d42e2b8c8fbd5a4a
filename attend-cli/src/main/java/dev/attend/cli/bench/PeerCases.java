package dev.attend.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attend.attention.Workload;
import dev.attend.attention.decode.DecodeAttention;
import dev.attend.simd.Parallel;
import dev.attend.tensor.DType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The peers suite: the shared workloads run by Attend, by the scalar loop, and by other implementations, each
 * peer in a JVM of its own ({@code dev.attend.peers.PeerMain} of the optional {@code attend-peers} module: ONNX
 * Runtime, libtorch through DJL, Jlama), which validates against the fp64 reference before it times. The peers
 * module is built on first use ({@code mvn -P peers}), so the default build never downloads them; a peer that
 * is missing, fails or does not support a workload is an "E" or "X" cell, never a stop.
 */
final class PeerCases {
    static final List<String> PEERS = List.of("onnx", "libtorch", "jlama");

    private PeerCases() {}

    static List<BenchCase> all(boolean quick) {
        List<BenchCase> out = new ArrayList<>();
        for (Workload w : workloads(quick)) {
            out.add(KernelCases.of("peers", w, null));
            if (w.shape().qLen() <= 1024 || w.pass() == Workload.Pass.DECODE) out.add(ScalarAttention.of("peers", w));
            // Peers decode over their own fp32 cache: they sit beside decode-f32, not again beside Attend's Q8_0.
            if (w.mechanism().equals(DecodeAttention.nameOf(DType.Q8_0))) continue;
            for (String peer : PEERS) {
                // Jlama's per-row loop takes half a minute a call at 8K: measured where it finishes in seconds.
                if (peer.equals("jlama") && w.pass() != Workload.Pass.DECODE && (w.shape().kLen() > 4096 || w.shape().qHeads() > 8)) continue;
                out.add(new External(peer, w));
            }
        }
        return out;
    }

    /** Causal prefill at 1K, 4K, 8K (Hq = Hkv = 8), GQA 32:8 causal and full at 4K, decode over 16K and 64K (F32 and Q8_0). */
    static List<Workload> workloads(boolean quick) {
        List<Workload> w = new ArrayList<>();
        for (int l : quick ? new int[] {1024, 4096} : new int[] {1024, 4096, 8192}) w.add(prefill("causal", Workload.Shape.self(1, 8, 8, l, 128)));
        w.add(prefill("causal", Workload.Shape.self(1, 32, 8, 4096, 128)));
        w.add(prefill("full", Workload.Shape.self(1, 8, 8, quick ? 2048 : 4096, 128)));
        for (int n : new int[] {16384, 65536}) {
            for (DType f : new DType[] {DType.F32, DType.Q8_0}) {
                w.add(new Workload(DecodeAttention.nameOf(f), Workload.Pass.DECODE, new Workload.Shape(1, 32, 8, 1, n, 128),
                        Workload.MaskAt.fixed("causal-br")));
            }
        }
        return w;
    }

    private static Workload prefill(String mask, Workload.Shape s) {
        return new Workload("flash", Workload.Pass.FORWARD, s, Workload.MaskAt.fixed(mask));
    }

    /** One peer on one workload, measured by PeerMain in a JVM of its own. F32 decode workloads stand for the peer's own cache. */
    private static final class External implements BenchCase {
        private final String peer;
        private final Workload w;

        External(String peer, Workload w) {
            this.peer = peer;
            this.w = w;
        }

        @Override public String suite() { return "peers"; }
        @Override public String mechanism() { return peer; }
        @Override public String source() { return "peer"; }
        @Override public String mask() { return w.maskSpec(); }
        @Override public Workload.Shape dims() { return w.shape(); }
        @Override public Workload.Pass pass() { return w.pass(); }
        @Override public double flops() { return w.usefulFlops(); }

        @Override
        public double bytes() {
            Workload.Shape s = w.shape();
            return w.pass() == Workload.Pass.DECODE ? dev.attend.attention.Cost.kvCacheBytes(DType.F32, s.batch(), s.kvHeads(), s.kLen(), s.headDim()) : 0;
        }

        @Override
        public String name() {
            Workload.Shape d = w.shape();
            return "peers: " + peer + " " + w.maskSpec() + " " + w.pass().label() + " B" + d.batch() + " H" + d.qHeads() + "/" + d.kvHeads()
                    + " L" + d.qLen() + "x" + d.kLen() + " D" + d.headDim();
        }

        @Override
        public Supplier<?> setup() {
            throw new IllegalStateException("a peer case is measured by PeerMain in its own JVM");
        }

        @Override
        public BenchResult external(BenchRunner.Settings s) {
            BenchResult base = BenchRunner.base(this, BenchResult.Status.OK, null);
            try {
                Path cp = PeersBuild.classpath();
                Path dir = Files.createTempDirectory("attend-peer");
                Path req = dir.resolve("request.json"), resp = dir.resolve("response.json");
                Map<String, Object> workload = new LinkedHashMap<>();
                Workload.Shape d = w.shape();
                workload.put("mechanism", w.mechanism());
                workload.put("pass", w.pass().label());
                workload.put("mask", w.maskSpec());
                workload.put("B", d.batch());
                workload.put("Hq", d.qHeads());
                workload.put("Hkv", d.kvHeads());
                workload.put("Lq", d.qLen());
                workload.put("Lk", d.kLen());
                workload.put("D", d.headDim());
                Map<String, Object> request = new LinkedHashMap<>();
                request.put("peer", peer);
                request.put("workload", workload);
                request.put("threads", Parallel.threads());
                request.put("warmup_runs", s.warmupRuns());
                request.put("warmup_seconds", s.warmupSeconds());
                request.put("min_runs", s.minRuns());
                request.put("max_runs", s.maxRuns());
                request.put("target_seconds", s.minSeconds());
                ObjectMapper json = new ObjectMapper();
                json.writeValue(req.toFile(), request);
                String java = ProcessHandle.current().info().command().orElse("java");
                Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC",
                        "--enable-native-access=ALL-UNNAMED", "-cp",
                        Files.readString(cp, StandardCharsets.UTF_8).strip(), "dev.attend.peers.PeerMain", req.toString(), resp.toString())
                        .redirectErrorStream(true).redirectOutput(dir.resolve("peer.log").toFile()).start();
                if (!p.waitFor((long) (s.maxCallSeconds() * 10 + 120), TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return BenchRunner.base(this, BenchResult.Status.ERROR, "peer JVM did not finish in time");
                }
                if (!Files.exists(resp)) {
                    String log = Files.readString(dir.resolve("peer.log"), StandardCharsets.UTF_8).strip();
                    return BenchRunner.base(this, BenchResult.Status.ERROR, "peer JVM exited with " + p.exitValue() + " and no response: "
                            + lastLine(log));
                }
                JsonNode r = json.readTree(resp.toFile());
                String status = r.path("status").asText("error");
                String message = r.path("message").isNull() ? null : r.path("message").asText(null);
                String variant = r.path("variant").isNull() ? null : r.path("variant").asText(null);
                if (!status.equals("ok")) {
                    BenchResult.Status st = status.equals("unsupported") ? BenchResult.Status.UNSUPPORTED : BenchResult.Status.ERROR;
                    return withVariant(BenchRunner.base(this, st, message == null ? status : message), variant);
                }
                List<Double> times = new ArrayList<>();
                r.path("times_ms").forEach(t -> times.add(t.asDouble()));
                if (times.isEmpty()) return BenchRunner.base(this, BenchResult.Status.ERROR, "peer returned no timed runs");
                BenchResult.Timing t = new BenchRunner(s, null).timing(times.stream().mapToDouble(Double::doubleValue).toArray(), false);
                return withVariant(new BenchResult(base.suite(), base.name(), base.mechanism(), base.source(), base.params(), true, base.mask(),
                        base.maskKind(), base.pattern(), base.pass(), base.batch(), base.qHeads(), base.kvHeads(), base.qLen(), base.kLen(),
                        base.headDim(), BenchResult.Status.OK, null, t, flops(), null, null, null, bytes() > 0 ? bytes() : null, null, null,
                        null, null, null, null), variant);
            } catch (IOException | RuntimeException e) {
                return BenchRunner.base(this, BenchResult.Status.ERROR, BenchRunner.describe(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return BenchRunner.base(this, BenchResult.Status.ERROR, "interrupted");
            }
        }

        private static BenchResult withVariant(BenchResult r, String variant) {
            return new BenchResult(r.suite(), r.name(), r.mechanism(), r.source(), r.params(), r.exact(), r.mask(), r.maskKind(), r.pattern(),
                    r.pass(), r.batch(), r.qHeads(), r.kvHeads(), r.qLen(), r.kLen(), r.headDim(), r.status(), r.reason(), r.timing(),
                    r.usefulFlops(), r.gflops(), r.pctPeak(), r.workFlops(), r.bytes(), r.gbps(), r.pctBw(), r.allocBytesPerCall(),
                    r.peakHeapBytes(), r.fidelity(), variant);
        }

        private static String lastLine(String log) {
            String[] lines = log.split("\\R");
            return lines.length == 0 ? "(no output)" : lines[lines.length - 1];
        }
    }
}
