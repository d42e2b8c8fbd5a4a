package dev.attend.simd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * What this machine can do, measured there and then: the FP32 FMA peak through the Vector API
 * (one thread and all {@link Parallel#threads()} workers) and the read bandwidth from memory.
 *
 * <p>Benchmarks report their GFLOP/s and GB/s as a fraction of these numbers from the same run, because
 * a shared VM drifts by tens of percent between runs. {@link #measure()} takes about 1-2 s,
 * {@link #quick()} under 1 s. The read buffer is 128 MB: several times the last-level cache of
 * current server parts (a 64 MB buffer still reads 25% faster than memory on a 2-vCPU Zen 5 VM), and
 * mapping its pages is most of the cost of the measurement, so it is not larger.
 *
 * <p>The FMA loop is written {@code acc_i = x.fma(y, acc_i)}: the accumulator is the addend, which C2
 * keeps in registers and issues back to back; {@code acc.fma(x, y)} reaches only about two thirds of
 * the peak. Twelve independent accumulators cover the FMA latency times the number of FMA ports.
 * Every accumulator ends in a sink, so no measured work is dead code.
 */
public final class MachinePeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int ACCUMULATORS = 12;

    /** FMA iterations per call of the kernel: long enough to amortise the call, short enough to poll the clock. */
    private static final int BLOCK = 1 << 16;

    private static volatile float sink;

    private MachinePeak() {}

    /**
     * Measured peaks.
     *
     * @param threads            workers of the all-threads measurements ({@link Parallel#threads()})
     * @param vectorBits         width of {@link FloatVector#SPECIES_PREFERRED} in bits
     * @param fmaGflopsOneThread FP32 FMA peak of one thread, GFLOP/s (an FMA counts as 2 FLOPs)
     * @param fmaGflops          FP32 FMA peak of all threads, GFLOP/s
     * @param readGBps           read bandwidth of all threads from a buffer far larger than the caches, GB/s (1e9 bytes)
     */
    public record Result(int threads, int vectorBits, double fmaGflopsOneThread, double fmaGflops, double readGBps) {
        @Override
        public String toString() {
            return String.format("FMA peak %.1f GFLOP/s (1 thread), %.1f GFLOP/s (%d threads), read %.1f GB/s, %d-bit vectors",
                    fmaGflopsOneThread, fmaGflops, threads, readGBps, vectorBits);
        }
    }

    /** The full measurement: about 1-2 s. */
    public static Result measure() {
        return measure(0.10, 3, 128L << 20, 10);
    }

    /** A shorter, noisier measurement (under 1 s, most of it mapping the read buffer), for tools and tests. */
    public static Result quick() {
        return measure(0.04, 2, 128L << 20, 5);
    }

    /**
     * @param seconds     wall time of one FMA measurement
     * @param repeats     FMA measurements per thread count; the best counts
     * @param bufferBytes size of the buffer the bandwidth test reads
     * @param passes      bandwidth passes over the buffer; the best counts
     */
    static Result measure(double seconds, int repeats, long bufferBytes, int passes) {
        warmUpFma();
        double one = 0, all = 0;
        for (int r = 0; r < repeats; r++) one = Math.max(one, fmaGflops(1, seconds));
        int threads = Parallel.threads();
        for (int r = 0; r < repeats; r++) all = Math.max(all, fmaGflops(threads, seconds));
        double bw = readGBps(bufferBytes, passes);
        return new Result(threads, S.vectorBitSize(), one, all, bw);
    }

    // ---- FMA peak ----

    private static void warmUpFma() {
        // Small blocks until C2 has compiled the kernel: the interpreter runs the Vector API very slowly.
        long end = System.nanoTime() + 150_000_000L;
        float s = 0;
        for (int i = 0; i < 20_000 && (i < 200 || System.nanoTime() < end); i++) s += fmaBlock(64, i);
        sink = s;
    }

    /** GFLOP/s of {@code workers} threads each running FMA blocks for about {@code seconds}. */
    private static double fmaGflops(int workers, double seconds) {
        // Calibrate the number of blocks on one thread, then give every worker the same fixed amount
        // of work so that the wall time covers all of them.
        long t0 = System.nanoTime();
        float s = fmaBlock(BLOCK, 1);
        long oneBlock = Math.max(1, System.nanoTime() - t0);
        int blocks = (int) Math.max(2, Math.min(1_000_000, seconds * 1e9 / oneBlock));
        float[] sinks = new float[Math.max(workers, Parallel.threads())];
        long start = System.nanoTime();
        int[] used = new int[1];
        Parallel.run(workers, (w, t) -> {
            if (w == 0) used[0] = t;
            float acc = 0;
            for (int b = 0; b < blocks; b++) acc += fmaBlock(BLOCK, b + w);
            sinks[w] = acc;
        });
        long ns = System.nanoTime() - start;
        for (float f : sinks) s += f;
        sink = s;
        double flops = (double) used[0] * blocks * BLOCK * ACCUMULATORS * S.length() * 2.0;
        return flops / ns;
    }

    /** {@code n} iterations of 12 independent FMAs; returns a value that depends on every one of them. */
    private static float fmaBlock(int n, int salt) {
        FloatVector x = FloatVector.broadcast(S, 1e-7f * (1 + (salt & 7)));
        FloatVector y = FloatVector.broadcast(S, 0.5f);
        FloatVector a0 = FloatVector.broadcast(S, 0f), a1 = FloatVector.broadcast(S, 1f),
                a2 = FloatVector.broadcast(S, 2f), a3 = FloatVector.broadcast(S, 3f),
                a4 = FloatVector.broadcast(S, 4f), a5 = FloatVector.broadcast(S, 5f),
                a6 = FloatVector.broadcast(S, 6f), a7 = FloatVector.broadcast(S, 7f),
                a8 = FloatVector.broadcast(S, 8f), a9 = FloatVector.broadcast(S, 9f),
                a10 = FloatVector.broadcast(S, 10f), a11 = FloatVector.broadcast(S, 11f);
        for (int i = 0; i < n; i++) {
            a0 = x.fma(y, a0);
            a1 = x.fma(y, a1);
            a2 = x.fma(y, a2);
            a3 = x.fma(y, a3);
            a4 = x.fma(y, a4);
            a5 = x.fma(y, a5);
            a6 = x.fma(y, a6);
            a7 = x.fma(y, a7);
            a8 = x.fma(y, a8);
            a9 = x.fma(y, a9);
            a10 = x.fma(y, a10);
            a11 = x.fma(y, a11);
        }
        FloatVector sum = a0.add(a1).add(a2).add(a3).add(a4).add(a5)
                .add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
        return sum.reduceLanes(VectorOperators.ADD);
    }

    // ---- read bandwidth ----

    /** Best GB/s over {@code passes} passes of all workers summing disjoint parts of one large buffer. */
    private static double readGBps(long bytes, int passes) {
        int workers = Parallel.threads();
        long step = (long) S.vectorByteSize() * 4;
        long perWorker = bytes / workers / step * step;
        long total = perWorker * workers;
        float[] sinks = new float[workers];
        double best = 0;
        try (Arena arena = Arena.ofShared()) {
            // allocate() zero-fills, so every page is mapped before the clock starts.
            MemorySegment buf = arena.allocate(total, 64);
            MemorySegment warm = buf.asSlice(0, Math.min(total, 1L << 20) / step * step);
            for (int i = 0; i < 300; i++) sinks[0] += sum(warm);
            for (int p = 0; p < passes; p++) {
                long start = System.nanoTime();
                Parallel.run(workers, (w, t) -> sinks[w] += sum(buf.asSlice(w * perWorker, perWorker)));
                long ns = System.nanoTime() - start;
                best = Math.max(best, total / (double) ns);
            }
        }
        float s = 0;
        for (float f : sinks) s += f;
        sink = s;
        return best;
    }

    /** Sum of all floats of {@code seg}, whose size is a multiple of four vectors. */
    private static float sum(MemorySegment seg) {
        ByteOrder order = ByteOrder.nativeOrder();
        long vb = S.vectorByteSize();
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
        for (long off = 0, n = seg.byteSize(); off < n; off += 4 * vb) {
            s0 = s0.add(FloatVector.fromMemorySegment(S, seg, off, order));
            s1 = s1.add(FloatVector.fromMemorySegment(S, seg, off + vb, order));
            s2 = s2.add(FloatVector.fromMemorySegment(S, seg, off + 2 * vb, order));
            s3 = s3.add(FloatVector.fromMemorySegment(S, seg, off + 3 * vb, order));
        }
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
    }

    /** Prints a full measurement: {@code java --add-modules jdk.incubator.vector dev.attend.simd.MachinePeak}. */
    public static void main(String[] args) {
        long t0 = System.nanoTime();
        Result r = args.length > 0 && args[0].equals("--quick") ? quick() : measure();
        System.out.println(r);
        System.out.printf("measured in %.2f s%n", (System.nanoTime() - t0) / 1e9);
    }
}
