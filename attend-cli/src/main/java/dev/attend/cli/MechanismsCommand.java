package dev.attend.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attend mechanisms}: every registered mechanism with its capabilities and parameters. */
@Command(name = "mechanisms", mixinStandardHelpOptions = true,
        description = "List the registered attention mechanisms: what each supports and its parameters with defaults and ranges.")
final class MechanismsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Override
    public Integer call() throws JsonProcessingException {
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(Registries.mechanismsJson()) + "\n"
                : Registries.mechanismsText());
        out.flush();
        return 0;
    }
}
