package dev.attend.cli;

import dev.attend.cli.train.Charts;
import dev.attend.nn.layers.DecoderLM;
import dev.attend.nn.tasks.Accuracy;
import dev.attend.nn.tasks.Task;
import dev.attend.nn.tasks.Tasks;
import dev.attend.nn.train.Checkpoint;
import dev.attend.nn.train.TaskTraining;
import dev.attend.nn.train.Trainer;
import dev.attend.tensor.Json;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code attend train}: trains a decoder-only LM on a synthetic task ({@link Tasks}) with AdamW and a warm-up +
 * cosine schedule, the head at the answer positions only. The run directory holds the checkpoints
 * ({@link Checkpoint}: resumable bit for bit), {@code run.json} (the task and batch, so {@code --resume} and
 * {@code attend eval} need no repetition), {@code train.csv} (a row per step), {@code eval.csv} and the loss-curve
 * PNGs. A NaN or infinite loss stops the run before the update, and no checkpoint is written for it.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a decoder-only LM on a synthetic task (mqar, niah, vt, cwe) and write checkpoints, a loss curve",
            "and test accuracy to a run directory."})
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--task", paramLabel = "SPEC", description = "The task, e.g. mqar:vocab=1024,seq=128,pairs=8 or niah:seq=512 (required unless --resume).")
    String task;

    @Option(names = "--layers", paramLabel = "N", defaultValue = "2", description = "Transformer blocks (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--d-model", paramLabel = "D", defaultValue = "128", description = "Model width (default: ${DEFAULT-VALUE}).")
    int dModel;

    @Option(names = "--heads", paramLabel = "H[:HKV]", defaultValue = "2", description = "Query heads, and key/value heads for GQA (default: ${DEFAULT-VALUE}).")
    String heads;

    @Option(names = "--attention", paramLabel = "SPEC", defaultValue = "flash", description = "The attention mechanism, a registry spec (default: ${DEFAULT-VALUE}).")
    String attention;

    @Option(names = "--rope", description = "Rotary positions instead of a learned position table.")
    boolean rope;

    @Option(names = "--steps", paramLabel = "S", description = "Optimiser steps in all (required unless --resume).")
    Long steps;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "64", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--warmup", paramLabel = "S", description = "Warm-up steps (default: a tenth of --steps).")
    Long warmup;

    @Option(names = "--weight-decay", paramLabel = "W", defaultValue = "0.1", description = "AdamW's decoupled weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--eval-every", paramLabel = "S", defaultValue = "0", description = "Test accuracy and a checkpoint every S steps (default: at the end only).")
    long evalEvery;

    @Option(names = "--eval-examples", paramLabel = "N", defaultValue = "256", description = "Test examples per evaluation (default: ${DEFAULT-VALUE}).")
    int evalExamples;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of the model's initial weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "The run directory (created if missing).")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out from its latest checkpoint.")
    boolean resume;

    static final String RUN_JSON = "run.json", TRAIN_CSV = "train.csv", EVAL_CSV = "eval.csv";

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut(), stderr = spec.commandLine().getErr();
        Trainer trainer;
        Task t;
        if (resume) {
            if (!Files.isRegularFile(out.resolve(RUN_JSON))) {
                throw new ParameterException(spec.commandLine(), "--resume: no run in '" + out + "' (missing " + RUN_JSON + ")");
            }
            Map<String, Object> run = readRun(out);
            if (task != null && !task.equals(run.get("task"))) {
                throw new ParameterException(spec.commandLine(), "--task: the run in '" + out + "' trains " + run.get("task") + ", got " + task);
            }
            t = Tasks.parse((String) run.get("task"));
            batch = ((Long) run.get("batch")).intValue();
            trainer = Checkpoint.load(out);
            // Rows written after the checkpoint (a run stopped between two) are trained again: drop them.
            truncateAfter(out.resolve(TRAIN_CSV), trainer.step());
            truncateAfter(out.resolve(EVAL_CSV), trainer.step());
            if (steps != null && steps != trainer.options().totalSteps()) {
                throw new ParameterException(spec.commandLine(), "--steps: the run in '" + out + "' has " + trainer.options().totalSteps()
                        + " steps, got " + steps + " (a longer run would change its learning-rate schedule)");
            }
        } else {
            if (task == null) throw new ParameterException(spec.commandLine(), "--task: expected a task spec, e.g. mqar:seq=128 (or --resume)");
            if (steps == null || steps < 1) throw new ParameterException(spec.commandLine(), "--steps: expected at least 1, got " + steps);
            if (batch < 1) throw new ParameterException(spec.commandLine(), "--batch: expected at least 1, got " + batch);
            if (Files.exists(out.resolve(RUN_JSON))) {
                throw new ParameterException(spec.commandLine(), "--out: '" + out + "' already holds a run (use --resume, or another directory)");
            }
            t = parse("--task", () -> Tasks.parse(task));
            String[] h = heads.split(":");
            int hq = parse("--heads", () -> Integer.parseInt(h[0].trim())), hkv = h.length > 1 ? parse("--heads", () -> Integer.parseInt(h[1].trim())) : hq;
            if (h.length > 2) throw new ParameterException(spec.commandLine(), "--heads: expected H or H:HKV, got '" + heads + "'");
            DecoderLM.Config config = parse("--layers/--d-model/--heads/--attention", () -> new DecoderLM.Config(t.vocabSize(), dModel, layers, hq, hkv,
                    4 * dModel, t.seqLength(), rope, true, false, false, attention, seed));
            Trainer.Options options = parse("--lr/--warmup/--weight-decay", () -> new Trainer.Options(lr, lr / 10, warmup != null ? warmup : Math.max(1, steps / 10),
                    steps, weightDecay, 1.0, 0f));
            trainer = new Trainer(new DecoderLM(config), options);
            Files.createDirectories(out);
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("task", task);
            run.put("batch", batch);
            atomicWrite(out.resolve(RUN_JSON), Json.write(run));
            atomicWrite(out.resolve(TRAIN_CSV), "step,seconds,loss,lr,grad_norm,tokens_per_second,peak_heap_bytes\n");
            atomicWrite(out.resolve(EVAL_CSV), "step,seconds,token_accuracy,example_accuracy\n");
        }
        long total = trainer.options().totalSteps();
        if (trainer.step() >= total) {
            stdout.printf(Locale.ROOT, "the run in %s is complete (%d of %d steps)%n", out, trainer.step(), total);
            return 0;
        }
        double clock = lastSeconds(out);
        boolean bar = System.console() != null && System.console().isTerminal();
        long every = evalEvery > 0 ? evalEvery : total;
        try (ProgressBar pb = bar ? new ProgressBarBuilder().setTaskName("train").setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err, 110)).startsFrom(trainer.step(), java.time.Duration.ZERO).build() : null) {
            long report = Math.max(1, total / 20);
            while (trainer.step() < total) {
                Trainer.StepResult r = trainer.step(TaskTraining.trainerBatch(t.trainBatch(trainer.step(), batch)));
                clock += r.seconds();
                append(out.resolve(TRAIN_CSV), String.format(Locale.ROOT, "%d,%.4f,%.6f,%.6g,%.6g,%.1f,%d%n", r.step(), clock, r.loss(), r.lr(),
                        r.gradNorm(), r.tokensPerSecond(), r.peakHeapBytes()));
                String line = String.format(Locale.ROOT, "loss %.4f, %.0f tokens/s", r.loss(), r.tokensPerSecond());
                if (pb != null) {
                    pb.stepTo(r.step());
                    pb.setExtraMessage(line);
                } else if (r.step() % report == 0 || r.step() == total) {
                    stderr.printf(Locale.ROOT, "step %d/%d: %s%n", r.step(), total, line);
                    stderr.flush();
                }
                if (r.step() % every == 0 || r.step() == total) {
                    Accuracy acc = TaskTraining.evaluate(trainer.model(), t, evalExamples, Math.min(batch, evalExamples));
                    append(out.resolve(EVAL_CSV), String.format(Locale.ROOT, "%d,%.4f,%.6f,%.6f%n", r.step(), clock, acc.tokens(), acc.examples()));
                    Checkpoint.save(out, trainer);
                    String msg = String.format(Locale.ROOT, "step %d: test accuracy %.2f%% of answer tokens, %.2f%% of examples", r.step(),
                            100 * acc.tokens(), 100 * acc.examples());
                    if (pb != null) pb.setExtraMessage(msg);
                    stderr.println(msg);
                    stderr.flush();
                    charts(out, t.name());
                }
            }
        }
        stdout.printf(Locale.ROOT, "trained %s for %d steps in %.1f s; checkpoints, %s, %s and loss.png in %s%n", t.name(), total, clock,
                TRAIN_CSV, EVAL_CSV, out);
        return 0;
    }

    private <T> T parse(String option, java.util.function.Supplier<T> body) {
        try {
            return body.get();
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> readRun(Path dir) throws IOException {
        Path p = dir.resolve(RUN_JSON);
        Object root = Json.parse(Files.readString(p, StandardCharsets.UTF_8), p.toString(), "run");
        if (!(root instanceof Map<?, ?> m) || !(m.get("task") instanceof String) || !(m.get("batch") instanceof Long)) {
            throw new IllegalArgumentException(p + ": expected an object with a string 'task' and an integer 'batch'");
        }
        return (Map<String, Object>) m;
    }

    /** The wall-clock seconds the run has trained so far (the last row of train.csv), 0 for a new run. */
    private static double lastSeconds(Path dir) throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve(TRAIN_CSV), StandardCharsets.UTF_8);
        if (lines.size() < 2) return 0;
        return Double.parseDouble(lines.getLast().split(",")[1]);
    }

    /** The loss against step and against wall time, from train.csv. */
    private static void charts(Path dir, String task) throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve(TRAIN_CSV), StandardCharsets.UTF_8);
        List<double[]> rows = new ArrayList<>();
        for (String l : lines.subList(1, lines.size())) {
            String[] f = l.split(",");
            rows.add(new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])});
        }
        if (rows.size() < 2) return;
        double[] step = rows.stream().mapToDouble(r -> r[0]).toArray(), secs = rows.stream().mapToDouble(r -> r[1]).toArray();
        double[] loss = rows.stream().mapToDouble(r -> r[2]).toArray();
        Charts.lossAgainstStep(dir.resolve("loss.png"), "Training loss, " + task, List.of(new Charts.Curve("Attend", step, loss)));
        Charts.lossAgainstTime(dir.resolve("loss-time.png"), "Training loss against time, " + task, List.of(new Charts.Curve("Attend", secs, loss)));
    }

    private static void truncateAfter(Path csv, long step) throws IOException {
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder(lines.getFirst()).append('\n');
        for (String l : lines.subList(1, lines.size())) if (Long.parseLong(l.split(",")[0]) <= step) b.append(l).append('\n');
        atomicWrite(csv, b.toString());
    }

    private static void append(Path p, String line) throws IOException {
        Files.writeString(p, line, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
    }

    private static void atomicWrite(Path p, String text) throws IOException {
        OutputFiles.writeAll(Map.of(p, to -> Files.writeString(to, text, StandardCharsets.UTF_8)));
    }
}
