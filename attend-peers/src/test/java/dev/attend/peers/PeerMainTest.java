package dev.attend.peers;

import dev.attend.attention.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The protocol around the peers: request parsing, validation sizes, the response file. */
class PeerMainTest {
    static final String REQUEST = """
            {"peer": "onnx",
             "workload": {"mechanism": "flash", "pass": "forward", "mask": "causal", "B": 1, "Hq": 8, "Hkv": 8, "Lq": 4096, "Lk": 4096, "D": 128},
             "threads": 2, "warmup_runs": 2, "warmup_seconds": 3.0, "min_runs": 5, "max_runs": 100, "target_seconds": 2.0}
            """;

    @Test
    void parsesTheRequestOfTheProtocol() {
        PeerRequest r = PeerRequest.parse(REQUEST);
        assertEquals("onnx", r.peer());
        assertEquals(new Workload.Shape(1, 8, 8, 4096, 4096, 128), r.workload().shape());
        assertEquals(Workload.Pass.FORWARD, r.workload().pass());
        assertEquals("causal", r.workload().maskSpec());
        assertEquals(2, r.threads());
        assertEquals(2, r.warmupRuns());
        assertEquals(3.0, r.warmupSeconds());
        assertEquals(5, r.minRuns());
        assertEquals(100, r.maxRuns());
        assertEquals(2.0, r.targetSeconds());
    }

    @Test
    void badRequestsNameTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PeerRequest.parse(REQUEST.replace("\"Hq\": 8", "\"Hq\": 8.5")))
                .getMessage().contains("'Hq'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PeerRequest.parse(REQUEST.replace("forward", "sideways")))
                .getMessage().contains("workload.pass"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PeerRequest.parse("{\"peer\": \"onnx\",}"))
                .getMessage().contains("offset"));
        assertThrows(IllegalArgumentException.class, () -> PeerRequest.parse(REQUEST.replace("\"max_runs\": 100", "\"max_runs\": 1")));
    }

    @Test
    void validationKeepsHeadsMaskAndTheRelationOfTheLengths() {
        assertEquals(List.of(256, 256), lengths(4096, 4096));
        assertEquals(List.of(64, 64), lengths(64, 64));
        assertEquals(List.of(1, 256), lengths(1, 16384));
        assertEquals(List.of(16, 256), lengths(16, 16384));
        assertEquals(List.of(128, 256), lengths(2048, 4096));
        assertEquals(List.of(256, 128), lengths(4096, 2048));
        assertEquals(List.of(8, 200), lengths(8, 200));
    }

    private static List<Integer> lengths(int lq, int lk) {
        Workload w = new Workload("flash", Workload.Pass.FORWARD, new Workload.Shape(1, 8, 2, lq, lk, 64), Workload.MaskAt.fixed("causal-br"));
        Workload s = PeerMain.validationWorkload(w);
        assertEquals(8, s.shape().qHeads());
        assertEquals(2, s.shape().kvHeads());
        assertEquals("causal-br", s.maskSpec());
        return List.of(s.shape().qLen(), s.shape().kLen());
    }

    @Test
    void anUnsupportedWorkloadWritesAResponseWithTheReason(@TempDir Path dir) throws Exception {
        Path req = dir.resolve("req.json"), resp = dir.resolve("resp.json");
        Files.writeString(req, REQUEST.replace("\"mask\": \"causal\"", "\"mask\": \"sliding:128\""));
        assertEquals(0, PeerMain.runFiles(req, resp));
        Map<?, ?> m = read(Files.readString(resp));
        assertEquals("onnx", m.get("peer"));
        assertEquals("unsupported", m.get("status"));
        assertTrue(((String) m.get("message")).contains("sliding:128"));
        assertEquals(List.of(), m.get("times_ms"));
        assertEquals(2, m.get("threads"));
    }

    @Test
    void aBrokenRequestIsAnErrorResponse(@TempDir Path dir) throws Exception {
        Path req = dir.resolve("req.json"), resp = dir.resolve("resp.json");
        Files.writeString(req, REQUEST.replace("\"onnx\"", "\"tensorflow\""));
        assertEquals(0, PeerMain.runFiles(req, resp));
        Map<?, ?> m = read(Files.readString(resp));
        assertEquals("error", m.get("status"));
        assertTrue(((String) m.get("message")).contains("tensorflow"), m.toString());
        assertEquals(0, PeerMain.runFiles(dir.resolve("missing.json"), resp));
        assertEquals("error", (read(Files.readString(resp))).get("status"));
    }

    @Test
    void anUnwritableResponseIsExitCodeOne(@TempDir Path dir) throws Exception {
        Path req = dir.resolve("req.json");
        Files.writeString(req, REQUEST.replace("\"mask\": \"causal\"", "\"mask\": \"sliding:128\""));
        assertEquals(1, PeerMain.runFiles(req, dir.resolve("no-such-dir").resolve("resp.json")));
    }

    @Test
    void responseJsonHasTheProtocolFields() throws Exception {
        PeerMain.Response r = PeerMain.Response.ok("onnx", "MHA \"fused\"", new PeerMain.Validation(64, 64, 1.5e-7, 0.004, "v"),
                List.of(1.25, 2.0), 2);
        Map<?, ?> m = read(r.toJson());
        assertEquals(List.of("peer", "status", "message", "variant", "validation", "times_ms", "threads"), List.copyOf(m.keySet()));
        assertEquals("MHA \"fused\"", m.get("variant"));
        assertEquals(Map.of("Lq", 64, "Lk", 64, "max_abs_error", 1.5e-7, "tolerance", 0.004), m.get("validation"));
        assertEquals(List.of(1.25, 2.0), m.get("times_ms"));
    }

    private static Map<?, ?> read(String json) throws Exception {
        return PeerMain.JSON.readValue(json, Map.class);
    }
}
