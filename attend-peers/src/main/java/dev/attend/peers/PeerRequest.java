package dev.attend.peers;

import com.fasterxml.jackson.databind.JsonNode;

import dev.attend.attention.Workload;

import java.util.List;
import java.util.Locale;

/**
 * REQUEST.json of the peer protocol (see {@link PeerMain}): which peer, the workload exactly as the bench names it,
 * threads, and the timing budget.
 *
 * <pre>{@code
 * {"peer": "onnx",
 *  "workload": {"mechanism": "flash", "pass": "forward", "mask": "causal", "B": 1, "Hq": 8, "Hkv": 8, "Lq": 4096, "Lk": 4096, "D": 128},
 *  "threads": 2, "warmup_runs": 2, "warmup_seconds": 3.0, "min_runs": 5, "max_runs": 100, "target_seconds": 2.0}
 * }</pre>
 * The timing fields default to the values above and {@code threads} to the available processors when absent;
 * unknown fields are ignored, so the bench may add its own.
 */
record PeerRequest(String peer, Workload workload, int threads, int warmupRuns, double warmupSeconds, int minRuns,
                   int maxRuns, double targetSeconds) {

    PeerRequest {
        if (threads < 1) throw new IllegalArgumentException("threads: expected at least 1, got " + threads);
        if (warmupRuns < 0) throw new IllegalArgumentException("warmup_runs: expected at least 0, got " + warmupRuns);
        if (minRuns < 1) throw new IllegalArgumentException("min_runs: expected at least 1, got " + minRuns);
        if (maxRuns < minRuns) throw new IllegalArgumentException("max_runs: expected at least min_runs (" + minRuns + "), got " + maxRuns);
        if (!(warmupSeconds >= 0) || !(targetSeconds >= 0)) {
            throw new IllegalArgumentException("warmup_seconds, target_seconds: expected numbers >= 0, got " + warmupSeconds + ", " + targetSeconds);
        }
    }

    /** Parses the request text. */
    static PeerRequest parse(String json) {
        JsonNode m = PeerMain.readJson(json);
        if (!m.isObject()) throw new IllegalArgumentException("request: expected a JSON object");
        String peer = string(m, "peer");
        JsonNode w = m.get("workload");
        if (w == null || !w.isObject()) throw new IllegalArgumentException("request: expected an object 'workload'");
        String mechanism = w.has("mechanism") ? string(w, "mechanism") : "flash";
        String passName = string(w, "pass");
        Workload.Pass pass;
        try {
            pass = Workload.Pass.valueOf(passName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("workload.pass: expected one of " + List.of("forward", "decode", "backward") + ", got '" + passName + "'");
        }
        Workload.Shape shape = new Workload.Shape(integer(w, "B"), integer(w, "Hq"), integer(w, "Hkv"), integer(w, "Lq"),
                integer(w, "Lk"), integer(w, "D"));
        Workload workload = new Workload(mechanism, pass, shape, Workload.MaskAt.fixed(string(w, "mask").strip()));
        int threads = m.has("threads") ? integer(m, "threads") : Runtime.getRuntime().availableProcessors();
        return new PeerRequest(peer, workload, threads,
                m.has("warmup_runs") ? integer(m, "warmup_runs") : 2,
                m.has("warmup_seconds") ? number(m, "warmup_seconds") : 3.0,
                m.has("min_runs") ? integer(m, "min_runs") : 5,
                m.has("max_runs") ? integer(m, "max_runs") : 100,
                m.has("target_seconds") ? number(m, "target_seconds") : 2.0);
    }

    private static String string(JsonNode m, String key) {
        JsonNode v = m.get(key);
        if (v == null || !v.isTextual()) throw new IllegalArgumentException("request: expected a string '" + key + "', got " + v);
        return v.textValue();
    }

    private static double number(JsonNode m, String key) {
        JsonNode v = m.get(key);
        if (v == null || !v.isNumber()) throw new IllegalArgumentException("request: expected a number '" + key + "', got " + v);
        return v.doubleValue();
    }

    private static int integer(JsonNode m, String key) {
        double d = number(m, key);
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("request: expected an integer '" + key + "', got " + d);
        }
        return (int) d;
    }
}
