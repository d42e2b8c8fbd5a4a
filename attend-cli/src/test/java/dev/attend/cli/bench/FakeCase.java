package dev.attend.cli.bench;

import dev.attend.attention.Workload;

/** A benchmark case whose body is a short spin: for testing the harness without real kernels. */
public record FakeCase(String mechanism, Workload.Pass pass, double flops, double bytes, boolean fail) implements BenchCase {
    @Override public String mask() { return "causal"; }
    @Override public Workload.Shape dims() { return new Workload.Shape(1, 4, 2, pass == Workload.Pass.DECODE ? 1 : 64, 64, 32); }

    @Override
    public Runnable setup() {
        if (fail) throw new IllegalStateException("planted failure");
        double[] acc = new double[1];
        return () -> {
            for (int i = 0; i < 10_000; i++) acc[0] += Math.sqrt(i + acc[0]);
        };
    }
}
