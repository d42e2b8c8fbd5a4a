package dev.attend.cli;

import dev.attend.cli.bench.report.ReportWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** attend advise on a tiny shape: it measures what it lacks, answers, and answers again from the results alone. */
class AdviseCommandTest {
    @Test
    void measuresWhatItLacksAndAnswersFromResults(@TempDir Path dir) throws Exception {
        MainTest.Run r = MainTest.run("advise", "--lq", "64", "--heads", "2:2", "--d", "32", "--mask", "causal", "--quick");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("use flash:"), r.out());
        assertTrue(r.err().contains("measuring"), r.err());
        // From a bench run that has the shape: no measuring.
        MainTest.Run bench = MainTest.run("bench", "--suite", "exact", "--quick", "--filter", "flash causal forward B1 H8/8 L1024x1024",
                "--out", dir.toString(), "--no-progress");
        assertEquals(0, bench.code(), bench.err());
        assertTrue(Files.exists(dir.resolve(ReportWriter.INDEX)));
        MainTest.Run again = MainTest.run("advise", "--lq", "1024", "--heads", "8:8", "--mask", "causal", "--from", dir.toString(), "--quick");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("use flash:"), again.out());
        assertFalse(again.err().contains("measuring"), "answered from the results: " + again.err());
    }

    @Test
    void badQuestionsAreUsageErrors() {
        assertEquals(Main.EXIT_USAGE, MainTest.run("advise", "--lq", "64", "--heads", "3:2").code());
        assertEquals(Main.EXIT_USAGE, MainTest.run("advise", "--lq", "64", "--pass", "sideways").code());
        assertEquals(Main.EXIT_USAGE, MainTest.run("advise", "--lq", "64", "--mask", "sliding:0").code());
    }
}
