package dev.attend.nn.train;

import dev.attend.nn.layers.DecoderLM;
import dev.attend.simd.MachinePeak;
import dev.attend.simd.Parallel;

import java.util.SplittableRandom;

/**
 * Times training steps of the benchmark model (a main, not a test): 2-layer pre-LN decoder, d_model 128,
 * 2 heads, MLP 4x GELU, learned positions, tied head, vocab 8192, sequence 256, batch 64, AdamW. Arguments:
 * steps [answers-only: true|false]. Model FLOPs per step: 6 x parameters x tokens, plus attention
 * (causal: 2 x 2 x L^2/2 x d per layer forward, x3 with backward), the convention of the PyTorch figure.
 */
public final class TrainBench {
    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        boolean answersOnly = args.length > 1 && Boolean.parseBoolean(args[1]);
        int vocab = 8192, d = 128, layers = 2, len = 256, batch = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        MachinePeak.Result peak = MachinePeak.quick();
        System.out.println(peak + ", threads " + Parallel.threads());
        DecoderLM model = new DecoderLM(DecoderLM.Config.gpt(vocab, d, layers, 2, len, 1));
        Trainer t = new Trainer(model, new Trainer.Options(1e-3f, 1e-4f, 10, 1000, 0.1f, 1.0, 0f));
        long params = model.parameterCount();
        SplittableRandom r = new SplittableRandom(3);
        int[] tokens = new int[batch * len], targets;
        for (int i = 0; i < tokens.length; i++) tokens[i] = 1 + r.nextInt(vocab - 1);
        int[] rows = null;
        if (answersOnly) {
            // 16 answer positions per sequence, as MQAR at sequence 256 with 16 pairs
            rows = new int[batch * 16];
            for (int b = 0; b < batch; b++) for (int j = 0; j < 16; j++) rows[b * 16 + j] = b * len + len - 32 + 2 * j;
            targets = new int[rows.length];
        } else {
            targets = new int[tokens.length];
        }
        for (int i = 0; i < targets.length; i++) targets[i] = r.nextInt(vocab);
        Trainer.Batch b = new Trainer.Batch(tokens, batch, len, rows, targets);
        // the tied head (vocab x d) runs only at the loss rows when answersOnly
        long headRows = rows == null ? tokens.length : rows.length;
        double flops = 6.0 * (params - (long) vocab * d) * tokens.length + 6.0 * vocab * d * headRows
                + layers * 3.0 * 2 * 2 * batch * ((double) len * len / 2) * d;
        for (int s = 0; s < steps; s++) {
            Trainer.StepResult res = t.step(b);
            System.out.printf("step %d: loss %.4f, %.0f ms, %.0f tokens/s, %.1f GFLOP/s (%.0f%% of peak), peak heap %.0f MB%n", res.step(), res.loss(),
                    res.seconds() * 1e3, res.tokensPerSecond(), flops / res.seconds() * 1e-9, 100 * flops / res.seconds() * 1e-9 / peak.fmaGflops(),
                    res.peakHeapBytes() / 1e6);
        }
        System.out.println("parameters " + params);
    }
}
