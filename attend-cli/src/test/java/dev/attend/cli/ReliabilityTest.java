package dev.attend.cli;

import dev.attend.tensor.Npy;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Defects found by trying the CLI as a new user would; each test failed before its fix. */
class ReliabilityTest {

    private static Path npy(Path dir, String name, Tensor t) throws Exception {
        Path p = dir.resolve(name);
        Npy.write(p, t);
        return p;
    }

    private static String[] attention(Path dir, String... extra) throws Exception {
        List<String> a = new ArrayList<>(List.of("attention", "--q", dir.resolve("q.npy").toString(), "--k", dir.resolve("k.npy").toString(),
                "--v", dir.resolve("v.npy").toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private static void inputs(Path dir) throws Exception {
        npy(dir, "q.npy", Tensor.randn(1, 1, 1, 8, 4));
        npy(dir, "k.npy", Tensor.randn(2, 1, 1, 8, 4));
        npy(dir, "v.npy", Tensor.randn(3, 1, 1, 8, 4));
    }

    @Test
    void nonFiniteInputsAreRefusedNamingTheArrayAndTheElement(@TempDir Path dir) throws Exception {
        inputs(dir);
        Tensor v = Tensor.randn(3, 1, 1, 8, 4);
        v.set(Float.NaN, 0, 0, 7, 2);
        npy(dir, "v.npy", v);
        MainTest.Run r = MainTest.run(attention(dir, "--out", dir.resolve("o.npy").toString(), "--mask", "causal"));
        assertEquals(Main.EXIT_FAILURE, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains("v: element [0, 0, 7, 2] of ") && r.err().contains("is NaN") && r.err().contains("--allow-nonfinite"), r.err());
        assertFalse(Files.exists(dir.resolve("o.npy")));
        r = MainTest.run(attention(dir, "--out", dir.resolve("o.npy").toString(), "--mask", "causal", "--allow-nonfinite"));
        assertEquals(0, r.code(), r.err());
        Tensor out = Npy.read(dir.resolve("o.npy"));
        for (int i = 0; i < 7; i++) for (int x = 0; x < 4; x++) assertTrue(Float.isFinite(out.get(0, 0, i, x)), "row " + i);
        assertTrue(Float.isNaN(out.get(0, 0, 7, 2)));
    }

    @Test
    void outputsNeverReplaceAnInputOrEachOther(@TempDir Path dir) throws Exception {
        inputs(dir);
        byte[] q = Files.readAllBytes(dir.resolve("q.npy"));
        Path x = dir.resolve("x.npy");
        MainTest.Run same = MainTest.run(attention(dir, "--out", x.toString(), "--lse", x.toString()));
        assertEquals(Main.EXIT_USAGE, same.code(), same.err());
        assertTrue(same.err().contains("--lse: '" + x + "' is also --out"), same.err());
        MainTest.Run input = MainTest.run(attention(dir, "--out", dir.resolve("q.npy").toString()));
        assertEquals(Main.EXIT_USAGE, input.code());
        assertTrue(input.err().contains("--out: '" + dir.resolve("q.npy") + "' is also --q (an input would be overwritten)"), input.err());
        MainTest.Run viaDots = MainTest.run(attention(dir, "--out", dir.resolve("sub/../q.npy").toString()));
        assertEquals(Main.EXIT_USAGE, viaDots.code(), "the same file under another spelling");
        assertArrayEquals(q, Files.readAllBytes(dir.resolve("q.npy")), "the input is untouched");
    }

    @Test
    void aMissingDirectoryIsFoundBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        inputs(dir);
        Path out = dir.resolve("o.npy");
        Files.writeString(out, "an old result the user keeps");
        MainTest.Run r = MainTest.run(attention(dir, "--out", out.toString(), "--lse", dir.resolve("missing/lse.npy").toString()));
        assertEquals(Main.EXIT_USAGE, r.code(), r.err());
        assertTrue(r.err().contains("--lse: directory '" + dir.resolve("missing") + "' does not exist"), r.err());
        assertEquals("an old result the user keeps", Files.readString(out));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.filter(f -> f.getFileName().toString().endsWith(".tmp")).count(), "no temporary file left");
        }
    }

