package dev.attend.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.Properties;
import dev.attend.simd.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;

/**
 * The {@code attend} command line: machine info, attention on {@code .npy} files, benchmarks.
 *
 * <p>Exit codes: 0 success, 1 the command failed (bad input file, shape mismatch, I/O error),
 * 2 the command line itself is wrong. Every failure prints one line on stderr; {@code --verbose}
 * or the environment variable {@code ATTEND_DEBUG} adds the stack trace.
 */
@Command(name = "attend",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Attention for the JVM: exact, sparse, approximate and cached attention in pure Java.",
        subcommands = {InfoCommand.class, AttentionCommand.class, MechanismsCommand.class, MasksCommand.class, BenchCommand.class,
            AdviseCommand.class, TrainCommand.class, EvalCommand.class, GenerateCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Run 'attend COMMAND --help' for the options of a command."})
public final class Main implements Runnable {
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces on errors (also: ATTEND_DEBUG=1).")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(commandLine(CommandLine.defaultFactory()).execute(args));
    }

    /** The configured command line (error handling included); tests pass a factory and capture out/err. */
    public static CommandLine commandLine(CommandLine.IFactory factory) {
        CommandLine cl = new CommandLine(new Main(), factory);
        cl.getSubcommands().get("attention").getCommandSpec().usageMessage().footer(Registries.maskFooter());
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionStrategy(parsed -> {
            // A bad ATTEND_THREADS / -Dattend.threads is a wrong invocation: one line, exit 2, before any work.
            if (!parsed.isUsageHelpRequested() && !parsed.isVersionHelpRequested() && parsed.hasSubcommand()) {
                try {
                    Parallel.threads();
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(parsed.commandSpec().commandLine(), e.getMessage());
                }
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setExecutionExceptionHandler(Main::failure);
        return cl;
    }

    /** Runs {@code args} with the given streams and returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine(CommandLine.defaultFactory());
        cl.setOut(out);
        cl.setErr(err);
        try {
            return cl.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static int usageError(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName();
        String msg = oneLine(ex.getMessage());
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !cmd.getSubcommands().isEmpty()
                && !u.getUnmatched().isEmpty() && cmd.getParseResult() != null && cmd.getParseResult().originalArgs().indexOf(u.getUnmatched().get(0)) == 0) {
            msg = "unknown command '" + printable(u.getUnmatched().get(0)) + "', known: " + String.join(", ", cmd.getSubcommands().keySet());
        }
        err.println(name + ": " + printable(oneLine(msg)) + " (see '" + name + " --help')");
        if (debug(args)) ex.printStackTrace(err);
        err.flush();
        return EXIT_USAGE;
    }

    private static int failure(Exception ex, CommandLine cmd, ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName();
        boolean debug = debug(parsed.originalArgs().toArray(String[]::new));
        err.println(name + ": " + printable(describe(ex)) + (debug || expected(ex) ? "" : " (run with --verbose for the stack trace)"));
        if (debug) ex.printStackTrace(err);
        err.flush();
        return EXIT_FAILURE;
    }

    /** Failures that are the user's input, not a bug: the message says everything. */
    private static boolean expected(Throwable ex) {
        return ex instanceof IllegalArgumentException || ex instanceof IOException || ex instanceof UncheckedIOException;
    }

    static String describe(Throwable ex) {
        Throwable t = ex instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : ex;
        if (t instanceof NoSuchFileException nf) return "no such file: " + nf.getFile();
        String msg = t.getMessage();
        if (expected(t) && msg != null && !msg.isBlank()) return oneLine(msg);
        return t.getClass().getSimpleName() + (msg == null ? "" : ": " + oneLine(msg));
    }

    /** Control characters from the command line (a carriage return, an escape) shown as a backslash-u escape, not sent to the terminal. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) b.append(String.format("\\u%04x", c));
            else b.appendCodePoint(c);
        });
        return b.toString();
    }

    private static String oneLine(String s) {
        if (s == null) return "";
        return s.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    private static boolean debug(String[] args) {
        String env = System.getenv("ATTEND_DEBUG");
        if (env != null && !env.isBlank() && !env.equals("0") && !env.equalsIgnoreCase("false")) return true;
        for (String a : args) if (a.equals("--verbose")) return true;
        return false;
    }

    /** The project version, from the filtered resource the build writes. */
    public static String version() {
        try (InputStream in = Main.class.getResourceAsStream("/attend-version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "attend " + version(),
                "JDK " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
            };
        }
    }
}
