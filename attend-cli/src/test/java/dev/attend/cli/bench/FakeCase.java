package dev.attend.cli.bench;

import dev.attend.attention.Workload;

import java.util.function.Supplier;

/**
 * A benchmark case whose body is a short spin: for testing the harness without real kernels. {@code fail} makes
 * setup throw; {@code id} keeps names unique. Tests subclass it to plant other behaviour.
 */
public class FakeCase implements BenchCase {
    private final String id, mechanism;
    private final Workload.Pass pass;
    private final double flops, bytes;
    private final boolean fail;

    public FakeCase(String id, String mechanism, Workload.Pass pass, double flops, double bytes, boolean fail) {
        this.id = id;
        this.mechanism = mechanism;
        this.pass = pass;
        this.flops = flops;
        this.bytes = bytes;
        this.fail = fail;
    }

    public FakeCase(String mechanism, Workload.Pass pass, double flops, double bytes, boolean fail) {
        this(mechanism + "-" + pass.label() + (fail ? "-failing" : ""), mechanism, pass, flops, bytes, fail);
    }

    @Override public String suite() { return "fake"; }
    @Override public String mechanism() { return mechanism; }
    @Override public Workload.Pass pass() { return pass; }
    @Override public double flops() { return flops; }
    @Override public double bytes() { return bytes; }
    @Override public String mask() { return "causal"; }
    @Override public Workload.Shape dims() { return new Workload.Shape(1, 4, 2, pass == Workload.Pass.DECODE ? 1 : 64, 64, 32); }
    @Override public String name() { return "fake: " + id; }

    @Override
    public Supplier<?> setup() {
        if (fail) throw new IllegalStateException("planted failure");
        double[] acc = new double[1];
        return () -> {
            for (int i = 0; i < 10_000; i++) acc[0] += Math.sqrt(i + acc[0]);
            return acc;
        };
    }
}
