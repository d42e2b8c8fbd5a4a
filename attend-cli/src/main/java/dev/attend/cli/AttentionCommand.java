package dev.attend.cli;

import dev.attend.attention.Attention;
import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Support;
import dev.attend.attention.mask.Mask;
import dev.attend.tensor.Npy;
import dev.attend.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code attend attention}: one attention call on {@code .npy} files, for Python and other tools.
 * q {@code [B, Hq, Lq, D]}, k and v {@code [B, Hkv, Lk, D]} in float32 (float16 is converted);
 * writes out {@code [B, Hq, Lq, D]} and optionally the natural-log LSE {@code [B, Hq, Lq]}.
 */
@Command(name = "attention", mixinStandardHelpOptions = true,
        description = {"Compute attention on .npy files: q [B, Hq, Lq, D], k and v [B, Hkv, Lk, D] (Hq a multiple of Hkv),",
            "float32 or float16 (converted to float32); D at most " + AttentionProblem.MAX_HEAD_DIM + ".",
            "Writes the output [B, Hq, Lq, D] and, with --lse, the log-sum-exp [B, Hq, Lq] (natural log), both float32.",
            "Outputs are written whole or not at all, and may not overwrite an input.",
            "Inputs must be finite unless --allow-nonfinite is given."})
final class AttentionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--q", required = true, paramLabel = "Q.npy", description = "Queries [B, Hq, Lq, D].")
    Path q;

    @Option(names = "--k", required = true, paramLabel = "K.npy", description = "Keys [B, Hkv, Lk, D].")
    Path k;

    @Option(names = "--v", required = true, paramLabel = "V.npy", description = "Values [B, Hkv, Lk, D].")
    Path v;

    @Option(names = "--out", paramLabel = "O.npy", description = "Where to write the output [B, Hq, Lq, D] (required, but with --engine spark and --parts).")
    Path out;

    @Option(names = "--lse", paramLabel = "LSE.npy", description = "Where to write the log-sum-exp [B, Hq, Lq] (natural log; -inf for a fully masked row).")
    Path lse;

    @Option(names = "--mask", paramLabel = "SPEC", defaultValue = "full", converter = Converters.MaskSpec.class,
            description = "Mask spec (default: ${DEFAULT-VALUE}); see below and 'attend masks'.")
    Mask mask;

    @Option(names = "--scale", paramLabel = "S", converter = Converters.Scale.class, description = "Score scale, finite and non-zero (default: 1/sqrt(D)).")
    Float scale;

    @Option(names = "--mechanism", paramLabel = "SPEC", defaultValue = "flash", completionCandidates = Names.class,
            converter = Converters.MechanismSpec.class,
            description = "Mechanism NAME or NAME:param=value,.. (default: ${DEFAULT-VALUE}); see 'attend mechanisms'.")
    AttentionMechanism mechanism;

    @Option(names = "--allow-nonfinite", description = "Compute even when an input holds NaN or infinity (rows that see one give NaN).")
    boolean allowNonFinite;

    @Option(names = "--quiet", description = "Print nothing on success.")
    boolean quiet;

    /** Where the work runs. */
    enum Engine { local, spark }

    @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "local",
            description = {"local (this JVM, default) or spark: exact attention as a Spark job, Q and K/V cut into --shards, the",
                "visible shard pairs as tasks, partials merged by LSE; Spark is downloaded and built on first use."})
    Engine engine;

    @Option(names = "--master", paramLabel = "URL", description = "With --engine spark: the Spark master (default local[*]; e.g. spark://host:7077).")
    String master;

    @Option(names = "--shards", paramLabel = "N", description = "With --engine spark: sequence shards or head groups (default: the master's parallelism).")
    Integer shards;

    @Option(names = "--plan", paramLabel = "KIND", description = "With --engine spark: auto (default), ring, zigzag or heads.")
    String plan;

    @Option(names = "--parts", paramLabel = "DIR", description = "With --engine spark: the directory of the output parts (default: O.npy.parts).")
    String parts;

    @Option(names = "--explain", description = "With --engine spark: print the plan and exit.")
    boolean explain;

    /** The registered mechanism names, for the help text. */
    static final class Names implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Attention.names().iterator();
        }
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (engine == Engine.spark) return SparkEngine.run(spec.commandLine(), this);
        for (String[] o : new String[][] {{"--master", master}, {"--plan", plan}, {"--parts", parts},
            {"--shards", shards == null ? null : ""}, {"--explain", explain ? "" : null}}) {
            if (o[1] != null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), o[0] + " needs --engine spark");
        }
        if (out == null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing required option: '--out=O.npy'");
        // Cheap checks first, so a typo fails before large files are read and no output is clobbered.
        Map<String, Path> inputs = new LinkedHashMap<>();
        inputs.put("--q", q);
        inputs.put("--k", k);
        inputs.put("--v", v);
        Map<String, Path> outputs = new LinkedHashMap<>();
        outputs.put("--out", out);
        outputs.put("--lse", lse);
        OutputFiles.check(spec.commandLine(), inputs, outputs);
        Tensor tq = Npy.read(q), tk = Npy.read(k), tv = Npy.read(v);
        if (!allowNonFinite) {
            requireFinite("q", q, tq);
            requireFinite("k", k, tk);
            requireFinite("v", v, tv);
        }
        AttentionProblem p = AttentionProblem.of(tq, tk, tv, mask);
        if (scale != null) p = p.withScale(scale);
        Support support = mechanism.supports(p);
        if (!support.supported()) throw new IllegalArgumentException(support.reason());

        long t0 = System.nanoTime();
        AttentionResult r = mechanism.forward(p);
        double ms = (System.nanoTime() - t0) / 1e6;

        Map<Path, OutputFiles.Writer> files = new LinkedHashMap<>();
        files.put(out, to -> Npy.write(to, r.out()));
        if (lse != null) {
            if (!r.hasLse()) throw new IllegalArgumentException("--lse: mechanism '" + mechanism.spec() + "' computes no log-sum-exp");
            files.put(lse, to -> Npy.write(to, r.lse()));
        }
        OutputFiles.writeAll(files);
        if (!quiet) {
            PrintWriter o = spec.commandLine().getOut();
            // One cold call includes JIT warmup: the time is for orientation, attend bench measures speed.
            o.printf("%s, mask %s: q %s, k %s -> %s%s in %.1f ms%n", mechanism.spec(), mask.describe(),
                    Arrays.toString(tq.shape()), Arrays.toString(tk.shape()), out, lse == null ? "" : " and " + lse, ms);
            o.flush();
        }
        return 0;
    }

    private static void requireFinite(String name, Path file, Tensor t) {
        long[] at = t.firstNonFinite();
        if (at == null) return;
        throw new IllegalArgumentException(name + ": element " + Arrays.toString(at) + " of " + file + " is " + t.get(at)
                + "; inputs must be finite (--allow-nonfinite computes anyway: rows that see it give NaN)");
    }
}
