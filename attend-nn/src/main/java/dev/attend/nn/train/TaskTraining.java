package dev.attend.nn.train;

import dev.attend.nn.autograd.Var;
import dev.attend.nn.layers.DecoderLM;
import dev.attend.nn.tasks.Accuracy;
import dev.attend.nn.tasks.Batch;
import dev.attend.nn.tasks.Split;
import dev.attend.nn.tasks.Task;

import java.util.Arrays;

/**
 * Training and evaluation on a synthetic {@link Task}: a task's batch as the {@link Trainer}'s, with the head computed
 * at the answer positions only (the loss counts nothing else, and the head over a large vocabulary is most of a
 * step otherwise), and the accuracy of a model over a task's test split (per answer token, per example and per tag,
 * e.g. per needle depth), with the cross-entropy of the answers (a text task's perplexity).
 */
public final class TaskTraining {
    private TaskTraining() {}

    /** The trainer's batch of a task's batch: tokens as they are, rows and targets at the answers only. */
    public static Trainer.Batch trainerBatch(Batch b) {
        int[] rows = answerRows(b);
        int[] targets = new int[rows.length];
        for (int r = 0; r < rows.length; r++) targets[r] = b.targets()[rows[r]];
        return new Trainer.Batch(b.inputs(), b.size(), b.length(), rows, targets);
    }

    /**
     * What an evaluation measured: the accuracy, and the mean cross-entropy (nats) of the answer tokens, whose
     * exponential is the perplexity (for a text task, the validation perplexity per token).
     */
    public record Evaluation(Accuracy accuracy, double crossEntropy, long examples) {
        public double perplexity() {
            return Math.exp(crossEntropy);
        }
    }

    /**
     * Evaluates {@code model} on test examples {@code [0, min(examples, task.testSize()))} of {@code task}, in
     * batches of {@code batchSize}, with no graph recorded.
     */
    public static Evaluation evaluate(DecoderLM model, Task task, int examples, int batchSize) {
        if (examples < 1 || batchSize < 1) {
            throw new IllegalArgumentException("examples, batchSize: expected >= 1, got " + examples + " and " + batchSize);
        }
        if (task.vocabSize() > model.config().vocab() || task.seqLength() > model.config().maxLen() && !model.config().rope()) {
            throw new IllegalArgumentException("task: " + task.name() + " needs vocab " + task.vocabSize() + " and length "
                    + task.seqLength() + ", the model has vocab " + model.config().vocab() + " and maxLen " + model.config().maxLen());
        }
        int n = (int) Math.min(examples, task.testSize());
        Accuracy acc = new Accuracy();
        int vocab = model.config().vocab();
        double nll = 0;
        long answers = 0;
        for (int first = 0; first < n; first += batchSize) {
            Batch b = task.batch(Split.TEST, first, Math.min(batchSize, n - first));
            int[] rows = answerRows(b);
            int[] predictions = new int[b.targets().length];
            Arrays.fill(predictions, -1);
            float[] logits;
            try (AutoCloseable s = Var.noGrad()) {
                logits = model.logitsAt(b.inputs(), b.size(), b.length(), rows).data();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            int[] best = Accuracy.argmax(logits, vocab);
            for (int r = 0; r < rows.length; r++) {
                predictions[rows[r]] = best[r];
                nll += logSumExp(logits, r * vocab, vocab) - logits[r * vocab + b.targets()[rows[r]]];
            }
            answers += rows.length;
            acc.add(b, predictions);
        }
        return new Evaluation(acc, nll / answers, n);
    }

    private static double logSumExp(float[] x, int from, int n) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = from; i < from + n; i++) max = Math.max(max, x[i]);
        for (int i = from; i < from + n; i++) sum += Math.exp(x[i] - max);
        return max + Math.log(sum);
    }

    private static int[] answerRows(Batch b) {
        int n = 0;
        for (int t : b.targets()) if (t != Task.IGNORE) n++;
        if (n == 0) throw new IllegalArgumentException("batch: no answer positions (every target is IGNORE)");
        int[] rows = new int[n];
        for (int i = 0, r = 0; i < b.targets().length; i++) if (b.targets()[i] != Task.IGNORE) rows[r++] = i;
        return rows;
    }
}
