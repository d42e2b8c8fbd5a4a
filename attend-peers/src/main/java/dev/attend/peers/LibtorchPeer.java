package dev.attend.peers;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.Support;
import dev.attend.attention.Workload;

import java.util.ArrayList;
import java.util.List;

/**
 * libtorch (PyTorch 2.7.1, CPU) through DJL 0.36, which exposes no fused scaled-dot-product attention: attention
 * as a user of DJL writes it, on contiguous bmm-friendly layouts, all in torch's kernels:
 * <pre>
 * s = bmm(q, k^T) * scale  (+ mask)      q [B*Hkv, G*Lq, D], k^T a transposed view of k [B*Hkv, Lk, D]
 * o = bmm(softmax(s, -1), v)             o [B*Hkv, G*Lq, D] = [B, Hq, Lq, D]
 * </pre>
 * Grouped-query attention needs no copy of the keys: the {@code G = Hq / Hkv} query heads of a key/value head are
 * consecutive in {@code [B, Hq, Lq, D]}, so that array read as {@code [B*Hkv, G*Lq, D]} puts them at extra query
 * rows of one batched matrix product (K and V stay at Hkv heads, none repeated). The causal masks are an additive
 * {@code [G*Lq, Lk]} matrix of 0 and -inf made before timing and broadcast over the batch. The score matrix is
 * computed whole, {@code B * Hq * Lq * Lk} floats, for every mask.
 *
 * <p>The native libraries come from the {@code pytorch-native-cpu} jar on the classpath (extracted once to
 * {@code ~/.djl.ai/pytorch}, about 450 MB; {@code DJL_CACHE_DIR} moves it); {@code ai.djl.offline} is set so DJL
 * never tries the network.
 */
final class LibtorchPeer implements PeerRunner {
    private NDManager manager;
    private String engineVersion = "";

    @Override
    public String name() {
        return "libtorch";
    }

    @Override
    public Support support(Workload w) {
        return PeerMask.common(w);
    }

    @Override
    public void load(int threads) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Engine e = Engine.getEngine("PyTorch");
        // The properties count once, when the engine starts; a later request in the same JVM sets the intra-op pool.
        if (ai.djl.pytorch.jni.JniUtils.getNumThreads() != threads) ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        engineVersion = e.getVersion();
        manager = NDManager.newBaseManager();
    }

    @Override
    public Prepared prepare(Workload w, AttentionProblem p, int threads) {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), lq = p.lq(), lk = p.lk(), d = p.headDim(), g = hq / hkv;
        int rows = g * lq;
        PeerMask m = PeerMask.of(w);
        List<NDArray> inputs = new ArrayList<>();
        try {
            NDArray q = track(inputs, manager.create(p.q().toArray(), new Shape((long) b * hkv, rows, d)));
            NDArray k = track(inputs, manager.create(p.k().toArray(), new Shape((long) b * hkv, lk, d)));
            NDArray v = track(inputs, manager.create(p.v().toArray(), new Shape((long) b * hkv, lk, d)));
            NDArray mask = null;
            if (m != PeerMask.FULL) {
                float[] add = new float[rows * lk];
                for (int r = 0; r < rows; r++) {
                    int visible = m.visible(r % lq, lq, lk);
                    for (int j = visible; j < lk; j++) add[r * lk + j] = Float.NEGATIVE_INFINITY;
                }
                mask = track(inputs, manager.create(add, new Shape(rows, lk)));
            }
            String variant = "libtorch " + engineVersion + " via DJL: bmm(q, k^T) [B*Hkv, " + (g > 1 ? g + "*Lq" : "Lq") + ", D] x [B*Hkv, D, Lk], scale"
                    + (mask != null ? ", + precomputed -inf mask of " + w.maskSpec() + " [" + (g > 1 ? g + "*Lq" : "Lq") + ", Lk]" : "")
                    + ", softmax, bmm with v; full score matrix" + (g > 1 ? "; GQA as " + g + "x query rows per kv head, k/v not repeated" : "");
            return new Call(q, k, v, mask, p.scale(), inputs, variant);
        } catch (RuntimeException e) {
            for (NDArray a : inputs) a.close();
            throw e;
        }
    }

    private static NDArray track(List<NDArray> list, NDArray a) {
        list.add(a);
        return a;
    }

    private static final class Call implements Prepared {
        private final NDArray q, kT, v, mask;
        private final float scale;
        private final List<NDArray> inputs;
        private final String variant;
        private final List<NDArray> produced = new ArrayList<>();
        private NDArray out;

        Call(NDArray q, NDArray k, NDArray v, NDArray mask, float scale, List<NDArray> inputs, String variant) {
            this.q = q;
            this.kT = k.transpose(0, 2, 1);
            inputs.add(kT);
            this.v = v;
            this.mask = mask;
            this.scale = scale;
            this.inputs = inputs;
            this.variant = variant;
        }

        @Override
        public String variant() {
            return variant;
        }

        @Override
        public void run() {
            NDArray s = q.batchMatMul(kT);
            produced.add(s);
            s.muli(scale);
            if (mask != null) s.addi(mask);
            NDArray probs = s.softmax(-1);
            produced.add(probs);
            out = probs.batchMatMul(v);
            produced.add(out);
        }

        @Override
        public void release() {
            for (NDArray a : produced) a.close();
            produced.clear();
            out = null;
        }

        @Override
        public float[] output() {
            return out.toFloatArray();
        }

        @Override
        public void close() {
            release();
            for (NDArray a : inputs) a.close();
        }
    }
}
