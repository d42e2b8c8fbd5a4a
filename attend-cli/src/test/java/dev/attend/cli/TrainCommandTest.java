package dev.attend.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** attend train, eval and generate on a tiny MQAR and a tiny corpus: files, settings files, resume, evaluation and refusals. */
class TrainCommandTest {
    private static final String TASK = "mqar:vocab=64,seq=32,pairs=4";

    private static String[] train(Path dir, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("train", "--task", TASK, "--d-model", "32", "--heads", "2:1", "--steps", "6",
                "--batch", "8", "--eval-every", "3", "--eval-examples", "16", "--lr", "3e-3", "--out", dir.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void aRunWritesCheckpointsCurvesAndResumesToTheSameLosses(@TempDir Path tmp) throws Exception {
        Path whole = tmp.resolve("whole"), split = tmp.resolve("split");
        MainTest.Run r = MainTest.run(train(whole));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("step 6: test accuracy"), r.err());
        for (String f : new String[] {"run.yaml", "train.csv", "eval.csv", "loss.png", "loss-time.png", "latest", "step-00000006/model.safetensors"}) {
            assertTrue(Files.exists(whole.resolve(f)), f);
        }
        assertEquals(7, Files.readAllLines(whole.resolve("train.csv")).size());
        assertEquals(3, Files.readAllLines(whole.resolve("eval.csv")).size());

        // The same run stopped at its step-3 checkpoint and resumed: the same losses, bit for bit.
        assertEquals(0, MainTest.run(train(split)).code());
        List<String> lines = Files.readAllLines(split.resolve("train.csv"));
        Files.write(split.resolve("train.csv"), lines.subList(0, 5));  // as if stopped after step 4, before a checkpoint
        Files.writeString(split.resolve("latest"), "step-00000003\n");
        MainTest.Run resumed = MainTest.run("train", "--resume", "--out", split.toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(losses(whole), losses(split));

        MainTest.Run eval = MainTest.run("eval", "--model", whole.toString(), "--examples", "16", "--compare", "Resumed=" + split.resolve("eval.csv"));
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().startsWith(TASK + ": ") && eval.out().contains("answer tokens"), eval.out());
        for (String png : new String[] {"eval-by-tag.png", "accuracy-compare.png", "accuracy-time.png"}) {
            assertTrue(Files.size(whole.resolve(png)) > 1000, png);
        }
        Files.writeString(tmp.resolve("other.csv"), "step,accuracy\n1,0.5\n");
        MainTest.Run badCurve = MainTest.run("eval", "--model", whole.toString(), "--examples", "4", "--compare", "X=" + tmp.resolve("other.csv"));
        assertEquals(Main.EXIT_FAILURE, badCurve.code());
        assertTrue(badCurve.err().contains("no column 'seconds'"), badCurve.err());
        assertEquals(0, MainTest.run("train", "--resume", "--out", whole.toString()).code(), "a finished run says so");
    }

    private static List<String> losses(Path dir) throws Exception {
        return Files.readAllLines(dir.resolve("train.csv")).stream().skip(1).map(l -> l.split(",")[2]).toList();
    }

    @Test
    void badSettingsAreNamed(@TempDir Path tmp) throws Exception {
        Path d = tmp.resolve("r");
        MainTest.Run heads = MainTest.run("train", "--task", TASK, "--d-model", "32", "--heads", "3", "--steps", "2", "--out", d.toString());
        assertEquals(Main.EXIT_USAGE, heads.code());
        assertTrue(heads.err().contains("heads: must divide dModel 32, got 3"), heads.err());
        MainTest.Run gqa = MainTest.run("train", "--task", TASK, "--d-model", "32", "--heads", "4:3", "--steps", "2", "--out", d.toString());
        assertTrue(gqa.err().contains("kvHeads: must divide heads 4, got 3"), gqa.err());
        MainTest.Run task = MainTest.run("train", "--task", "copy", "--steps", "2", "--out", d.toString());
        assertEquals(Main.EXIT_USAGE, task.code());
        assertTrue(task.err().contains("--task:"), task.err());
        MainTest.Run mech = MainTest.run("train", "--task", TASK, "--d-model", "32", "--attention", "nope", "--steps", "2", "--out", d.toString());
        assertTrue(mech.err().contains("nope"), mech.err());
        MainTest.Run noRun = MainTest.run("train", "--resume", "--out", d.toString());
        assertTrue(noRun.err().contains("--resume: no run in"), noRun.err());
        MainTest.Run noModel = MainTest.run("eval", "--model", d.toString());
        assertEquals(Main.EXIT_USAGE, noModel.code());
        Files.createDirectories(d);
        Files.writeString(d.resolve("run.yaml"), "task: " + TASK + "\nbatch: 8\nsteps: 2\n");
        MainTest.Run corrupt = MainTest.run("eval", "--model", d.toString());
        assertEquals(Main.EXIT_FAILURE, corrupt.code());
        assertTrue(corrupt.err().contains("checkpoint"), corrupt.err());
    }

    @Test
    void settingsComeFromAYamlFileTheCommandLineWinsAndRunYamlRepeatsTheRun(@TempDir Path tmp) throws Exception {
        Path yaml = tmp.resolve("run.yaml"), a = tmp.resolve("a"), b = tmp.resolve("b");
        Files.writeString(yaml, "# a small run\ntask: " + TASK + "\nd-model: 32\nheads: '2:1'\nsteps: 5\nbatch: 8\nlr: 3.0e-3\n"
                + "eval-examples: 8\ndropout: 0.1\nrope: true\n");
        MainTest.Run r = MainTest.run("train", "--config", yaml.toString(), "--steps", "3", "--out", a.toString());
        assertEquals(0, r.code(), r.err());
        String saved = Files.readString(a.resolve("run.yaml"));
        for (String line : new String[] {"task: " + TASK, "d-model: 32", "steps: 3", "dropout: 0.1", "rope: true", "warmup: 1"}) {
            assertTrue(saved.contains("\n" + line + "\n"), line + " in\n" + saved);
        }
        MainTest.Run again = MainTest.run("train", "--config", a.resolve("run.yaml").toString(), "--out", b.toString());
        assertEquals(0, again.code(), again.err());
        assertEquals(losses(a), losses(b), "run.yaml repeats the run");

        Files.writeString(yaml, "task: " + TASK + "\nlayer: 2\n");
        MainTest.Run unknown = MainTest.run("train", "--config", yaml.toString(), "--steps", "2", "--out", tmp.resolve("c").toString());
        assertEquals(Main.EXIT_USAGE, unknown.code());
        assertTrue(unknown.err().contains("unknown setting 'layer', expected one of task, layers, d-model"), unknown.err());
        Files.writeString(yaml, "task: " + TASK + "\nsteps: many\n");
        MainTest.Run bad = MainTest.run("train", "--config", yaml.toString(), "--out", tmp.resolve("c").toString());
        assertEquals(Main.EXIT_USAGE, bad.code());
        assertTrue(bad.err().contains("--config") && bad.err().contains("'many'") && bad.err().contains("--steps"), bad.err());
        Files.writeString(yaml, "task: [\n");
        MainTest.Run broken = MainTest.run("train", "--config", yaml.toString(), "--out", tmp.resolve("c").toString());
        assertEquals(Main.EXIT_FAILURE, broken.code());
        assertTrue(broken.err().contains("is not valid YAML"), broken.err());
        MainTest.Run missing = MainTest.run("train", "--config", tmp.resolve("none.yaml").toString(), "--out", tmp.resolve("c").toString());
        assertTrue(missing.err().contains("--config: no such file"), missing.err());
        assertFalse(Files.exists(tmp.resolve("c").resolve("run.yaml")), "no run is started from a bad file");
    }

    @Test
    void aTextModelTrainsReportsPerplexityAgainstTheBigramAndGenerates(@TempDir Path tmp) throws Exception {
        Path corpus = tmp.resolve("corpus.txt"), run = tmp.resolve("lm"), mqar = tmp.resolve("mqar");
        StringBuilder text = new StringBuilder();
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "home"};
        while (text.length() < 30_000) text.append(words[r.nextInt(words.length)]).append(r.nextInt(8) == 0 ? ".\n" : " ");
        Files.writeString(corpus, text);
        MainTest.Run t = MainTest.run("train", "--task", "text:file=" + corpus + ",vocab=300,seq=32", "--d-model", "32", "--heads", "2",
                "--steps", "4", "--batch", "4", "--eval-examples", "8", "--out", run.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(t.err().contains("validation perplexity"), t.err());
        assertTrue(Files.exists(run.resolve("tokenizer.json")));
        MainTest.Run eval = MainTest.run("eval", "--model", run.toString(), "--examples", "16");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("validation perplexity") && eval.out().contains("smoothed bigram baseline"), eval.out());

        String[] gen = {"generate", "--model", run.toString(), "--prompt", "the cat", "--max-tokens", "12", "--seed", "3"};
        MainTest.Run g1 = MainTest.run(gen), g2 = MainTest.run(gen);
        assertEquals(0, g1.code(), g1.err());
        assertTrue(g1.out().startsWith("the cat") && g1.out().length() > "the cat\n".length(), g1.out());
        assertEquals(g1.out(), g2.out(), "seeded");
        MainTest.Run greedy = MainTest.run("generate", "--model", run.toString(), "--prompt", "a", "--temperature", "0", "--samples", "2");
        assertEquals(0, greedy.code(), greedy.err());
        String[] parts = greedy.out().split("--- sample \\d \\(seed \\d\\)\\R");
        assertEquals(3, parts.length, greedy.out());
        assertEquals(parts[1], parts[2], "greedy ignores the seed");

        MainTest.Run badTopP = MainTest.run("generate", "--model", run.toString(), "--prompt", "a", "--top-p", "0");
        assertEquals(Main.EXIT_USAGE, badTopP.code());
        assertTrue(badTopP.err().contains("--top-p: expected in (0, 1], got 0.0"), badTopP.err());
        assertEquals(0, MainTest.run(train(mqar)).code());
        MainTest.Run synthetic = MainTest.run("generate", "--model", mqar.toString(), "--prompt", "a");
        assertEquals(Main.EXIT_USAGE, synthetic.code());
        assertTrue(synthetic.err().contains("has no tokenizer.json"), synthetic.err());
    }
}
