package dev.attend.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code attend info}: the JDK, CPU, vector width, threads and the peaks measured now. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Show the JDK, CPU, vector width and worker threads, and measure the FMA peak and read bandwidth (about 1-2 s)."})
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Option(names = "--quick", description = "A shorter, noisier peak measurement.")
    boolean quick;

    @Option(names = "--no-peak", description = "Skip the peak measurement.")
    boolean noPeak;

    @Override
    public Integer call() throws JsonProcessingException {
        MachineInfo info = MachineInfo.current(noPeak ? null : quick ? "quick" : "full");
        if (json) {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            spec.commandLine().getOut().println(mapper.writeValueAsString(info.toMap()));
        } else {
            spec.commandLine().getOut().print(info.describe());
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
