package dev.attend.peers;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The hand-written protobuf encoder: known wire bytes, and models ONNX Runtime accepts and runs. */
class OnnxModelTest {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    @Test
    void varintsFloatsAndStringsHaveTheProtobufWireBytes() {
        assertArrayEquals(bytes(0x08, 0x96, 0x01), new ProtoWriter().varint(1, 150).toByteArray());
        assertArrayEquals(bytes(0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), new ProtoWriter().varint(3, -1).toByteArray());
        assertArrayEquals(bytes(0x15, 0x00, 0x00, 0x80, 0x3f), new ProtoWriter().float32(2, 1f).toByteArray());
        assertArrayEquals(bytes(0x12, 0x03, 'a', 'b', 'c'), new ProtoWriter().string(2, "abc").toByteArray());
        assertArrayEquals(bytes(0xa0, 0x01, 0x02), new ProtoWriter().varint(20, 2).toByteArray());
        assertArrayEquals(bytes(0x3a, 0x02, 0x08, 0x01), new ProtoWriter().message(7, new ProtoWriter().varint(1, 1)).toByteArray());
    }

    @Test
    void aStandardOperatorModelLoadsWithItsShapesAndRuns() throws Exception {
        byte[] model = OnnxModel.node("Add", "").input("a", OnnxModel.FLOAT, 2, 3).input("b", OnnxModel.FLOAT, 2, 3)
                .output("c", OnnxModel.FLOAT).opset("", 21).encode();
        try (OrtSession s = ENV.createSession(model, new OrtSession.SessionOptions());
             OnnxTensor a = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(new float[] {1, 2, 3, 4, 5, 6}), new long[] {2, 3});
             OnnxTensor b = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(new float[] {10, 20, 30, 40, 50, 60}), new long[] {2, 3});
             OrtSession.Result r = s.run(Map.of("a", a, "b", b))) {
            Map<String, NodeInfo> in = s.getInputInfo();
            assertArrayEquals(new long[] {2, 3}, ((TensorInfo) in.get("a").getInfo()).getShape());
            assertEquals(s.getOutputNames(), java.util.Set.of("c"));
            float[] c = new float[6];
            ((OnnxTensor) r.get(0)).getFloatBuffer().get(c);
            assertArrayEquals(new float[] {11, 22, 33, 44, 55, 66}, c);
        }
    }

    @Test
    void contribOperatorWithIntAndFloatAttributesAndScalarInputRuns() throws Exception {
        // GroupQueryAttention: attributes of both kinds, a skipped optional input, an int32 vector and an int32 scalar.
        int l = 4, h = 2, d = 8;
        byte[] model = OnnxModel.node("GroupQueryAttention", "com.microsoft")
                .input("query", OnnxModel.FLOAT, 1, l, h * d).input("key", OnnxModel.FLOAT, 1, l, h * d).input("value", OnnxModel.FLOAT, 1, l, h * d)
                .skipInput().skipInput().input("seqlens_k", OnnxModel.INT32, 1).input("total_sequence_length", OnnxModel.INT32)
                .output("output", OnnxModel.FLOAT).output("present_key", OnnxModel.FLOAT).output("present_value", OnnxModel.FLOAT)
                .attribute("num_heads", h).attribute("kv_num_heads", h).attribute("scale", 0.25f)
                .opset("", 21).opset("com.microsoft", 1).encode();
        float[] ones = new float[l * h * d];
        java.util.Arrays.fill(ones, 1f);
        try (OrtSession s = ENV.createSession(model, new OrtSession.SessionOptions());
             OnnxTensor x = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(ones), new long[] {1, l, h * d});
             OnnxTensor seq = OnnxTensor.createTensor(ENV, java.nio.IntBuffer.wrap(new int[] {l - 1}), new long[] {1});
             OnnxTensor total = OnnxTensor.createTensor(ENV, java.nio.IntBuffer.wrap(new int[] {l}), new long[0]);
             OrtSession.Result r = s.run(Map.of("query", x, "key", x, "value", x, "seqlens_k", seq, "total_sequence_length", total))) {
            float[] y = new float[l * h * d];
            ((OnnxTensor) r.get(0)).getFloatBuffer().get(y);
            for (float v : y) assertEquals(1f, v, 1e-6f);   // attention over equal values gives the value
        }
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }
}
