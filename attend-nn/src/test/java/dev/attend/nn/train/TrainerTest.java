package dev.attend.nn.train;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.mask.Masks;
import dev.attend.nn.autograd.Var;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import dev.attend.nn.layers.DecoderLM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop end to end: a copy task is learned, a resumed run is bit-identical, NaN and corrupt files are refused. */
class TrainerTest {
    private static final int SYMBOLS = 10, HALF = 6, SEP = SYMBOLS;

    /** {@code x1..x6 SEP x1..x6}: inputs are the first 12 tokens, targets the next token on the copied half only. */
    static Trainer.Batch copyBatch(long seed, int batch) {
        SplittableRandom r = new SplittableRandom(seed);
        int len = 2 * HALF;
        int[] tokens = new int[batch * len], targets = new int[batch * len];
        for (int b = 0; b < batch; b++) {
            int[] seq = new int[len + 1];
            for (int i = 0; i < HALF; i++) seq[i] = seq[HALF + 1 + i] = r.nextInt(SYMBOLS);
            seq[HALF] = SEP;
            for (int t = 0; t < len; t++) {
                tokens[b * len + t] = seq[t];
                targets[b * len + t] = t >= HALF ? seq[t + 1] : Trainer.IGNORE;
            }
        }
        return new Trainer.Batch(tokens, batch, len, null, targets);
    }

    private static DecoderLM.Config tiny(String attention, boolean rope) {
        return tiny(attention, rope, 0f);
    }

    private static DecoderLM.Config tiny(String attention, boolean rope, float dropout) {
        return new DecoderLM.Config(SYMBOLS + 1, 32, 2, 2, 1, 64, 16, rope, true, false, false, attention, 42, dropout);
    }

    @Test
    void aTwoLayerDecoderLearnsToCopy() {
        int steps = Integer.getInteger("copy.steps", 40);
        Trainer t = new Trainer(new DecoderLM(tiny("flash", false)), new Trainer.Options(1e-2f, 1e-3f, 10, steps, 0.01f, 1.0, 0f));
        double chance = 1.0 / SYMBOLS;
        for (int s = 0; s < steps; s++) {
            t.step(copyBatch(s, 32));
            if (Boolean.getBoolean("copy.verbose") && s % 20 == 19) System.out.println("step " + (s + 1) + " accuracy " + t.accuracy(copyBatch(1_000_000, 256)));
        }
        double acc = t.accuracy(copyBatch(1_000_000, 256));
        assertTrue(acc > 0.9, "copy accuracy " + acc + " (chance " + chance + ")");
    }

