package dev.attend.nn.train;

import dev.attend.nn.autograd.Shapes;
import dev.attend.nn.autograd.Var;
import dev.attend.nn.layers.DecoderLM;
import dev.attend.nn.layers.Dropout;
import dev.attend.nn.optim.AdamW;
import dev.attend.nn.optim.Losses;
import dev.attend.nn.optim.Schedules;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/**
 * The training loop of a {@link DecoderLM}: per step, the forward pass (the head at every position or only at a
 * batch's chosen rows), cross-entropy (ignore index {@value #IGNORE}), backward, clipping by global norm, AdamW at
 * the warm-up + cosine learning rate of the step. The forward pass runs in training mode (the model's dropout, its
 * masks seeded by the run seed and the step); evaluation and {@link #accuracy} run in inference mode. It reports
 * the loss, tokens/s and the peak heap of the step.
 *
 * <p>A non-finite loss or gradient norm stops the step before any parameter changes, with an
 * IllegalStateException naming the step; {@link Checkpoint#save} then refuses to write. Everything a step does
 * depends only on the parameters, the optimiser state, the step number and the batch, so a run resumed from a
 * {@link Checkpoint} continues bit for bit (same thread count).
 */
public final class Trainer {
    /** The target that contributes no loss. */
    public static final int IGNORE = dev.attend.nn.tasks.Task.IGNORE;

    /**
     * Hyperparameters. {@code clipNorm} 0 turns clipping off.
     */
    public record Options(float lr, float minLr, long warmup, long totalSteps, float weightDecay, double clipNorm, float labelSmoothing) {
        public Options {
            if (!(lr > 0f) || Float.isInfinite(lr)) throw new IllegalArgumentException("lr: expected a finite value > 0, got " + lr);
            if (!(minLr >= 0f && minLr <= lr)) throw new IllegalArgumentException("minLr: expected 0 <= minLr <= lr " + lr + ", got " + minLr);
            if (warmup < 0 || totalSteps < Math.max(1, warmup)) {
                throw new IllegalArgumentException("totalSteps: expected >= max(1, warmup " + warmup + "), got " + totalSteps);
            }
            if (!(weightDecay >= 0f)) throw new IllegalArgumentException("weightDecay: expected >= 0, got " + weightDecay);
            if (!(clipNorm >= 0)) throw new IllegalArgumentException("clipNorm: expected >= 0, got " + clipNorm);
        }
    }

    /**
     * One batch: {@code tokens [batch, len]} row-major; {@code rows} the flat positions ({@code b * len + t}) whose
     * logits the loss uses, or null for every position; {@code targets} one per used position ({@link #IGNORE} to skip).
     */
    public record Batch(int[] tokens, int batch, int len, int[] rows, int[] targets) {
        public Batch {
            if ((long) batch * len != tokens.length) throw new IllegalArgumentException("tokens: expected " + batch + " x " + len + " ids, got " + tokens.length);
            int used = rows == null ? tokens.length : rows.length;
            if (targets.length != used) throw new IllegalArgumentException("targets: expected " + used + " (one per used position), got " + targets.length);
        }
    }

    /** What one step did. {@code peakHeapBytes}: the heap's high-water mark during the step (all pools). */
    public record StepResult(long step, float loss, float lr, double gradNorm, double seconds, double tokensPerSecond, long peakHeapBytes) {}

    private final DecoderLM model;
    private final Options options;
    private final AdamW optimizer;
    private long step;
    private float lastLoss = Float.NaN;

    public Trainer(DecoderLM model, Options options) {
        this.model = model;
        this.options = options;
        this.optimizer = AdamW.of(model.parameters(), options.weightDecay());
    }

    public DecoderLM model() { return model; }
    public Options options() { return options; }
    public AdamW optimizer() { return optimizer; }
    public long step() { return step; }
    /** The loss of the last completed step (NaN before the first, and after a refused one). */
    public float lastLoss() { return lastLoss; }

    void restore(long step, float lastLoss) {
        this.step = step;
        this.lastLoss = lastLoss;
    }

    public StepResult step(Batch b) {
        for (MemoryPoolMXBean p : heapPools()) p.resetPeakUsage();
        long t0 = System.nanoTime();
        Var loss;
        model.train(Dropout.stepSeed(model.config().seed(), step));
        try {
            loss = loss(b);
        } finally {
            model.eval();
        }
        float l = loss.item();
        if (!Float.isFinite(l)) {
            lastLoss = l;
            throw new IllegalStateException("loss is " + l + " at step " + step + ": training stopped before updating, no checkpoint is written");
        }
        loss.backward();
        var params = model.parameters().values();
        double norm = options.clipNorm() > 0 ? Schedules.clipGradNorm(params, options.clipNorm()) : Double.NaN;
        if (options.clipNorm() > 0 && !Double.isFinite(norm)) {
            lastLoss = Float.NaN;
            for (Var p : params) p.zeroGrad();
            throw new IllegalStateException("gradient norm is " + norm + " at step " + step + ": training stopped before updating, no checkpoint is written");
        }
        float lr = Schedules.warmupCosine(step, options.warmup(), options.totalSteps(), options.lr(), options.minLr());
        optimizer.step(lr);
        step++;
        lastLoss = l;
        double s = (System.nanoTime() - t0) * 1e-9;
        long peak = 0;
        for (MemoryPoolMXBean p : heapPools()) peak += p.getPeakUsage().getUsed();
        return new StepResult(step, l, lr, norm, s, b.tokens().length / s, peak);
    }

    /** The mean cross-entropy of a batch (a graph node: call backward on it, or use it under noGrad). */
    public Var loss(Batch b) {
        Var logits = b.rows() == null
                ? Shapes.reshape(model.logits(b.tokens(), b.batch(), b.len()), (long) b.tokens().length, model.config().vocab())
                : model.logitsAt(b.tokens(), b.batch(), b.len(), b.rows());
        return Losses.crossEntropy(logits, b.targets(), IGNORE, options.labelSmoothing());
    }

    /** The fraction of the batch's non-ignored targets that the model's argmax predicts (no graph is recorded). */
    public double accuracy(Batch b) {
        float[] logits;
        try (AutoCloseable s = Var.noGrad()) {
            logits = (b.rows() == null ? model.logits(b.tokens(), b.batch(), b.len()) : model.logitsAt(b.tokens(), b.batch(), b.len(), b.rows())).data();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        int[] best = dev.attend.nn.tasks.Accuracy.argmax(logits, model.config().vocab());
        int right = 0, counted = 0;
        for (int r = 0; r < b.targets().length; r++) {
            if (b.targets()[r] == IGNORE) continue;
            counted++;
            if (best[r] == b.targets()[r]) right++;
        }
        return counted == 0 ? Double.NaN : (double) right / counted;
    }

    private static MemoryPoolMXBean[] heapPools() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toArray(MemoryPoolMXBean[]::new);
    }

    @Override
    public String toString() {
        return "Trainer(step " + step + ", " + options + ", params " + model.parameterCount() + ")";
    }
}
