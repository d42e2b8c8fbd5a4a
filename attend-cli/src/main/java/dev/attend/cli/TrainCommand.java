package dev.attend.cli;

import dev.attend.cli.train.Charts;
import dev.attend.nn.layers.DecoderLM;
import dev.attend.nn.tasks.Accuracy;
import dev.attend.nn.tasks.Task;
import dev.attend.nn.tasks.Tasks;
import dev.attend.nn.tasks.TextTask;
import dev.attend.nn.train.Checkpoint;
import dev.attend.nn.train.TaskTraining;
import dev.attend.nn.train.Trainer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code attend train}: trains a decoder-only LM on a task ({@link Tasks}: a synthetic one, or a text corpus) with
 * AdamW and a warm-up + cosine schedule, the head at the answer positions only. The run directory holds the
 * checkpoints ({@link Checkpoint}: resumable bit for bit), {@code run.yaml} (every setting of the run, so
 * {@code --resume} and {@code attend eval} need no repetition, and {@code --config run.yaml} repeats the run),
 * {@code train.csv} (a row per step), {@code eval.csv}, the loss-curve PNGs and, for text, {@code tokenizer.json}.
 * A NaN or infinite loss stops the run before the update, and no checkpoint is written for it.
 *
 * <p>Settings come from the command line, then from {@code --config FILE} (YAML, the options' long names as keys:
 * {@code d-model: 128}); a setting given on the command line wins over the file.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a decoder-only LM on a task (" + Tasks.NAMES + ") and write checkpoints, a loss curve",
            "and test accuracy (perplexity for text) to a run directory. Settings may come from a YAML file (--config)."})
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

    @Option(names = "--dropout", paramLabel = "P", defaultValue = "0", description = "Dropout probability on the embeddings and each block's attention and MLP outputs (default: ${DEFAULT-VALUE}).")
    float dropout;

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

    @Option(names = "--config", paramLabel = "FILE", description = "A YAML file of settings, keyed by the options' long names (the command line wins).")
    Path config;

    static final String RUN_YAML = "run.yaml", TRAIN_CSV = "train.csv", EVAL_CSV = "eval.csv", TOKENIZER = "tokenizer.json";
    /** Options that are not settings of a run (and so neither in run.yaml nor in a --config file). */
    private static final Set<String> NOT_SETTINGS = Set.of("--out", "--resume", "--config", "--help", "--version", "--verbose");

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut(), stderr = spec.commandLine().getErr();
        Trainer trainer;
        Task t;
        if (resume) {
            if (config != null) throw new ParameterException(spec.commandLine(), "--config: not with --resume (a run's settings are its " + RUN_YAML + ")");
            if (!Files.isRegularFile(out.resolve(RUN_YAML))) {
                throw new ParameterException(spec.commandLine(), "--resume: no run in '" + out + "' (missing " + RUN_YAML + ")");
            }
            Map<String, Object> run = readRun(out);
            if (task != null && !task.equals(run.get("task"))) {
                throw new ParameterException(spec.commandLine(), "--task: the run in '" + out + "' trains " + run.get("task") + ", got " + task);
            }
            if (steps != null && !steps.equals(((Number) run.get("steps")).longValue())) {
                throw new ParameterException(spec.commandLine(), "--steps: the run in '" + out + "' has " + run.get("steps")
                        + " steps, got " + steps + " (a longer run would change its learning-rate schedule)");
            }
            applySettings(run, out.resolve(RUN_YAML));
            t = parse("--task", () -> Tasks.parse(task));
            trainer = Checkpoint.load(out);
            // Rows written after the checkpoint (a run stopped between two) are trained again: drop them.
            truncateAfter(out.resolve(TRAIN_CSV), trainer.step());
            truncateAfter(out.resolve(EVAL_CSV), trainer.step());
        } else {
            if (config != null) applySettings(readYaml(config, "--config"), config);
            if (task == null) throw new ParameterException(spec.commandLine(), "--task: expected a task spec, e.g. mqar:seq=128 (or --resume)");
            if (steps == null || steps < 1) throw new ParameterException(spec.commandLine(), "--steps: expected at least 1, got " + steps);
            if (batch < 1) throw new ParameterException(spec.commandLine(), "--batch: expected at least 1, got " + batch);
            if (Files.exists(out.resolve(RUN_YAML))) {
                throw new ParameterException(spec.commandLine(), "--out: '" + out + "' already holds a run (use --resume, or another directory)");
            }
            t = parse("--task", () -> Tasks.parse(task));
            String[] h = heads.split(":");
            int hq = parse("--heads", () -> Integer.parseInt(h[0].trim())), hkv = h.length > 1 ? parse("--heads", () -> Integer.parseInt(h[1].trim())) : hq;
            if (h.length > 2) throw new ParameterException(spec.commandLine(), "--heads: expected H or H:HKV, got '" + heads + "'");
            DecoderLM.Config config = parse("--layers/--d-model/--heads/--attention/--dropout", () -> new DecoderLM.Config(t.vocabSize(), dModel, layers, hq, hkv,
                    4 * dModel, t.seqLength(), rope, true, false, false, attention, seed, dropout));
            if (warmup == null) warmup = Math.max(1, steps / 10);
            Trainer.Options options = parse("--lr/--warmup/--weight-decay", () -> new Trainer.Options(lr, lr / 10, warmup, steps, weightDecay, 1.0, 0f));
            trainer = new Trainer(new DecoderLM(config), options);
            Files.createDirectories(out);
            if (t instanceof TextTask text) atomicWrite(out.resolve(TOKENIZER), text.tokenizer().toJson());
            atomicWrite(out.resolve(RUN_YAML), settingsYaml());
            atomicWrite(out.resolve(TRAIN_CSV), "step,seconds,loss,lr,grad_norm,tokens_per_second,peak_heap_bytes\n");
            atomicWrite(out.resolve(EVAL_CSV), "step,seconds,token_accuracy,example_accuracy,cross_entropy,perplexity\n");
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
                    TaskTraining.Evaluation ev = TaskTraining.evaluate(trainer.model(), t, evalExamples, Math.min(batch, evalExamples));
                    Accuracy acc = ev.accuracy();
                    append(out.resolve(EVAL_CSV), String.format(Locale.ROOT, "%d,%.4f,%.6f,%.6f,%.6f,%.4f%n", r.step(), clock, acc.tokens(), acc.examples(),
                            ev.crossEntropy(), ev.perplexity()));
                    Checkpoint.save(out, trainer);
                    String msg = t instanceof TextTask
                            ? String.format(Locale.ROOT, "step %d: validation perplexity %.2f, next-token accuracy %.2f%%", r.step(), ev.perplexity(), 100 * acc.tokens())
                            : String.format(Locale.ROOT, "step %d: test accuracy %.2f%% of answer tokens, %.2f%% of examples", r.step(),
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

    /** The settings of the run in {@code dir} (its run.yaml), with a string 'task' and an integer 'batch' and 'steps'. */
    static Map<String, Object> readRun(Path dir) throws IOException {
        Path p = dir.resolve(RUN_YAML);
        Map<String, Object> m = readYaml(p, p.toString());
        if (!(m.get("task") instanceof String) || !(m.get("batch") instanceof Integer) || !(m.get("steps") instanceof Number)) {
            throw new IllegalArgumentException(p + ": expected a string 'task' and integers 'batch' and 'steps'");
        }
        return m;
    }

    /** A YAML mapping of settings; anything else is refused naming the file. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> readYaml(Path file, String what) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + ": no such file: " + file);
        }
        Object root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (YAMLException e) {
            throw new IllegalArgumentException(what + ": '" + file + "' is not valid YAML: " + e.getMessage());
        }
        if (root == null) return new LinkedHashMap<>();
        if (!(root instanceof Map<?, ?> m)) throw new IllegalArgumentException(what + ": '" + file + "' must hold a mapping of settings, got a " + root.getClass().getSimpleName());
        for (Object k : m.keySet()) {
            if (!(k instanceof String)) throw new IllegalArgumentException(what + ": '" + file + "': setting names must be strings, got " + k);
        }
        return (Map<String, Object>) m;
    }

    /**
     * Sets every option named in {@code settings} that the command line did not give, converting the values as the
     * command line would (picocli parses them as arguments), so a file's bad value is named like a bad argument.
     */
    private void applySettings(Map<String, Object> settings, Path file) {
        List<String> args = new ArrayList<>(List.of("--out", String.valueOf(out)));  // the one required option
        List<String> names = new ArrayList<>();
        for (var e : settings.entrySet()) {
            String name = "--" + e.getKey();
            OptionSpec o = spec.findOption(name);
            if (o == null || NOT_SETTINGS.contains(o.longestName())) {
                throw new ParameterException(spec.commandLine(), "--config: '" + file + "': unknown setting '" + e.getKey() + "', expected one of "
                        + String.join(", ", settingNames()));
            }
            if (spec.commandLine().getParseResult().hasMatchedOption(o) || e.getValue() == null) continue;
            names.add(name);
            if (o.typeInfo().isBoolean()) {
                if (!(e.getValue() instanceof Boolean b)) {
                    throw new ParameterException(spec.commandLine(), "--config: '" + file + "': " + e.getKey() + " must be true or false, got " + e.getValue());
                }
                if (b) args.add(name);
            } else {
                args.add(name);
                args.add(String.valueOf(e.getValue()));
            }
        }
        CommandLine parsed = new CommandLine(new TrainCommand());
        try {
            parsed.parseArgs(args.toArray(String[]::new));
        } catch (ParameterException e) {
            throw new ParameterException(spec.commandLine(), "--config: '" + file + "': " + e.getMessage());
        }
        for (String n : names) spec.findOption(n).setValue(parsed.getCommandSpec().findOption(n).getValue());
    }

    private List<String> settingNames() {
        return spec.options().stream().map(OptionSpec::longestName).filter(n -> !NOT_SETTINGS.contains(n)).map(n -> n.substring(2)).toList();
    }

    /** Every setting of this run as YAML, in the options' order (what --config reads back). */
    private String settingsYaml() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            if (NOT_SETTINGS.contains(o.longestName()) || o.getValue() == null) continue;
            Object v = o.getValue();
            // A float as its shortest decimal (0.1, not 0.10000000149011612), which reads back to the same float.
            m.put(o.longestName().substring(2), v instanceof Float f ? (Object) Double.parseDouble(Float.toString(f)) : v instanceof Path p ? p.toString() : v);
        }
        DumperOptions d = new DumperOptions();
        d.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return "# attend train: the settings of this run (attend train --config run.yaml --out DIR repeats it)\n" + new Yaml(d).dump(m);
    }

    /** The wall-clock seconds the run has trained so far (the last row of train.csv), 0 for a new run. */
    private static double lastSeconds(Path dir) throws IOException {
        List<double[]> rows = readCsv(dir.resolve(TRAIN_CSV), "seconds");
        return rows.isEmpty() ? 0 : rows.getLast()[0];
    }

    /** The loss against step and against training time (train.csv), and test accuracy against training time (eval.csv). */
    private static void charts(Path dir, String task) throws IOException {
        List<double[]> rows = readCsv(dir.resolve(TRAIN_CSV), "step", "seconds", "loss");
        if (rows.size() < 2) return;
        double[] step = column(rows, 0), secs = column(rows, 1), loss = column(rows, 2);
        Charts.lossAgainstStep(dir.resolve("loss.png"), "Training loss, " + task, List.of(new Charts.Curve("Attend", step, loss)));
        Charts.lossAgainstTime(dir.resolve("loss-time.png"), "Training loss against time, " + task, List.of(new Charts.Curve("Attend", secs, loss)));
        Charts.Curve accuracy = accuracyCurve("Attend", dir.resolve(EVAL_CSV));
        if (accuracy.x().length > 0) {
            Charts.accuracyAgainstTime(dir.resolve("accuracy-time.png"), "Test accuracy against training time, " + task, List.of(accuracy));
        }
    }

    /** Test accuracy against training time from an eval.csv (attend train's, or bench/torch's in the same columns). */
    static Charts.Curve accuracyCurve(String name, Path evalCsv) throws IOException {
        List<double[]> rows = readCsv(evalCsv, "seconds", "token_accuracy");
        return new Charts.Curve(name, column(rows, 0), column(rows, 1));
    }

    /** The named columns of a CSV with a header row, as numbers; a missing column is refused naming the file. */
    static List<double[]> readCsv(Path csv, String... columns) throws IOException {
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        if (lines.isEmpty()) throw new IllegalArgumentException(csv + ": empty, expected a header row with " + String.join(", ", columns));
        List<String> header = List.of(lines.getFirst().split(","));
        int[] at = new int[columns.length];
        for (int c = 0; c < columns.length; c++) {
            at[c] = header.indexOf(columns[c]);
            if (at[c] < 0) throw new IllegalArgumentException(csv + ": no column '" + columns[c] + "' in its header " + header);
        }
        List<double[]> rows = new ArrayList<>();
        for (String l : lines.subList(1, lines.size())) {
            if (l.isBlank()) continue;
            String[] f = l.split(",");
            double[] r = new double[columns.length];
            for (int c = 0; c < columns.length; c++) {
                try {
                    r[c] = Double.parseDouble(f[at[c]]);
                } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                    throw new IllegalArgumentException(csv + ": row " + (rows.size() + 1) + ": expected a number in column '" + columns[c] + "', got '" + l + "'");
                }
            }
            rows.add(r);
        }
        return rows;
    }

    private static double[] column(List<double[]> rows, int c) {
        return rows.stream().mapToDouble(r -> r[c]).toArray();
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
