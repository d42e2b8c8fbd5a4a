package dev.attend.peers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.Support;
import dev.attend.attention.Workload;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Times one workload on one peer, in this JVM, for {@code attend bench --suite peers}:
 * <pre>
 * java --add-modules jdk.incubator.vector -XX:+UseParallelGC -cp CLASSPATH dev.attend.peers.PeerMain REQUEST.json RESPONSE.json
 * </pre>
 * The request ({@link PeerRequest}) names the peer ({@code onnx}, {@code libtorch}, {@code jlama}), the workload
 * (the shape, pass and mask Attend runs), the threads and the timing budget. Steps, the same for every peer:
 * <ol>
 *   <li>load the peer with the requested intra-op threads (one inter-op thread);
 *   <li>ask whether it can express the workload ({@code "unsupported"} with the reason if not);
 *   <li>validate: the same peer path on a small version of the workload (same heads and D, lengths scaled to at
 *       most 256, the mask and the Lq vs Lk relation kept) against Attend's fp64 reference; a max abs error above
 *       {@code 1e-3 * max|v|} is {@code "error"} with the figure, and nothing is timed;
 *   <li>build the full problem as {@link Workload#problem()} does (q, k, v standard normal from seeds 1, 2, 3),
 *       copy it into the peer's tensors, warm up ({@code warmup_runs} and {@code warmup_seconds}, both), then time
 *       runs until {@code min_runs} and {@code target_seconds} are both reached, or {@code max_runs}. Only the
 *       attention call is inside the timer.
 * </ol>
 * RESPONSE.json is always written (exit code 0 when it was; 1 only if even that failed, 2 for a wrong command line):
 * <pre>{@code
 * {"peer": "onnx", "status": "ok" | "unsupported" | "error", "message": "one line, for unsupported and error",
 *  "variant": "what ran", "validation": {"Lq": 64, "Lk": 64, "max_abs_error": 1.1e-6, "tolerance": 0.0042},
 *  "times_ms": [ every timed run ], "threads": 2}
 * }</pre>
 */
public final class PeerMain {
    /** Largest length of the validation problem. */
    static final int VALIDATION_LENGTH = 256;
    /** Validation tolerance relative to {@code max|v|}. */
    static final double TOLERANCE = 1e-3;

    private PeerMain() {}

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: PeerMain REQUEST.json RESPONSE.json");
            System.exit(2);
        }
        int code = runFiles(Path.of(args[0]), Path.of(args[1]));
        // Native runtimes may keep non-daemon threads alive.
        System.exit(code);
    }

    /** Reads the request, runs it and writes the response (atomically); 0 when the response was written, else 1. */
    static int runFiles(Path request, Path response) {
        Response r;
        try {
            r = run(PeerRequest.parse(Files.readString(request, StandardCharsets.UTF_8)));
        } catch (Throwable t) {
            r = Response.error(peerNameOf(request), oneLine(t), 0);
        }
        try {
            Path tmp = response.resolveSibling(response.getFileName() + ".tmp");
            Files.writeString(tmp, r.toJson() + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, response, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return 0;
        } catch (Throwable t) {
            System.err.println("PeerMain: cannot write " + response + ": " + oneLine(t));
            return 1;
        }
    }

    /** The peers, by request name. */
    static PeerRunner runner(String name) {
        return switch (name) {
            case "onnx" -> new OnnxPeer();
            case "libtorch" -> new LibtorchPeer();
            case "jlama" -> new JlamaPeer();
            default -> throw new IllegalArgumentException("peer: expected onnx, libtorch or jlama, got '" + name + "'");
        };
    }

    /** Steps 1-4 above; never throws for a peer's failure (that is an error response). */
    static Response run(PeerRequest req) {
        PeerRunner peer = runner(req.peer());
        Workload w = req.workload();
        Support s = peer.support(w);
        if (!s.supported()) return Response.unsupported(peer.name(), s.reason(), req.threads());
        Workload small = validationWorkload(w);
        s = peer.support(small);
        if (!s.supported()) {
            return Response.unsupported(peer.name(), "at the validation size " + small.shape() + ": " + s.reason(), req.threads());
        }
        try {
            peer.load(req.threads());
            Validation v = validate(peer, small, req.threads());
            if (!(v.maxAbsError() <= v.tolerance())) {
                return Response.error(peer.name(), String.format(Locale.ROOT,
                        "validation failed: max abs error %.3g exceeds %.3g (1e-3 * max|v|) at Lq=%d Lk=%d", v.maxAbsError(),
                        v.tolerance(), v.lq(), v.lk()), req.threads()).with(v.variant(), v, List.of());
            }
            AttentionProblem problem = w.problem();
            try (PeerRunner.Prepared p = peer.prepare(w, problem, req.threads())) {
                problem = null;   // the peer holds its own copy; let the GC take Attend's
                List<Double> times = time(p, req);
                return Response.ok(peer.name(), p.variant(), v, times, req.threads());
            }
        } catch (Throwable t) {
            return Response.error(peer.name(), oneLine(t), req.threads());
        }
    }

    /**
     * The workload at validation size: lengths divided by one factor so the longer is at most {@link #VALIDATION_LENGTH}
     * (rounded up, so at least 1), except that a short query block (at most 64, as in decoding) keeps its length;
     * equal lengths stay equal and Lq stays at most Lk when it was.
     */
    static Workload validationWorkload(Workload w) {
        int lq = w.shape().qLen(), lk = w.shape().kLen();
        int f = Math.max(1, ceilDiv(Math.max(lq, lk), VALIDATION_LENGTH));
        int sk = ceilDiv(lk, f);
        int sq = lq <= 64 ? lq : ceilDiv(lq, f);
        if (lq == lk) sq = sk = Math.min(lq, VALIDATION_LENGTH);
        else if (lq < lk) sk = Math.max(sk, sq + 1);
        return w.withLengths(sq, sk);
    }

    private static Validation validate(PeerRunner peer, Workload small, int threads) throws Exception {
        AttentionProblem p = small.problem();
        float[] ref = Attention.reference().forward(p).out().toArray();
        float maxV = 0;
        for (float x : p.v().toArray()) maxV = Math.max(maxV, Math.abs(x));
        try (PeerRunner.Prepared prepared = peer.prepare(small, p, threads)) {
            prepared.run();
            float[] out = prepared.output();
            prepared.release();
            if (out.length != ref.length) {
                throw new IllegalStateException("peer output has " + out.length + " elements, expected " + ref.length);
            }
            double err = 0;
            for (int i = 0; i < ref.length; i++) {
                double e = Math.abs((double) out[i] - ref[i]);
                if (!(e <= err)) err = Double.isNaN(e) ? Double.NaN : e;
                if (Double.isNaN(err)) break;
            }
            return new Validation(small.shape().qLen(), small.shape().kLen(), err, TOLERANCE * maxV, prepared.variant());
        }
    }

    private static List<Double> time(PeerRunner.Prepared p, PeerRequest req) throws Exception {
        long start = System.nanoTime();
        for (int n = 0; n < req.warmupRuns() || seconds(System.nanoTime() - start) < req.warmupSeconds(); n++) {
            p.run();
            p.release();
        }
        List<Double> times = new ArrayList<>();
        double total = 0;
        while (times.size() < req.maxRuns() && (times.size() < req.minRuns() || total < req.targetSeconds())) {
            long t0 = System.nanoTime();
            p.run();
            long t1 = System.nanoTime();
            p.release();
            times.add((t1 - t0) / 1e6);
            total += seconds(t1 - t0);
        }
        return times;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** The exception as one line: its class, message and the first frame of the cause chain's root. */
    static String oneLine(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String msg = t.getClass().getSimpleName() + ": " + t.getMessage();
        if (root != t) msg += " (caused by " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        if (t.getMessage() == null && t.getStackTrace().length > 0) msg += " at " + t.getStackTrace()[0];
        msg = msg.replaceAll("\\s+", " ").strip();
        if (System.getenv("ATTEND_DEBUG") != null) {
            StringWriter sw = new StringWriter();
            t.printStackTrace(new PrintWriter(sw));
            System.err.println(sw);
        }
        return msg.length() > 600 ? msg.substring(0, 600) + "..." : msg;
    }

    static final ObjectMapper JSON = new ObjectMapper();

    /** The protocol's JSON (requests, responses); a text that is not JSON is an IllegalArgumentException. */
    static JsonNode readJson(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            long at = e.getLocation() == null ? -1 : e.getLocation().getCharOffset();
            throw new IllegalArgumentException("request: not JSON at offset " + at + ": " + e.getOriginalMessage());
        }
    }

    private static String peerNameOf(Path request) {
        try {
            JsonNode peer = readJson(Files.readString(request)).get("peer");
            if (peer != null && peer.isTextual()) return peer.textValue();
        } catch (IOException | RuntimeException ignored) {
            // the response says what went wrong with the request
        }
        return "";
    }

    record Validation(int lq, int lk, double maxAbsError, double tolerance, String variant) {}

    /** RESPONSE.json. */
    record Response(String peer, String status, String message, String variant, Validation validation, List<Double> timesMs,
                    int threads) {
        static Response ok(String peer, String variant, Validation v, List<Double> times, int threads) {
            return new Response(peer, "ok", "", variant, v, times, threads);
        }

        static Response unsupported(String peer, String reason, int threads) {
            return new Response(peer, "unsupported", reason, "", null, List.of(), threads);
        }

        static Response error(String peer, String message, int threads) {
            return new Response(peer, "error", message, "", null, List.of(), threads);
        }

        Response with(String variant, Validation v, List<Double> times) {
            return new Response(peer, status, message, variant, v, times, threads);
        }

        String toJson() {
            ObjectNode r = JSON.createObjectNode().put("peer", peer).put("status", status).put("message", message).put("variant", variant);
            if (validation == null) {
                r.putNull("validation");
            } else {
                r.putObject("validation").put("Lq", validation.lq()).put("Lk", validation.lk())
                        .put("max_abs_error", finite(validation.maxAbsError())).put("tolerance", finite(validation.tolerance()));
            }
            ArrayNode times = r.putArray("times_ms");
            for (double t : timesMs) times.add(finite(t));
            r.put("threads", threads);
            return r.toString();
        }

        /** JSON has no NaN or infinity: such a figure is written as null. */
        private static Double finite(double v) {
            return Double.isFinite(v) ? v : null;
        }
    }
}
