package dev.attend.cli;

import dev.attend.cli.train.Charts;
import dev.attend.nn.layers.DecoderLM;
import dev.attend.nn.tasks.Accuracy;
import dev.attend.nn.tasks.DepthLengthGrid;
import dev.attend.nn.tasks.Mqar;
import dev.attend.nn.tasks.Niah;
import dev.attend.nn.tasks.Task;
import dev.attend.nn.tasks.Tasks;
import dev.attend.nn.tasks.TextTask;
import dev.attend.nn.train.Checkpoint;
import dev.attend.nn.train.TaskTraining;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code attend eval}: the test accuracy of a trained model (a run directory of {@code attend train}) on its task or
 * another one: per answer token, per example, and per tag (for NIAH, the needle depth); for a text corpus the
 * validation perplexity beside a smoothed bigram's. With {@code --lengths} on a
 * NIAH task it also measures each depth at each length (lengths beyond training test extrapolation) and draws the
 * depth x length heat map.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Test accuracy of a model trained by 'attend train' (by needle depth for NIAH), optionally a depth x length",
            "heat map as PNG."})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", required = true, description = "The run directory of 'attend train'.")
    Path model;

    @Option(names = "--task", paramLabel = "SPEC", description = "The task (default: the one the model was trained on).")
    String task;

    @Option(names = "--examples", paramLabel = "N", defaultValue = "512", description = "Test examples (default: ${DEFAULT-VALUE}).")
    int examples;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "32", description = "Examples per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lengths", paramLabel = "L1,L2,..", split = ",", description = "NIAH only: sequence lengths of the depth x length grid.")
    int[] lengths;

    @Option(names = "--png", paramLabel = "FILE", description = "NIAH with --lengths: the heat map's file (default: DIR/niah-depth-length.png).")
    Path png;

    @Option(names = "--compare", paramLabel = "NAME=EVAL_CSV", description = {"Draw this run's test accuracy against training time beside another run's",
        "(an eval.csv of attend train, or of bench/torch/train_mqar.py) in DIR/accuracy-compare.png; repeatable."})
    Map<String, Path> compare;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        if (!Files.isDirectory(model)) throw new ParameterException(spec.commandLine(), "--model: '" + model + "' is not a run directory");
        if (examples < 1 || batch < 1) throw new ParameterException(spec.commandLine(), "--examples, --batch: expected at least 1");
        Map<String, Object> run = TrainCommand.readRun(model);
        String taskSpec = task != null ? task : (String) run.get("task");
        Task t;
        try {
            t = Tasks.parse(taskSpec);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--task: " + e.getMessage());
        }
        DecoderLM m = Checkpoint.load(model).model();
        TaskTraining.Evaluation ev = TaskTraining.evaluate(m, t, examples, batch);
        Accuracy acc = ev.accuracy();
        if (t instanceof TextTask text) {
            stdout.printf(Locale.ROOT, "%s: validation perplexity %.3f over %d tokens (%d windows); smoothed bigram baseline %.3f; next-token accuracy %.2f%%%n",
                    taskSpec, ev.perplexity(), acc.answerCount(), ev.examples(), text.bigramPerplexity(ev.examples()), 100 * acc.tokens());
        } else {
            stdout.printf(Locale.ROOT, "%s: %.2f%% of %d answer tokens, %.2f%% of %d examples right; cross-entropy %.4f nats%n", taskSpec,
                    100 * acc.tokens(), acc.answerCount(), 100 * acc.examples(), ev.examples(), ev.crossEntropy());
        }
        if (t instanceof Niah || acc.byTag().size() > 1) {
            String label = t instanceof Niah ? "depth %d%%" : "tag %d";
            acc.byTag().forEach((tag, a) -> stdout.printf(Locale.ROOT, "  " + label + ": %.2f%%%n", tag, 100 * a));
            Path file = model.resolve("eval-by-" + (t instanceof Niah ? "depth" : "tag") + ".png");
            String what = t instanceof Niah ? "needle depth" : t instanceof Mqar ? "distance from the key to its query" : "tag";
            Charts.accuracyByTag(file, t.name() + ": test accuracy by " + what + " (" + ev.examples() + " examples)",
                    t instanceof Niah ? "needle depth (%)" : t instanceof Mqar ? what + " (tokens)" : what,
                    acc.byTag().keySet().stream().mapToDouble(Integer::doubleValue).toArray(),
                    acc.byTag().values().stream().mapToDouble(Double::doubleValue).toArray());
            stdout.println("wrote " + file);
        }
        if (compare != null) {
            List<Charts.Curve> curves = new ArrayList<>(List.of(TrainCommand.accuracyCurve("Attend", model.resolve(TrainCommand.EVAL_CSV))));
            for (var e : compare.entrySet()) curves.add(TrainCommand.accuracyCurve(e.getKey(), e.getValue()));
            Path file = model.resolve("accuracy-compare.png");
            Charts.accuracyAgainstTime(file, "Test accuracy against training time, " + taskSpec, curves);
            stdout.println("wrote " + file);
        }
        if (lengths != null) {
            if (!(t instanceof Niah niah)) throw new ParameterException(spec.commandLine(), "--lengths: only for a niah task, got " + t.name());
            for (int l : lengths) {
                if (l > m.config().maxLen() && !m.config().rope()) {
                    throw new ParameterException(spec.commandLine(), "--lengths: " + l + " is beyond the model's " + m.config().maxLen()
                            + " positions (learned position tables do not extrapolate; train with --rope)");
                }
            }
            int[] depths = niah.depths();
            DepthLengthGrid grid = DepthLengthGrid.measure("NIAH accuracy by needle depth and length", niah, depths, lengths,
                    cell -> TaskTraining.evaluate(m, cell, Math.max(1, examples / depths.length), batch).accuracy().tokens());
            Path file = png != null ? png : model.resolve("niah-depth-length.png");
            Charts.depthLengthHeatMap(file, grid.title(), grid.depths(), grid.lengths(), grid.accuracy());
            stdout.println("wrote " + file);
        }
        return 0;
    }
}
