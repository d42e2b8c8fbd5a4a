package dev.attend.nn.tasks;

import dev.attend.tensor.Npy;
import dev.attend.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a task's batches to {@code .npy} files, so that another framework (PyTorch: {@code bench/torch/}) trains
 * on exactly the batches Java trains on. Files in the output directory:
 * <ul>
 *   <li>{@code train-inputs.npy}, {@code train-targets.npy}: {@code [steps, batch, seqLength]}; step {@code s} is
 *       {@link Task#trainBatch(long, int) trainBatch(s, batch)};</li>
 *   <li>{@code test-inputs.npy}, {@code test-targets.npy}, {@code test-tags.npy}: {@code [testExamples, seqLength]},
 *       examples {@code 0 .. testExamples - 1} of {@link Split#TEST};</li>
 *   <li>{@code task.json}: the task (its {@code toString}), vocabulary size, sequence length, ignore index, batch,
 *       steps, test examples.</li>
 * </ul>
 * The arrays are float32 ({@link Npy} writes float32 and float16 only) holding exact integers: ids are below
 * 2^24 and the ignore index is -100, so {@code np.load(f).astype(np.int64)} recovers them exactly. Cost: generating
 * the examples plus 4 bytes a token written; the arrays are built in memory.
 *
 * <p>Run as a program: {@code TaskExport TASK_SPEC OUT_DIR STEPS BATCH TEST_EXAMPLES}, the spec as
 * {@link Tasks#parse} reads it.
 */
public final class TaskExport {
    private TaskExport() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 5) {
            System.err.println("usage: TaskExport TASK_SPEC OUT_DIR STEPS BATCH TEST_EXAMPLES   e.g. mqar:seq=256,pairs=16 out 200 64 1000");
            System.exit(2);
        }
        Task task = Tasks.parse(args[0]);
        write(task, Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
        System.out.println("wrote " + args[2] + " training batches of " + args[3] + " and " + args[4] + " test examples of " + task + " to " + args[1]);
    }

    /** Writes the files described above into {@code dir} (created if missing). */
    public static void write(Task task, Path dir, int steps, int batch, int testExamples) throws IOException {
        if (task == null) throw new IllegalArgumentException("task: expected a task, got null");
        if (steps < 1 || batch < 1 || testExamples < 1) {
            throw new IllegalArgumentException("steps, batch, testExamples: expected >= 1, got " + steps + ", " + batch + ", " + testExamples);
        }
        long trainTokens = (long) steps * batch * task.seqLength();
        if (trainTokens > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("steps x batch x seqLength: expected < 2^31 tokens, got " + trainTokens);
        }
        if (task.vocabSize() > 1 << 24) {
            throw new IllegalArgumentException("vocabSize: expected <= 2^24 (exact in float32), got " + task.vocabSize());
        }
        Files.createDirectories(dir);
        int len = task.seqLength();
        float[] in = new float[(int) trainTokens], tg = new float[in.length];
        for (int s = 0; s < steps; s++) {
            Batch b = task.trainBatch(s, batch);
            copy(b.inputs(), in, s * batch * len);
            copy(b.targets(), tg, s * batch * len);
        }
        Npy.write(dir.resolve("train-inputs.npy"), Tensor.of(in, steps, batch, len));
        Npy.write(dir.resolve("train-targets.npy"), Tensor.of(tg, steps, batch, len));
        Batch test = task.batch(Split.TEST, 0, testExamples);
        Npy.write(dir.resolve("test-inputs.npy"), Tensor.of(floats(test.inputs()), testExamples, len));
        Npy.write(dir.resolve("test-targets.npy"), Tensor.of(floats(test.targets()), testExamples, len));
        Npy.write(dir.resolve("test-tags.npy"), Tensor.of(floats(test.tags()), testExamples, len));
        String json = "{\n  \"task\": \"" + task.name() + "\",\n  \"config\": \"" + task + "\",\n  \"vocab_size\": " + task.vocabSize()
                + ",\n  \"seq_length\": " + len + ",\n  \"ignore_index\": " + Task.IGNORE + ",\n  \"batch\": " + batch
                + ",\n  \"steps\": " + steps + ",\n  \"test_examples\": " + testExamples + "\n}\n";
        Files.writeString(dir.resolve("task.json"), json, StandardCharsets.UTF_8);
    }

    private static void copy(int[] from, float[] to, int at) {
        for (int i = 0; i < from.length; i++) to[at + i] = from[i];
    }

    private static float[] floats(int[] a) {
        float[] f = new float[a.length];
        copy(a, f, 0);
        return f;
    }
}
