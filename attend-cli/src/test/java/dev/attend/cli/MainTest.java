package dev.attend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MainTest {

    /** Exit code and captured streams of one invocation. */
    record Run(int code, String out, String err) {
        long errLines() {
            return err.lines().count();
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void versionNamesTheProjectAndTheJdk() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("attend "), r.out());
        assertTrue(r.out().contains("JDK " + Runtime.version().feature()), r.out());
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("info") && r.out().contains("bench"), r.out());
        assertEquals(0, run().code(), "no command prints the usage");
    }

    @Test
    void unknownOptionIsOneLineAndExitCode2() {
        Run r = run("info", "--bogus");
        assertEquals(Main.EXIT_USAGE, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().startsWith("attend info: ") && r.err().contains("--bogus"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose");
    }

    @Test
    void unknownCommandNamesTheKnownOnes() {
        Run r = run("frobnicate");
        assertEquals(Main.EXIT_USAGE, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains("unknown command 'frobnicate'") && r.err().contains("bench"), r.err());
    }

    @Test
    void missingOptionValueIsOneLine() {
        Run r = run("bench", "--out");
        assertEquals(Main.EXIT_USAGE, r.code());
        assertEquals(1, r.errLines(), r.err());
    }

    @Test
    void failureIsOneLineAndExitCode1(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Run r = run("attention", "--q", dir.resolve("absent.npy").toString(), "--k", "k.npy", "--v", "v.npy", "--out", dir.resolve("o.npy").toString());
        assertEquals(Main.EXIT_FAILURE, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains("absent.npy"), r.err());
    }

    @Test
    void verboseAddsTheStackTrace(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Run r = run("attention", "--q", dir.resolve("absent.npy").toString(), "--k", "k.npy", "--v", "v.npy", "--out",
                dir.resolve("o.npy").toString(), "--verbose");
        assertEquals(Main.EXIT_FAILURE, r.code());
        assertTrue(r.errLines() > 1 && r.err().contains("\tat "), r.err());
    }

    @Test
    void infoJsonParsesWithoutPeaks() throws Exception {
        Run r = run("info", "--json", "--no-peak");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(Runtime.version().toString(), j.get("jdk").asText());
        assertTrue(j.get("vector_bits").asInt() >= 64);
        assertTrue(j.get("threads").asInt() >= 1);
        assertFalse(j.get("cpu").asText().isBlank());
        assertTrue(j.get("fma_gflops").isNull());
    }

    @Test
    void infoJsonCarriesMeasuredPeaks() throws Exception {
        Run r = run("info", "--json", "--quick");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String key : new String[] {"fma_gflops_1t", "fma_gflops", "read_gbps"}) {
            assertTrue(j.get(key).isNumber() && j.get(key).asDouble() > 0, key + " in " + r.out());
        }
    }

    @Test
    void infoTextHasOneFactPerLine() {
        Run r = run("info", "--no-peak");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Vector") && r.out().contains("bits") && r.out().contains("Threads"), r.out());
    }
}
