package dev.attend.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.mask.Mask;
import dev.attend.tensor.Npy;
import dev.attend.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command on files it writes itself: results against the API, and one-line errors. */
class AttentionCommandTest {

    private static Path npy(Path dir, String name, Tensor t) throws Exception {
        Path p = dir.resolve(name);
        Npy.write(p, t);
        return p;
    }

    @Test
    void writesTheSameOutputAndLseAsTheApi(@TempDir Path dir) throws Exception {
        Tensor q = Tensor.randn(1, 2, 4, 9, 16), k = Tensor.randn(2, 2, 2, 13, 16), v = Tensor.randn(3, 2, 2, 13, 16);
        Path pq = npy(dir, "q.npy", q), pk = npy(dir, "k.npy", k), pv = npy(dir, "v.npy", v);
        for (String mech : new String[] {"reference", "flash"}) {
            Path out = dir.resolve(mech + "-o.npy"), lse = dir.resolve(mech + "-lse.npy");
            MainTest.Run r = MainTest.run("attention", "--q", pq.toString(), "--k", pk.toString(), "--v", pv.toString(),
                    "--out", out.toString(), "--lse", lse.toString(), "--mask", "causal-br", "--scale", "0.3", "--mechanism", mech);
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains(mech), r.out());
            AttentionResult want = Attention.of(mech).forward(AttentionProblem.of(q, k, v, Mask.parse("causal-br")).withScale(0.3f));
            assertArrayEquals(want.out().toArray(), Npy.read(out).toArray(), 0f, mech + " out");
            assertArrayEquals(want.lse().toArray(), Npy.read(lse).toArray(), 0f, mech + " lse");
            assertArrayEquals(new long[] {2, 4, 9}, Npy.read(lse).shape());
        }
    }

    @Test
    void shapeMismatchIsOneLineNamingTheArgument(@TempDir Path dir) throws Exception {
        Path pq = npy(dir, "q.npy", Tensor.randn(1, 1, 2, 4, 8));
        Path pk = npy(dir, "k.npy", Tensor.randn(2, 1, 2, 4, 16));
        Path out = dir.resolve("o.npy");
        MainTest.Run r = MainTest.run("attention", "--q", pq.toString(), "--k", pk.toString(), "--v", pk.toString(), "--out", out.toString());
        assertEquals(Main.EXIT_FAILURE, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().startsWith("attend attention: k: ") && r.err().contains("8") && r.err().contains("16"), r.err());
        assertFalse(Files.exists(out), "no output on failure");
    }

    @Test
    void badMaskMechanismAndFileAreOneLine(@TempDir Path dir) throws Exception {
        Path p = npy(dir, "x.npy", Tensor.randn(1, 1, 1, 4, 8));
        String[] base = {"attention", "--q", p.toString(), "--k", p.toString(), "--v", p.toString(), "--out", dir.resolve("o.npy").toString()};

        MainTest.Run mask = MainTest.run(concat(base, "--mask", "sliding:"));
        assertEquals(Main.EXIT_USAGE, mask.code());
        assertEquals(1, mask.errLines(), mask.err());

        MainTest.Run mech = MainTest.run(concat(base, "--mechanism", "nope"));
        assertEquals(Main.EXIT_USAGE, mech.code());
        assertTrue(mech.err().contains("nope") && mech.err().contains("flash") && mech.err().contains("reference"), mech.err());

        MainTest.Run missing = MainTest.run("attention", "--q", dir.resolve("absent.npy").toString(), "--k", p.toString(),
                "--v", p.toString(), "--out", dir.resolve("o.npy").toString());
        assertEquals(Main.EXIT_FAILURE, missing.code());
        assertEquals(1, missing.errLines(), missing.err());
        assertTrue(missing.err().contains("no such file") && missing.err().contains("absent.npy"), missing.err());

        Files.writeString(dir.resolve("bad.npy"), "not an npy file");
        MainTest.Run bad = MainTest.run("attention", "--q", dir.resolve("bad.npy").toString(), "--k", p.toString(),
                "--v", p.toString(), "--out", dir.resolve("o.npy").toString());
        assertEquals(Main.EXIT_FAILURE, bad.code());
        assertEquals(1, bad.errLines(), bad.err());
        assertTrue(bad.err().contains("bad.npy"), bad.err());
    }

    @Test
    void missingRequiredOptionIsAUsageError() {
        MainTest.Run r = MainTest.run("attention", "--q", "q.npy");
        assertEquals(Main.EXIT_USAGE, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains("--k"), r.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void sparkOptionsNeedTheSparkEngineAndAnOutput(@TempDir Path dir) throws Exception {
        Path p = npy(dir, "x.npy", Tensor.randn(1, 1, 1, 4, 8));
        String[] base = {"attention", "--q", p.toString(), "--k", p.toString(), "--v", p.toString()};
        MainTest.Run noOut = MainTest.run(base);
        assertEquals(Main.EXIT_USAGE, noOut.code());
        assertTrue(noOut.err().contains("--out"), noOut.err());
        for (String[] opt : new String[][] {{"--master", "local[2]"}, {"--shards", "3"}, {"--plan", "ring"}, {"--parts", "d"}, {"--explain"}}) {
            MainTest.Run r = MainTest.run(concat(concat(base, "--out", dir.resolve("o.npy").toString()), opt));
            assertEquals(Main.EXIT_USAGE, r.code(), String.join(" ", opt));
            assertEquals(1, r.errLines(), r.err());
            assertTrue(r.err().contains(opt[0] + " needs --engine spark"), r.err());
        }
        MainTest.Run neither = MainTest.run(concat(base, "--engine", "spark"));
        assertEquals(Main.EXIT_USAGE, neither.code());
        assertTrue(neither.err().contains("--out O.npy or --parts DIR"), neither.err());
        MainTest.Run clobber = MainTest.run(concat(base, "--engine", "spark", "--out", p.toString()));
        assertEquals(Main.EXIT_USAGE, clobber.code(), "an output that is an input is refused before Spark is built");
        MainTest.Run engine = MainTest.run(concat(base, "--engine", "yarn", "--out", dir.resolve("o.npy").toString()));
        assertEquals(Main.EXIT_USAGE, engine.code());
        assertTrue(engine.err().contains("local") && engine.err().contains("spark"), engine.err());
    }
}
