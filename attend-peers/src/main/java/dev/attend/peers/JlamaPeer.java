package dev.attend.peers;

import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.TensorShape;
import com.github.tjake.jlama.tensor.operations.TensorOperations;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.Support;
import dev.attend.attention.Workload;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Jlama 0.8.4's attention core, the loop of its {@code CausalSelfAttention} on its own tensor operations: for each
 * (batch, query head) and each query row, over the keys that row sees,
 * <pre>
 * scores = batchDotProduct(q_row, K)     TensorOperations (Panama Vector API kernels)
 * scale(1/sqrt(D), scores)
 * VectorMath.softMax(scores)
 * out_row += saxpy(scores, V)            sum over keys of score * value row
 * </pre>
 * with q, k, v as Jlama keeps them: one row per position holding all heads ({@code [L, H*D]}), the kv head of query
 * head h at column {@code (h / G) * D}. Causal masks limit the keys of each row (Jlama's {@code 0..position}), so
 * masked scores are never computed. Parallel over (batch, head) on Jlama's {@code PhysicalCoreExecutor} with the
 * requested threads ({@code VectorMath.pfor}); Jlama itself calls pfor once per position, here once per call with
 * the query rows inside each head, which only saves fork/join overhead.
 *
 * <p>{@link TensorOperationsProvider}'s static initializer sets {@code jdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0}
 * (no bounds checks on vector loads for the whole JVM), which is why {@link #load} runs before Attend computes
 * anything and why each peer has its own JVM. Without {@code jlama-native} on the classpath Jlama picks its pure
 * Java {@code PanamaTensorOperations} (it logs a warning saying so).
 */
final class JlamaPeer implements PeerRunner {
    /** Jlama's F32 dot-product kernels step through D a whole vector at a time, with no tail. */
    private static final int D_MULTIPLE = 16;

    private TensorOperations ops;

    @Override
    public String name() {
        return "jlama";
    }

    @Override
    public Support support(Workload w) {
        Support s = PeerMask.common(w);
        if (!s.supported()) return s;
        if (w.shape().headDim() % D_MULTIPLE != 0) {
            return Support.no("head dim " + w.shape().headDim() + ": Jlama's F32 kernels have no tail loop over D, which must be a multiple of "
                    + D_MULTIPLE + " (the widest float vector)");
        }
        return Support.YES;
    }

    /** Jlama's executor takes its thread count once per JVM. */
    private static int executorThreads;

    @Override
    public void load(int threads) {
        synchronized (JlamaPeer.class) {
            if (executorThreads == 0) {
                PhysicalCoreExecutor.overrideThreadCount(threads);
                executorThreads = threads;
            } else if (executorThreads != threads) {
                throw new IllegalStateException("Jlama's executor already runs " + executorThreads + " threads in this JVM, asked for " + threads);
            }
        }
        ops = TensorOperationsProvider.get();
    }

    @Override
    public Prepared prepare(Workload w, AttentionProblem p, int threads) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), lq = p.lq(), lk = p.lk(), d = p.headDim();
        float[] q = p.q().toArray(), k = p.k().toArray(), v = p.v().toArray();
        FloatBufferTensor[] qs = new FloatBufferTensor[b], ks = new FloatBufferTensor[b], vs = new FloatBufferTensor[b],
                outs = new FloatBufferTensor[b];
        for (int bi = 0; bi < b; bi++) {
            qs[bi] = rows(Layouts.toBsh(slice(q, bi, hq, lq, d), 1, hq, lq, d), lq, hq * d);
            ks[bi] = rows(Layouts.toBsh(slice(k, bi, hkv, lk, d), 1, hkv, lk, d), lk, hkv * d);
            vs[bi] = rows(Layouts.toBsh(slice(v, bi, hkv, lk, d), 1, hkv, lk, d), lk, hkv * d);
            outs[bi] = new FloatBufferTensor(direct(lq * hq * d), TensorShape.of(lq, hq * d), true);
        }
        return new Call(ops, PeerMask.of(w), qs, ks, vs, outs, hq, hkv, lq, lk, d, p.scale(), ops.name());
    }

    private static float[] slice(float[] x, int bi, int h, int l, int d) {
        int n = h * l * d;
        float[] out = new float[n];
        System.arraycopy(x, bi * n, out, 0, n);
        return out;
    }

    private static FloatBufferTensor rows(float[] data, int rows, int cols) {
        FloatBuffer fb = direct(data.length);
        fb.put(data).rewind();
        return new FloatBufferTensor(fb, TensorShape.of(rows, cols), true);
    }

    private static FloatBuffer direct(int n) {
        return ByteBuffer.allocateDirect(n * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    }

    private record Call(TensorOperations ops, PeerMask mask, FloatBufferTensor[] q, FloatBufferTensor[] k, FloatBufferTensor[] v,
                        FloatBufferTensor[] out, int hq, int hkv, int lq, int lk, int d, float scale, String opsName) implements Prepared {

        @Override
        public String variant() {
            return "Jlama " + opsName + ": per query row batchDotProduct(q, K) over the visible keys, scale, VectorMath.softMax, saxpy(scores, V);"
                    + " rows [L, H*D], parallel over (batch, head) with VectorMath.pfor" + (mask == PeerMask.FULL ? "" : "; causal by limiting the keys per row");
        }

        @Override
        public void run() {
            int g = hq / hkv;
            for (FloatBufferTensor o : out) o.clear();
            VectorMath.pfor(0, q.length * hq, bh -> {
                int bi = bh / hq, h = bh % hq;
                int qCol = h * d, kvCol = (h / g) * d;
                FloatBufferTensor keys = k[bi], values = v[bi];
                try (AbstractTensor scores = new FloatBufferTensor(1, lk)) {
                    for (int i = 0; i < lq; i++) {
                        int n = mask.visible(i, lq, lk);
                        AbstractTensor row = q[bi].slice(i), y = out[bi].slice(i);
                        ops.batchDotProduct(scores, row, keys, qCol, kvCol, d, 0, 0, n);
                        ops.scale(scale, scores, 0, n);
                        VectorMath.softMax(scores, 0, n);
                        ops.saxpy(scores, values, y, kvCol, qCol, d, 0, 0, n);
                    }
                }
            });
        }

        @Override
        public float[] output() {
            int b = out.length;
            float[] y = new float[b * lq * hq * d];
            for (int bi = 0; bi < b; bi++) {
                float[] rowsOut = new float[lq * hq * d];
                out[bi].getMemorySegment().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(rowsOut);
                System.arraycopy(Layouts.fromBsh(rowsOut, 1, hq, lq, d), 0, y, bi * rowsOut.length, rowsOut.length);
            }
            return y;
        }

        @Override
        public void close() {
            // direct buffers, freed by the GC
        }
    }
}
