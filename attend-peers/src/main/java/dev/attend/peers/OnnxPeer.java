package dev.attend.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.Support;
import dev.attend.attention.Workload;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ONNX Runtime (CPU execution provider, MLAS kernels) running one attention operator from a one-node model that
 * {@link OnnxModel} writes. Per workload:
 * <ul>
 *   <li><b>full</b>, forward pass: {@code com.microsoft.MultiHeadAttention} with q, k, v as {@code [B, L, H*D]} and
 *       no mask, bias or past: the case ORT's CPU kernel sends to its fused flash-attention kernel
 *       ({@code MlasFlashAttention}) unless {@code ORT_DISABLE_FLASH_ATTENTION} is set. The operator has no
 *       grouped-query attention, so the {@code G = Hq / Hkv} query heads of a key/value head become G times as many
 *       query positions of that head (exact for an unmasked problem), which also keeps K and V at Hkv heads.
 *   <li><b>decode</b> (bottom-right causal with one query is full attention over the cache): MultiHeadAttention
 *       the same way, but with k and v in the KV-cache layout {@code [B, Hkv, Lk, D]} (the operator's "past in
 *       key/value" form). That form takes ORT's unfused path; the flash path would first transpose the whole
 *       {@code [B, Lk, H*D]} cache on every call, which measured about twice as slow at Lk = 16K.
 *   <li><b>causal</b> at {@code Lq == Lk}: {@code com.microsoft.GroupQueryAttention} as a prompt (no past;
 *       {@code seqlens_k = L - 1}, {@code total_sequence_length = L}), which handles any {@code Hq / Hkv}. The model
 *       declares the {@code present_key/present_value} outputs: without them ORT 1.29's CPU kernel computed the whole
 *       score matrix (measured 2x slower at L = 4096), with them it skips the masked half.
 *   <li><b>causal-br</b> with {@code 1 < Lq < Lk} (a chunk of queries over a cache): GroupQueryAttention with the
 *       first {@code Lk - Lq} keys as {@code past_key/past_value} ({@code [B, Hkv, Lk-Lq, D]}) and the last Lq as new
 *       keys; the operator concatenates them into {@code present_key/present_value} on every call. B must be 1.
 *   <li><b>causal</b> (top-left) with {@code Lq != Lk}: the standard opset-23 {@code Attention} operator with
 *       {@code is_causal = 1} and q, k, v as {@code [B, H, L, D]}, whose mask without a past is top-left (query i sees
 *       keys up to i); it takes grouped-query attention directly. (It computes the whole score matrix: at
 *       {@code Lq == Lk} it measured about 2x slower than GroupQueryAttention.)
 * </ul>
 */
final class OnnxPeer implements PeerRunner {
    private static final String MS = "com.microsoft";

    private OrtEnvironment env;

    @Override
    public String name() {
        return "onnx";
    }

    @Override
    public Support support(Workload w) {
        Support s = PeerMask.common(w);
        if (!s.supported()) return s;
        PeerMask m = PeerMask.of(w);
        Workload.Shape sh = w.shape();
        if (m == PeerMask.CAUSAL_BR && sh.qLen() < sh.kLen() && sh.batch() != 1) {
            return Support.no("causal-br with 1 < Lq < Lk needs B = 1 (GroupQueryAttention with a past and several new tokens), got B = " + sh.batch());
        }
        return Support.YES;
    }

    @Override
    public void load(int threads) {
        env = OrtEnvironment.getEnvironment();
    }

    @Override
    public Prepared prepare(Workload w, AttentionProblem p, int threads) throws OrtException {
        PeerMask m = PeerMask.of(w);
        if (m == PeerMask.FULL) return multiHead(p, threads, w.pass() == Workload.Pass.DECODE);
        if (m == PeerMask.CAUSAL) return standardAttention(p, threads);
        return groupQuery(p, threads);
    }

    private OrtSession.SessionOptions options(int threads) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(threads);
        o.setInterOpNumThreads(1);
        o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        // GroupQueryAttention's shape inference disagrees with its present outputs; ORT warns on every run.
        o.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
        return o;
    }

    /** Full attention: MultiHeadAttention, the fused flash path for a forward pass, k/v as a KV cache for decoding. */
    private Prepared multiHead(AttentionProblem p, int threads, boolean cacheLayout) throws OrtException {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), lq = p.lq(), lk = p.lk(), d = p.headDim(), g = hq / hkv;
        long[] qShape = {b, (long) g * lq, (long) hkv * d};
        long[] kvShape = cacheLayout ? new long[] {b, hkv, lk, d} : new long[] {b, lk, (long) hkv * d};
        byte[] model = OnnxModel.node("MultiHeadAttention", MS)
                .input("query", OnnxModel.FLOAT, qShape)
                .input("key", OnnxModel.FLOAT, kvShape)
                .input("value", OnnxModel.FLOAT, kvShape)
                .output("output", OnnxModel.FLOAT)
                .attribute("num_heads", hkv)
                .attribute("scale", p.scale())
                .opset("", 21).opset(MS, 1)
                .encode();
        Map<String, OnnxTensor> in = new LinkedHashMap<>();
        try {
            in.put("query", floats(Layouts.toGroupedBsh(p.q().toArray(), b, hkv, g, lq, d), qShape));
            float[] k = p.k().toArray(), v = p.v().toArray();
            in.put("key", floats(cacheLayout ? k : Layouts.toBsh(k, b, hkv, lk, d), kvShape));
            in.put("value", floats(cacheLayout ? v : Layouts.toBsh(v, b, hkv, lk, d), kvShape));
        } catch (OrtException | RuntimeException e) {
            closeAll(in);
            throw e;
        }
        String flashOff = System.getenv("ORT_DISABLE_FLASH_ATTENTION");
        boolean flash = !cacheLayout && (flashOff == null || flashOff.matches("0|false"));
        String variant = "com.microsoft.MultiHeadAttention, " + (flash ? "fused flash kernel (MlasFlashAttention), q/k/v [B, L, H*D]"
                : cacheLayout ? "unfused (QK^T gemm, softmax, gemm), q [B, L, H*D], k/v as a KV cache [B, Hkv, Lk, D]"
                : "unfused (ORT_DISABLE_FLASH_ATTENTION set), q/k/v [B, L, H*D]")
                + ", no mask" + (g > 1 ? "; the " + g + " query heads of each kv head as " + g + "x query positions" : "");
        return new Session(model, options(threads), in, variant, y -> Layouts.fromGroupedBsh(y, b, hkv, g, lq, d));
    }

    /** Causal: GroupQueryAttention, as a prompt (Lq == Lk) or with a past (Lq < Lk). */
    private Prepared groupQuery(AttentionProblem p, int threads) throws OrtException {
        int b = p.batch(), hq = p.hq(), hkv = p.hkv(), lq = p.lq(), lk = p.lk(), d = p.headDim(), past = lk - lq;
        long[] qShape = {b, lq, (long) hq * d}, kvShape = {b, lq, (long) hkv * d}, pastShape = {b, hkv, past, d};
        OnnxModel model = OnnxModel.node("GroupQueryAttention", MS)
                .input("query", OnnxModel.FLOAT, qShape)
                .input("key", OnnxModel.FLOAT, kvShape)
                .input("value", OnnxModel.FLOAT, kvShape);
        if (past > 0) model.input("past_key", OnnxModel.FLOAT, pastShape).input("past_value", OnnxModel.FLOAT, pastShape);
        else model.skipInput().skipInput();
        model.input("seqlens_k", OnnxModel.INT32, b)
                .input("total_sequence_length", OnnxModel.INT32)
                .output("output", OnnxModel.FLOAT)
                .output("present_key", OnnxModel.FLOAT)
                .output("present_value", OnnxModel.FLOAT)
                .attribute("num_heads", hq)
                .attribute("kv_num_heads", hkv)
                .attribute("scale", p.scale())
                .opset("", 21).opset(MS, 1);
        float[] k = p.k().toArray(), v = p.v().toArray();
        Map<String, OnnxTensor> in = new LinkedHashMap<>();
        try {
            in.put("query", floats(Layouts.toBsh(p.q().toArray(), b, hq, lq, d), qShape));
            in.put("key", floats(Layouts.toBsh(Layouts.rows(k, b, hkv, lk, d, past, lk), b, hkv, lq, d), kvShape));
            in.put("value", floats(Layouts.toBsh(Layouts.rows(v, b, hkv, lk, d, past, lk), b, hkv, lq, d), kvShape));
            if (past > 0) {
                in.put("past_key", floats(Layouts.rows(k, b, hkv, lk, d, 0, past), pastShape));
                in.put("past_value", floats(Layouts.rows(v, b, hkv, lk, d, 0, past), pastShape));
            }
            int[] seqlens = new int[b];
            java.util.Arrays.fill(seqlens, lk - 1);
            in.put("seqlens_k", OnnxTensor.createTensor(env, IntBuffer.wrap(seqlens), new long[] {b}));
            in.put("total_sequence_length", OnnxTensor.createTensor(env, IntBuffer.wrap(new int[] {lk}), new long[0]));
        } catch (OrtException | RuntimeException e) {
            closeAll(in);
            throw e;
        }
        String variant = "com.microsoft.GroupQueryAttention, causal, q [B, L, Hq*D], k/v [B, L, Hkv*D]"
                + (past > 0 ? "; first " + past + " keys as past_key/past_value [B, Hkv, S, D], concatenated into present_key/present_value each call"
                        : ", prompt (no past)");
        return new Session(model.encode(), options(threads), in, variant, y -> Layouts.fromBsh(y, b, hq, lq, d));
    }

    /** Top-left causal: the opset-23 Attention operator on [B, H, L, D] tensors. */
    private Prepared standardAttention(AttentionProblem p, int threads) throws OrtException {
        long[] qShape = p.q().shape(), kvShape = p.k().shape();
        byte[] model = OnnxModel.node("Attention", "")
                .input("Q", OnnxModel.FLOAT, qShape)
                .input("K", OnnxModel.FLOAT, kvShape)
                .input("V", OnnxModel.FLOAT, kvShape)
                .output("Y", OnnxModel.FLOAT)
                .attribute("is_causal", 1)
                .attribute("scale", p.scale())
                .opset("", 23).irVersion(11)
                .encode();
        Map<String, OnnxTensor> in = new LinkedHashMap<>();
        try {
            in.put("Q", floats(p.q().toArray(), qShape));
            in.put("K", floats(p.k().toArray(), kvShape));
            in.put("V", floats(p.v().toArray(), kvShape));
        } catch (OrtException | RuntimeException e) {
            closeAll(in);
            throw e;
        }
        return new Session(model, options(threads), in, "ONNX Attention (opset 23), is_causal=1 (top-left without a past), q/k/v [B, H, L, D]",
                y -> y);
    }

    private OnnxTensor floats(float[] data, long[] shape) throws OrtException {
        FloatBuffer buf = ByteBuffer.allocateDirect(data.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        buf.put(data).rewind();
        return OnnxTensor.createTensor(env, buf, shape);
    }

    private static void closeAll(Map<String, OnnxTensor> tensors) {
        for (OnnxTensor t : tensors.values()) t.close();
    }

    /** A session over one model with its inputs as OnnxTensors, created before timing. */
    private final class Session implements Prepared {
        private final OrtSession session;
        private final Map<String, OnnxTensor> inputs;
        private final String variant;
        private final java.util.function.UnaryOperator<float[]> toBhld;
        private OrtSession.Result result;

        Session(byte[] model, OrtSession.SessionOptions options, Map<String, OnnxTensor> inputs, String variant,
                java.util.function.UnaryOperator<float[]> toBhld) throws OrtException {
            try {
                this.session = env.createSession(model, options);
            } catch (OrtException | RuntimeException e) {
                closeAll(inputs);
                throw e;
            } finally {
                options.close();
            }
            this.inputs = inputs;
            this.variant = variant;
            this.toBhld = toBhld;
        }

        @Override
        public String variant() {
            return variant;
        }

        @Override
        public void run() throws OrtException {
            result = session.run(inputs);
        }

        @Override
        public void release() {
            if (result != null) result.close();
            result = null;
        }

        @Override
        public float[] output() throws OrtException {
            OnnxTensor out = (OnnxTensor) result.get(0);
            FloatBuffer fb = out.getFloatBuffer();
            float[] y = new float[fb.remaining()];
            fb.get(y);
            return toBhld.apply(y);
        }

        @Override
        public void close() throws OrtException {
            release();
            closeAll(inputs);
            session.close();
        }
    }
}
