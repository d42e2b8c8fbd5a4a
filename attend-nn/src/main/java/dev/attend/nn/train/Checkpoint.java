package dev.attend.nn.train;

import dev.attend.nn.autograd.Var;
import dev.attend.nn.layers.DecoderLM;
import dev.attend.tensor.Json;
import dev.attend.tensor.Safetensors;
import dev.attend.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Training checkpoints: under a run directory, one directory per saved step, {@code step-00000042/} with
 * {@code model.safetensors} (the parameters under their names), {@code optimizer.safetensors} (AdamW's moments
 * {@code m.<name>}, {@code v.<name>} and its step count) and {@code config.json} (the model config, the
 * hyperparameters, the step and the last loss), plus a {@code latest} file naming the newest one.
 *
 * <p>Writes are atomic: the step directory is written under a temporary name and renamed into place, then
 * {@code latest} is replaced by a rename, so a crash leaves the previous checkpoint intact and never a half one. A
 * trainer whose last loss (or any parameter) is not finite is refused before anything is written.
 */
public final class Checkpoint {
    private Checkpoint() {}

    public static Path save(Path runDir, Trainer t) throws IOException {
        if (!Float.isFinite(t.lastLoss())) {
            throw new IllegalStateException("checkpoint: the last loss is " + t.lastLoss() + " at step " + t.step() + "; refusing to write a checkpoint");
        }
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (var e : t.model().parameters().entrySet()) {
            Var p = e.getValue();
            if (p.value().firstNonFinite() != null) {
                throw new IllegalStateException("checkpoint: parameter '" + e.getKey() + "' holds a NaN or infinity at step " + t.step() + "; refusing to write");
            }
            weights.put(e.getKey(), p.value());
        }
        Files.createDirectories(runDir);
        String name = String.format("step-%08d", t.step());
        Path tmp = Files.createTempDirectory(runDir, "." + name + ".tmp");
        try {
            Safetensors.write(tmp.resolve("model.safetensors"), weights);
            Safetensors.write(tmp.resolve("optimizer.safetensors"), t.optimizer().state());
            Map<String, Object> cfg = new LinkedHashMap<>();
            cfg.put("format", "attend-nn checkpoint 1");
            cfg.put("step", t.step());
            cfg.put("lastLoss", t.lastLoss());
            cfg.put("model", t.model().config().toMap());
            Trainer.Options o = t.options();
            Map<String, Object> opt = new LinkedHashMap<>();
            opt.put("optimizer", "adamw");
            opt.put("lr", o.lr());
            opt.put("minLr", o.minLr());
            opt.put("warmup", o.warmup());
            opt.put("totalSteps", o.totalSteps());
            opt.put("weightDecay", o.weightDecay());
            opt.put("clipNorm", o.clipNorm());
            opt.put("labelSmoothing", o.labelSmoothing());
            cfg.put("train", opt);
            Files.writeString(tmp.resolve("config.json"), Json.write(cfg), StandardCharsets.UTF_8);
            Path dst = runDir.resolve(name);
            if (Files.exists(dst)) deleteTree(dst);
            move(tmp, dst);
            Path latestTmp = runDir.resolve(".latest.tmp");
            Files.writeString(latestTmp, name + "\n", StandardCharsets.UTF_8);
            move(latestTmp, runDir.resolve("latest"));
            return dst;
        } finally {
            if (Files.exists(tmp)) deleteTree(tmp);
        }
    }

    /** The trainer of the newest checkpoint under {@code runDir}, ready to continue. */
    public static Trainer load(Path runDir) throws IOException {
        Path latest = runDir.resolve("latest");
        String name;
        try {
            name = Files.readString(latest, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("checkpoint: no checkpoint in " + runDir + " (missing " + latest.getFileName() + ")");
        }
        if (!name.matches("step-\\d{8}")) throw new IllegalArgumentException("checkpoint: " + latest + " names '" + name + "', expected step-NNNNNNNN");
        Path dir = runDir.resolve(name);
        Map<String, Object> cfg;
        try {
            Object root = Json.parse(Files.readString(dir.resolve("config.json"), StandardCharsets.UTF_8), dir.resolve("config.json").toString(), "config");
            if (!(root instanceof Map<?, ?>)) throw new IllegalArgumentException("config: expected a JSON object, got " + Json.typeName(root));
            @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) root;
            cfg = m;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint: " + dir.resolve("config.json") + ": " + e.getMessage(), e);
        }
        DecoderLM.Config mc = DecoderLM.Config.fromMap(object(cfg, "model", dir));
        Map<String, Object> tr = object(cfg, "train", dir);
        Trainer.Options o = new Trainer.Options(f(tr, "lr"), f(tr, "minLr"), l(tr, "warmup"), l(tr, "totalSteps"), f(tr, "weightDecay"),
                ((Number) tr.get("clipNorm")).doubleValue(), f(tr, "labelSmoothing"));
        DecoderLM model = new DecoderLM(mc);
        model.load(read(dir.resolve("model.safetensors")));
        Trainer t = new Trainer(model, o);
        t.optimizer().loadState(read(dir.resolve("optimizer.safetensors")));
        t.restore(l(cfg, "step"), f(cfg, "lastLoss"));
        return t;
    }

    private static Map<String, Tensor> read(Path p) throws IOException {
        try {
            return Safetensors.read(p);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("checkpoint: " + p + " is not a valid safetensors file: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Map<String, Object> m, String k, Path dir) {
        if (!(m.get(k) instanceof Map<?, ?> sub)) throw new IllegalArgumentException("checkpoint: " + dir.resolve("config.json") + " has no object '" + k + "'");
        return (Map<String, Object>) sub;
    }

    private static float f(Map<String, Object> m, String k) {
        if (!(m.get(k) instanceof Number n)) throw new IllegalArgumentException("checkpoint config: '" + k + "' must be a number, got " + m.get(k));
        return n.floatValue();
    }

    private static long l(Map<String, Object> m, String k) {
        if (!(m.get(k) instanceof Long n)) throw new IllegalArgumentException("checkpoint config: '" + k + "' must be an integer, got " + m.get(k));
        return n;
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("checkpoint: this file system cannot rename " + from + " atomically to " + to, e);
        }
    }

    private static void deleteTree(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> {
                try {
                    Files.delete(x);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
