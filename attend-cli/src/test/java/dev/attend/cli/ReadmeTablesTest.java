package dev.attend.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's mechanism and mask tables are the registries' own rendering. When this fails, paste the
 * expected block from the message into README.md (or run with -Dattend.readme.update=true to rewrite it).
 */
class ReadmeTablesTest {
    private static final Path README = Path.of("..", "README.md");

    @Test
    void mechanismTableIsTheRegistry() throws Exception {
        check("mechanisms", Registries.mechanismsMarkdown());
    }

    @Test
    void maskTableIsTheRegistry() throws Exception {
        check("masks", Registries.masksMarkdown());
    }

    private static void check(String name, String table) throws Exception {
        String readme = Files.readString(README);
        String start = "<!-- " + name + ":start -->\n", end = "<!-- " + name + ":end -->";
        int a = readme.indexOf(start), b = readme.indexOf(end);
        assertTrue(a >= 0 && b > a, "README.md must hold the " + name + " table between " + start.strip() + " and " + end);
        String current = readme.substring(a + start.length(), b);
        if (!current.equals(table) && Boolean.getBoolean("attend.readme.update")) {
            Files.writeString(README, readme.substring(0, a + start.length()) + table + readme.substring(b));
            return;
        }
        assertEquals(table, current, "README.md's " + name + " table differs from the registry");
    }
}
