package dev.attend.cli;

import dev.attend.simd.MachinePeak;
import dev.attend.simd.Parallel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.incubator.vector.FloatVector;

/**
 * The machine a result was measured on: JDK, OS, CPU, vector width, worker threads and, when measured,
 * the peaks of {@link MachinePeak}. {@code attend info} prints it; {@code attend bench} stores it
 * beside every results file.
 *
 * @param peak null when the peaks were not measured
 */
public record MachineInfo(String attendVersion, String jdkVersion, String jdkVendor, String vm,
                          String os, String arch, String cpu, int logicalProcessors, int threads,
                          int vectorBits, int vectorFloats, long maxHeapBytes, long ramBytes,
                          MachinePeak.Result peak) {

    /** Describes this JVM and machine; measures the peaks when {@code peak} is not null ("full" or "quick"). */
    public static MachineInfo current(String peak) {
        MachinePeak.Result r = peak == null ? null : peak.equals("quick") ? MachinePeak.quick() : MachinePeak.measure();
        return current(r);
    }

    /** Describes this JVM and machine with peaks measured elsewhere (or null). */
    public static MachineInfo current(MachinePeak.Result peak) {
        return new MachineInfo(Main.version(),
                Runtime.version().toString(),
                System.getProperty("java.vendor", "unknown"),
                System.getProperty("java.vm.name", "unknown"),
                System.getProperty("os.name", "unknown") + " " + System.getProperty("os.version", ""),
                System.getProperty("os.arch", "unknown"),
                cpuModel(),
                Runtime.getRuntime().availableProcessors(),
                Parallel.threads(),
                FloatVector.SPECIES_PREFERRED.vectorBitSize(),
                FloatVector.SPECIES_PREFERRED.length(),
                Runtime.getRuntime().maxMemory(),
                physicalMemory(),
                peak);
    }

    /** The CPU model name from /proc/cpuinfo, else the JVM's os.arch. */
    static String cpuModel() {
        Path info = Path.of("/proc/cpuinfo");
        if (Files.isReadable(info)) {
            try {
                for (String line : Files.readAllLines(info)) {
                    if (line.startsWith("model name") && line.contains(":")) {
                        return line.substring(line.indexOf(':') + 1).strip();
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // an unreadable cpuinfo only costs the model name
            }
        }
        return System.getProperty("os.arch", "unknown");
    }

    /** Physical memory from /proc/meminfo, or 0 when unknown. */
    static long physicalMemory() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
            for (String line : lines) {
                if (line.startsWith("MemTotal:")) {
                    String[] f = line.split("\\s+");
                    return Long.parseLong(f[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: unknown
        }
        return 0;
    }

    /** A flat map with snake_case keys, in a stable order, for JSON. Peak fields are null when not measured. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("attend_version", attendVersion);
        m.put("jdk", jdkVersion);
        m.put("jdk_vendor", jdkVendor);
        m.put("vm", vm);
        m.put("os", os);
        m.put("arch", arch);
        m.put("cpu", cpu);
        m.put("logical_processors", logicalProcessors);
        m.put("threads", threads);
        m.put("vector_bits", vectorBits);
        m.put("vector_floats", vectorFloats);
        m.put("max_heap_bytes", maxHeapBytes);
        m.put("ram_bytes", ramBytes);
        m.put("fma_gflops_1t", peak == null ? null : round(peak.fmaGflopsOneThread()));
        m.put("fma_gflops", peak == null ? null : round(peak.fmaGflops()));
        m.put("read_gbps", peak == null ? null : round(peak.readGBps()));
        return m;
    }

    /** Now, in UTC to the second, for stamping results. */
    static String now() {
        return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** Human-readable lines, one fact per line. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        line(b, "Attend", attendVersion);
        line(b, "JDK", jdkVersion + " (" + jdkVendor + ", " + vm + ")");
        line(b, "OS", os + " " + arch);
        line(b, "CPU", cpu + ", " + logicalProcessors + " logical processors");
        line(b, "Memory", (ramBytes > 0 ? gib(ramBytes) + " RAM, " : "") + gib(maxHeapBytes) + " max heap");
        line(b, "Vector", "FloatVector.SPECIES_PREFERRED: " + vectorBits + " bits, " + vectorFloats + " floats");
        line(b, "Threads", threads + " (Parallel.threads(); set with -Dattend.threads or ATTEND_THREADS)");
        if (peak != null) {
            line(b, "FMA peak", String.format("%.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d threads (fp32, measured now)",
                    peak.fmaGflopsOneThread(), peak.fmaGflops(), peak.threads()));
            line(b, "Read", String.format("%.1f GB/s on %d threads (measured now)", peak.readGBps(), peak.threads()));
        }
        return b.toString();
    }

    private static void line(StringBuilder b, String key, String value) {
        b.append(String.format("%-10s %s%n", key, value));
    }

    private static String gib(long bytes) {
        return String.format("%.1f GiB", bytes / (double) (1L << 30));
    }
}
