package dev.attend.cli;

import dev.attend.nn.generate.Generator;
import dev.attend.nn.layers.DecoderLM;
import dev.attend.nn.tokenize.BpeTokenizer;
import dev.attend.nn.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code attend generate}: continues a prompt with a language model that {@code attend train} trained on text (its
 * run directory holds the tokenizer), greedy or sampled (temperature, top-k, top-p), seeded: the same seed gives
 * the same text.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Continue a prompt with a model trained on text by 'attend train --task text:file=..' (greedy, or sampled",
            "with temperature, top-k and top-p; seeded)."})
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", required = true, description = "The run directory of 'attend train' on a text task.")
    Path model;

    @Option(names = "--prompt", paramLabel = "TEXT", required = true, description = "The text to continue.")
    String prompt;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "200", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.8", description = "Softmax temperature; 0 is greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Sample from the K most likely tokens only; 0 is off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "Sample from the most likely tokens holding probability P (nucleus); 1 is off (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "1", description = "Continuations to write, seeds SEED, SEED+1, .. (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of the sampling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        if (!Files.isDirectory(model)) throw new ParameterException(spec.commandLine(), "--model: '" + model + "' is not a run directory");
        Path tokenizerFile = model.resolve(TrainCommand.TOKENIZER);
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new ParameterException(spec.commandLine(), "--model: '" + model + "' has no " + TrainCommand.TOKENIZER
                    + ": generate needs a model trained on text (attend train --task text:file=..)");
        }
        if (maxTokens < 0) throw new ParameterException(spec.commandLine(), "--max-tokens: expected >= 0, got " + maxTokens);
        if (samples < 1) throw new ParameterException(spec.commandLine(), "--samples: expected >= 1, got " + samples);
        if (prompt.isEmpty()) throw new ParameterException(spec.commandLine(), "--prompt: expected some text, got an empty string");
        BpeTokenizer tokenizer = BpeTokenizer.load(tokenizerFile);
        DecoderLM m = Checkpoint.load(model).model();
        if (tokenizer.vocabSize() > m.config().vocab()) {
            throw new IllegalArgumentException("--model: the tokenizer has " + tokenizer.vocabSize() + " ids, the model's vocabulary " + m.config().vocab());
        }
        int[] ids;
        try {
            ids = tokenizer.encode(prompt);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--prompt: " + e.getMessage());
        }
        Generator g = new Generator(m);
        for (int s = 0; s < samples; s++) {
            Generator.Sampling sampling;
            try {
                sampling = new Generator.Sampling(temperature, topK, topP, seed + s);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--" + e.getMessage());
            }
            int[] all = g.generate(ids, maxTokens, sampling);
            if (samples > 1) stdout.printf("--- sample %d (seed %d)%n", s + 1, seed + s);
            stdout.println(prompt + tokenizer.decode(Arrays.copyOfRange(all, ids.length, all.length)));
            stdout.flush();
        }
        return 0;
    }
}