    @Test
    void wrongValuesOnTheCommandLineExitWith2(@TempDir Path dir) throws Exception {
        inputs(dir);
        String out = dir.resolve("o.npy").toString();
        for (String[] extra : new String[][] {{"--mask", "sliding:0"}, {"--mechanism", "nosuch"}, {"--scale", "NaN"}, {"--scale", "nan"},
                {"--scale", "0"}, {"--mechanism", "flash:blockQ=0"}}) {
            List<String> a = new ArrayList<>(List.of(attention(dir, "--out", out)));
            a.addAll(List.of(extra));
            MainTest.Run r = MainTest.run(a.toArray(String[]::new));
            assertEquals(Main.EXIT_USAGE, r.code(), String.join(" ", extra) + ": " + r.err());
            assertEquals(1, r.errLines(), r.err());
            assertTrue(r.err().contains(extra[0]), r.err());
        }
        MainTest.Run suite = MainTest.run("bench", "--suite", "nosuch", "--list");
        assertEquals(Main.EXIT_USAGE, suite.code(), suite.err());
        assertTrue(suite.err().contains("unknown suite 'nosuch'") && suite.err().contains("exact"), suite.err());
        MainTest.Run filter = MainTest.run("bench", "--filter", "nomatch", "--list");
        assertEquals(Main.EXIT_USAGE, filter.code(), filter.err());
        assertTrue(filter.err().contains("--filter: no case of suite 'standard' matches 'nomatch'"), filter.err());
    }

    @Test
    void benchRefusesAFileAsItsOutputDirectoryBeforeMeasuring(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("results");
        Files.writeString(file, "keep me");
        long t0 = System.nanoTime();
        MainTest.Run r = MainTest.run("bench", "--quick", "--out", file.toString());
        assertEquals(Main.EXIT_USAGE, r.code(), r.err());
        assertTrue(r.err().contains("--out: '" + file + "' is a file, expected a directory"), r.err());
        assertTrue((System.nanoTime() - t0) / 1e9 < 20, "refused before the benchmark ran");
        assertEquals("keep me", Files.readString(file));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ATTEND_THREADS=abc", "ATTEND_THREADS=0", "ATTEND_THREADS=-1", "ATTEND_THREADS=99999999999",
            "-Dattend.threads=zz"})
    void aBadThreadSettingIsOneLine(String setting, @TempDir Path dir) throws Exception {
        // The thread pool is configured once per JVM: run the CLI in a JVM of its own.
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "--add-modules", "jdk.incubator.vector"));
        if (setting.startsWith("-D")) cmd.add(setting);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.attend.cli.Main", "info", "--no-peak"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(dir.resolve("err").toFile()).redirectOutput(dir.resolve("out").toFile());
        pb.environment().remove("ATTEND_THREADS");
        if (setting.startsWith("ATTEND_THREADS=")) pb.environment().put("ATTEND_THREADS", setting.substring("ATTEND_THREADS=".length()));
        int code = pb.start().waitFor();
        List<String> err = Files.readAllLines(dir.resolve("err"), StandardCharsets.UTF_8).stream()
                .filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        assertEquals(Main.EXIT_USAGE, code, String.join("\n", err));
        assertEquals(1, err.size(), String.join("\n", err));
        String name = setting.substring(0, setting.indexOf('='));
        assertTrue(err.get(0).contains(name + ": expected an integer from 1 to 1024 (worker threads), got '"), err.get(0));
        assertFalse(err.get(0).contains("Exception"), err.get(0));
    }

    @Test
    void listingsComeFromTheRegistries() {
        MainTest.Run mech = MainTest.run("mechanisms");
        assertEquals(0, mech.code(), mech.err());
        for (String name : dev.attend.attention.Attention.names()) assertTrue(mech.out().contains(name + " ("), name);
        assertTrue(mech.out().contains("blockQ  default 96, an integer in [1, 1024]"), mech.out());
        MainTest.Run masks = MainTest.run("masks", "--json");
        assertEquals(0, masks.code(), masks.err());
        for (String name : dev.attend.attention.mask.MaskRegistry.names()) assertTrue(masks.out().contains("\"name\" : \"" + name + "\""), name);
        MainTest.Run help = MainTest.run("attention", "--help");
        for (String name : dev.attend.attention.mask.MaskRegistry.names()) assertTrue(help.out().contains(name), name);
    }
}
