package dev.attend.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** attend train and attend eval on a tiny MQAR: files, resume, evaluation and refusals. */
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
        for (String f : new String[] {"run.json", "train.csv", "eval.csv", "loss.png", "loss-time.png", "latest", "step-00000006/model.safetensors"}) {
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

        MainTest.Run eval = MainTest.run("eval", "--model", whole.toString(), "--examples", "16");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().startsWith(TASK + ": ") && eval.out().contains("answer tokens"), eval.out());
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
        Files.writeString(d.resolve("run.json"), "{\"task\": \"" + TASK + "\", \"batch\": 8}");
        MainTest.Run corrupt = MainTest.run("eval", "--model", d.toString());
        assertEquals(Main.EXIT_FAILURE, corrupt.code());
        assertTrue(corrupt.err().contains("checkpoint"), corrupt.err());
    }
}
