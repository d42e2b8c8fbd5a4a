package dev.attend.simd;

/**
 * GFLOP/s of {@link MatMul#gemm} against the FMA peak measured in the same run (a main, not a test: timings are
 * never asserted). Arguments: m n k [runs]; every transpose combination.
 */
public final class MatMulBench {
    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        int k = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        int runs = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        MachinePeak.Result peak = MachinePeak.measure();
        System.out.println(peak);
        java.util.Random r = new java.util.Random(1);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int lda = ta ? m : k, ldb = tb ? k : n;
                for (int w = 0; w < 3; w++) MatMul.gemm(ta, tb, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0f, c, 0, n);
                double[] t = new double[runs];
                for (int i = 0; i < runs; i++) {
                    long t0 = System.nanoTime();
                    MatMul.gemm(ta, tb, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0f, c, 0, n);
                    t[i] = (System.nanoTime() - t0) * 1e-9;
                }
                java.util.Arrays.sort(t);
                double gf = 2.0 * m * n * k / t[runs / 2] * 1e-9;
                System.out.printf("%dx%dx%d transA=%b transB=%b: median %.2f ms, %.1f GFLOP/s = %.0f%% of the %d-thread peak%n",
                        m, n, k, ta, tb, t[runs / 2] * 1e3, gf, 100 * gf / peak.fmaGflops(), peak.threads());
            }
        }
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            MatMul.gemmSerial(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
            t[i] = (System.nanoTime() - t0) * 1e-9;
        }
        java.util.Arrays.sort(t);
        double gf = 2.0 * m * n * k / t[runs / 2] * 1e-9;
        System.out.printf("serial NN: %.1f GFLOP/s = %.0f%% of the 1-thread peak%n", gf, 100 * gf / peak.fmaGflopsOneThread());
    }
}