    /** Every registered mechanism that has a backward pass. */
    static Stream<String> trainableMechanisms() {
        return Attention.descriptors().stream().filter(d -> d.capabilities().backward()).map(MechanismDescriptor::name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trainableMechanisms")
    void theSameTrainingRunsWithEveryMechanismThatHasABackwardPass(String name) {
        AttentionProblem causal = AttentionProblem.of(Tensor.randn(1, 1, 2, 12, 16), Tensor.randn(2, 1, 1, 12, 16), Tensor.randn(3, 1, 1, 12, 16),
                Masks.causal());
        var support = Attention.of(name).supports(causal);
        Assumptions.assumeTrue(support.supported(), name + " cannot run a decoder's causal GQA attention: " + support.reason());
        Trainer t = new Trainer(new DecoderLM(tiny(name, false)), new Trainer.Options(1e-2f, 1e-3f, 5, 40, 0.01f, 1.0, 0f));
        float first = t.step(copyBatch(0, 16)).loss(), last = first;
        for (int s = 1; s < 40; s++) last = t.step(copyBatch(s, 16)).loss();
        assertTrue(Float.isFinite(last) && last < 0.9f * first, name + ": loss " + first + " -> " + last);
    }

    @Test
    void aResumedRunIsBitIdenticalToAnUninterruptedOne(@TempDir Path dir) throws IOException {
        Trainer.Options o = new Trainer.Options(3e-3f, 0f, 2, 6, 0.1f, 1.0, 0.1f);
        Trainer a = new Trainer(new DecoderLM(tiny("flash", true, 0.2f)), o);
        float[] lossA = new float[6];
        for (int s = 0; s < 6; s++) lossA[s] = a.step(copyBatch(s, 4)).loss();

        Trainer b = new Trainer(new DecoderLM(tiny("flash", true, 0.2f)), o);
        float[] lossB = new float[6];
        for (int s = 0; s < 3; s++) lossB[s] = b.step(copyBatch(s, 4)).loss();
        Path saved = Checkpoint.save(dir, b);
        assertTrue(Files.exists(saved.resolve("model.safetensors")) && Files.exists(saved.resolve("optimizer.safetensors"))
                && Files.exists(saved.resolve("config.json")));
        Trainer c = Checkpoint.load(dir);
        assertEquals(3, c.step());
        for (int s = 3; s < 6; s++) lossB[s] = c.step(copyBatch(s, 4)).loss();

        assertArrayEquals(bits(lossA), bits(lossB));
        Map<String, Var> pa = a.model().parameters(), pc = c.model().parameters();
        assertEquals(pa.keySet(), pc.keySet());
        for (String k : pa.keySet()) assertArrayEquals(bits(pa.get(k).data()), bits(pc.get(k).data()), k);
    }

    @Test
    void dropoutActsInTrainingModeOnlyAndReplaysFromItsSeed() {
        Trainer.Batch b = copyBatch(7, 4);
        DecoderLM plain = new DecoderLM(tiny("flash", false)), dropped = new DecoderLM(tiny("flash", false, 0.3f));
        float[] reference = logits(plain, b);
        // Inference mode (the default, and after eval()) is the model without dropout, bit for bit.
        assertArrayEquals(bits(reference), bits(logits(dropped, b)));
        dropped.train(5);
        float[] five = logits(dropped, b), again = logits(dropped, b);
        dropped.train(6);
        float[] six = logits(dropped, b);
        dropped.eval();
        assertArrayEquals(bits(reference), bits(logits(dropped, b)));
        assertArrayEquals(bits(five), bits(again), "one seed, one mask");
        assertFalse(Arrays.equals(five, reference), "training mode drops");
        assertFalse(Arrays.equals(five, six), "another step, another mask");
        // With dropout 0, training mode changes nothing.
        plain.train(5);
        assertArrayEquals(bits(reference), bits(logits(plain, b)));
        // A trainer's step leaves the model in inference mode.
        Trainer t = new Trainer(dropped, new Trainer.Options(1e-3f, 0f, 0, 10, 0f, 1.0, 0f));
        t.step(b);
        Map<String, Tensor> weights = new java.util.LinkedHashMap<>();
        dropped.parameters().forEach((k, v) -> weights.put(k, v.value()));
        plain.load(weights);
        assertArrayEquals(bits(logits(plain, b)), bits(logits(dropped, b)));
        assertThrows(IllegalArgumentException.class, () -> tiny("flash", false, 1f));
    }

    private static float[] logits(DecoderLM m, Trainer.Batch b) {
        try (AutoCloseable s = Var.noGrad()) {
            return m.logits(b.tokens(), b.batch(), b.len()).data();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aNaNLossStopsTheStepAndNeverWritesACheckpoint(@TempDir Path dir) {
        Trainer t = new Trainer(new DecoderLM(tiny("flash", false)), new Trainer.Options(1e-3f, 0f, 0, 10, 0f, 1.0, 0f));
        t.step(copyBatch(0, 2));
        float[] w = t.model().parameters().get("blocks.0.mlp.fc1.weight").value().heapArray();
        w[0] = Float.NaN;
        var e = assertThrows(IllegalStateException.class, () -> t.step(copyBatch(1, 2)));
        assertTrue(e.getMessage().startsWith("loss is NaN at step 1"), e.getMessage());
        var s = assertThrows(IllegalStateException.class, () -> Checkpoint.save(dir, t));
        assertTrue(s.getMessage().contains("refusing"), s.getMessage());
        assertFalse(Files.exists(dir.resolve("latest")));
    }

    @Test
    void corruptOrMissingCheckpointsAreNamed(@TempDir Path dir) throws IOException {
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains("no checkpoint"), e.getMessage());
        Trainer t = new Trainer(new DecoderLM(tiny("flash", false)), new Trainer.Options(1e-3f, 0f, 0, 10, 0f, 1.0, 0f));
        t.step(copyBatch(0, 2));
        Path saved = Checkpoint.save(dir, t);
        byte[] bytes = Files.readAllBytes(saved.resolve("model.safetensors"));
        Files.write(saved.resolve("model.safetensors"), Arrays.copyOf(bytes, bytes.length / 2));
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    @Test
    void badConfigurationNamesTheSetting() {
        var e = assertThrows(IllegalArgumentException.class, () -> new DecoderLM.Config(11, 30, 2, 4, 4, 64, 16, false, true, false, false, "flash", 1, 0f));
        assertTrue(e.getMessage().startsWith("heads: must divide dModel 30"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DecoderLM.Config(11, 32, 2, 4, 3, 64, 16, false, true, false, false, "flash", 1, 0f));
        assertTrue(e.getMessage().startsWith("kvHeads"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DecoderLM.Config(11, 32, 2, 4, 4, 64, 16, false, true, false, false, "no-such-mechanism", 1, 0f));
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }
}
