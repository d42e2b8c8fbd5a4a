package dev.attend.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * {@code attend attention --engine spark}: the same options, run by attend-spark's {@code SparkMain} in a JVM of its own
 * (Spark's classpath is large and its module openings are JVM-wide), embedded {@code local[*]} unless {@code --master}
 * names a cluster. The module is built on first use ({@link ModuleBuild}); its exit code is this command's.
 */
final class SparkEngine {
    private SparkEngine() {}

    static int run(CommandLine cl, AttentionCommand c) throws IOException, InterruptedException {
        if (c.out == null && c.parts == null) throw new ParameterException(cl, "--engine spark: expected --out O.npy or --parts DIR");
        if (c.out != null) {
            Map<String, Path> inputs = new LinkedHashMap<>(), outputs = new LinkedHashMap<>();
            inputs.put("--q", c.q);
            inputs.put("--k", c.k);
            inputs.put("--v", c.v);
            outputs.put("--out", c.out);
            outputs.put("--lse", c.lse);
            OutputFiles.check(cl, inputs, outputs);
        } else if (c.lse != null) {
            throw new ParameterException(cl, "--lse needs --out (the LSE is assembled with the output)");
        }
        List<String> args = new ArrayList<>();
        pass(args, "--q", c.q.toString());
        pass(args, "--k", c.k.toString());
        pass(args, "--v", c.v.toString());
        if (c.out != null) pass(args, "--out", c.out.toString());
        if (c.lse != null) pass(args, "--lse", c.lse.toString());
        if (c.parts != null) pass(args, "--parts", c.parts);
        pass(args, "--mask", raw(cl, "--mask", "full"));
        pass(args, "--mechanism", raw(cl, "--mechanism", "flash"));
        if (c.scale != null) pass(args, "--scale", Float.toString(c.scale));
        if (c.master != null) pass(args, "--master", c.master);
        if (c.shards != null) pass(args, "--shards", Integer.toString(c.shards));
        if (c.plan != null) pass(args, "--plan", c.plan);
        if (c.explain) args.add("--explain");
        if (c.quiet) args.add("--quiet");
        if (c.allowNonFinite) args.add("--allow-nonfinite");

        Path cp = ModuleBuild.classpath("attend-spark", null, "Apache Spark 4.2, about 300 MB");
        Path opts = cp.resolveSibling("jvm-options.txt");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules=jdk.incubator.vector");
        if (Files.isRegularFile(opts)) {
            for (String o : Files.readString(opts, StandardCharsets.UTF_8).strip().split("\\s+")) if (!o.isEmpty()) cmd.add(o);
        }
        // The memory settings this JVM got (the launcher's defaults and ATTEND_JAVA_OPTS) hold for the driver too.
        for (String o : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (o.startsWith("-Xmx") || o.startsWith("-Xms") || o.startsWith("-XX:MaxDirectMemorySize") || o.startsWith("-XX:MaxRAMPercentage")
                    || o.startsWith("-Dattend.threads")) {
                cmd.add(o);
            }
        }
        cmd.add("-cp");
        cmd.add(Files.readString(cp, StandardCharsets.UTF_8).strip());
        cmd.add("dev.attend.spark.SparkMain");
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        // Pass stderr through, less the JVM's one-line notice that the Vector API is an incubator module.
        try (java.io.BufferedReader err = p.errorReader()) {
            for (String line; (line = err.readLine()) != null; ) {
                if (!line.startsWith("WARNING: Using incubator modules")) System.err.println(line);
            }
        }
        return p.waitFor();
    }

    private static void pass(List<String> args, String name, String value) {
        args.add(name);
        args.add(value);
    }

    /** The option's text as the user typed it (a mask or mechanism spec), or its default. */
    private static String raw(CommandLine cl, String name, String dflt) {
        CommandLine.ParseResult r = cl.getParseResult();
        return r.hasMatchedOption(name) ? r.matchedOption(name).stringValues().getLast() : dflt;
    }
}
