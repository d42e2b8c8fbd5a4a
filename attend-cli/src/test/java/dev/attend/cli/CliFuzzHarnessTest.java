package dev.attend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CLI fuzz target's argument decoding: it confines every path to its temp directory and keeps runs short. */
class CliFuzzHarnessTest {
    private static List<String> decode(String text) {
        return CliFuzzTest.decode(text.getBytes(StandardCharsets.UTF_8));
    }

    private static boolean inside(String path) {
        return Path.of(path).toAbsolutePath().normalize().startsWith(CliFuzzTest.root());
    }

    @Test
    void pathOptionValuesAndArgFilesStayInTheTempDirectory() {
        List<String> a = decode("attention\n--q\n/etc/passwd\n--k\n../../k.npy\n--v\n$v\n--out\n/tmp/o.npy\n--lse=/lse.npy");
        assertTrue(inside(a.get(2)) && inside(a.get(4)) && inside(a.get(6)) && inside(a.get(8)), a.toString());
        assertTrue(a.get(9).startsWith("--lse=") && inside(a.get(9).substring("--lse=".length())), a.toString());
        List<String> at = decode("@/etc/passwd");
        assertTrue(at.getFirst().startsWith("@") && inside(at.getFirst().substring(1)), at.toString());
        List<String> b = decode("bench\n--out\n/\n--quick");
        assertTrue(inside(b.get(2)), b.toString());
    }

    @Test
    void benchRunsOnlyWithListAndInfoOnlyWithoutPeaks() {
        assertEquals(List.of("bench", "--quick", "--list"), decode("bench\n--quick"));
        assertEquals(List.of("bench", "--list"), decode("bench\n--list"));
        assertEquals(List.of("info", "--json", "--no-peak"), decode("info\n--json"));
        assertEquals(List.of("bench", "--", "x"), decode("bench\n--\nx"), "a command line picocli refuses runs as it is");
        assertEquals(List.of("bench", "--help"), decode("bench\n--help"));
    }

    @Test
    void markersNamesAndTheFinalNewline() {
        List<String> a = decode("%0\n%1\n\n$missing\n");
        assertEquals(3 + 1, a.size(), a.toString());
        assertTrue(a.get(0).startsWith("-") || Character.isLetter(a.get(0).charAt(0)), a.toString());
        assertEquals("", a.get(2));
        assertTrue(inside(a.get(3)) && a.get(3).endsWith("missing.npy"), a.toString());
        assertEquals(List.of(), decode(""));
    }

    @Test
    void theAttentionSeedRunsToSuccessAndWritesOnlyInTheTempDirectory() {
        List<String> a = decode("attention\n--q\n$q\n--k\n$k\n--v\n$v\n--out\n$out\n--lse\n$lse\n--mask\ncausal");
        MainTest.Run r = MainTest.run(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("flash"), r.out());
        assertTrue(inside(a.get(8)) && inside(a.get(10)), a.toString());
    }
}
