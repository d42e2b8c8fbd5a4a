package dev.attend.peers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A one-node ONNX model (a {@code ModelProto} holding a {@code GraphProto} with one {@code NodeProto}), encoded
 * with {@link ProtoWriter}: enough to hand ONNX Runtime one attention operator with fixed input shapes.
 * Field numbers are those of {@code onnx.proto}. Inputs are graph inputs (no initializers), so the caller
 * feeds every tensor, including small integer ones such as {@code seqlens_k}.
 *
 * <pre>{@code
 * byte[] model = OnnxModel.node("MultiHeadAttention", "com.microsoft")
 *         .input("query", OnnxModel.FLOAT, 1, 4096, 1024) ... .output("output", OnnxModel.FLOAT)
 *         .attribute("num_heads", 8).opset("", 21).opset("com.microsoft", 1).encode();
 * }</pre>
 */
final class OnnxModel {
    /** {@code TensorProto.DataType} values. */
    static final int FLOAT = 1, INT32 = 6, INT64 = 7;

    /** IR version 10 (ONNX 1.16), readable by every recent ONNX Runtime; opset 23 needs 11. */
    static final long DEFAULT_IR_VERSION = 10;

    private record Value(String name, int elemType, long[] dims) {}

    private final String opType, domain;
    private final List<String> nodeInputs = new ArrayList<>(), nodeOutputs = new ArrayList<>();
    private final List<Value> graphInputs = new ArrayList<>(), graphOutputs = new ArrayList<>();
    private final List<ProtoWriter> attributes = new ArrayList<>();
    private final Map<String, Long> opsets = new LinkedHashMap<>();
    private long irVersion = DEFAULT_IR_VERSION;

    private OnnxModel(String opType, String domain) {
        this.opType = opType;
        this.domain = domain;
    }

    /** A model of one node of {@code opType} in {@code domain} ({@code ""} for the standard ONNX domain). */
    static OnnxModel node(String opType, String domain) {
        return new OnnxModel(opType, domain);
    }

    /** A graph input of fixed shape, fed to the node in call order ({@code dims} empty for a scalar). */
    OnnxModel input(String name, int elemType, long... dims) {
        nodeInputs.add(name);
        graphInputs.add(new Value(name, elemType, dims.clone()));
        return this;
    }

    /** An optional node input left out (ONNX marks it with an empty name). */
    OnnxModel skipInput() {
        nodeInputs.add("");
        return this;
    }

    /** A graph output of the given type; its shape is left to the runtime's inference. */
    OnnxModel output(String name, int elemType) {
        nodeOutputs.add(name);
        graphOutputs.add(new Value(name, elemType, null));
        return this;
    }

    /** An optional node output left out. */
    OnnxModel skipOutput() {
        nodeOutputs.add("");
        return this;
    }

    OnnxModel attribute(String name, long value) {
        attributes.add(new ProtoWriter().string(1, name).varint(3, value).varint(20, 2));   // type INT
        return this;
    }

    OnnxModel attribute(String name, float value) {
        attributes.add(new ProtoWriter().string(1, name).float32(2, value).varint(20, 1));  // type FLOAT
        return this;
    }

    OnnxModel opset(String opsetDomain, long version) {
        opsets.put(opsetDomain, version);
        return this;
    }

    OnnxModel irVersion(long version) {
        irVersion = version;
        return this;
    }

    /** The serialized {@code ModelProto}. */
    byte[] encode() {
        ProtoWriter node = new ProtoWriter();
        for (String in : nodeInputs) node.string(1, in);
        for (String out : nodeOutputs) node.string(2, out);
        node.string(3, opType + "_0").string(4, opType);
        for (ProtoWriter a : attributes) node.message(5, a);
        if (!domain.isEmpty()) node.string(7, domain);

        ProtoWriter graph = new ProtoWriter().message(1, node).string(2, "attend_peer_" + opType);
        for (Value v : graphInputs) graph.message(11, valueInfo(v));
        for (Value v : graphOutputs) graph.message(12, valueInfo(v));

        ProtoWriter model = new ProtoWriter().varint(1, irVersion).string(2, "attend-peers").message(7, graph);
        for (Map.Entry<String, Long> o : opsets.entrySet()) {
            ProtoWriter id = new ProtoWriter();
            if (!o.getKey().isEmpty()) id.string(1, o.getKey());
            model.message(8, id.varint(2, o.getValue()));
        }
        return model.toByteArray();
    }

    private static ProtoWriter valueInfo(Value v) {
        ProtoWriter tensor = new ProtoWriter().varint(1, v.elemType());
        if (v.dims() != null) {
            ProtoWriter shape = new ProtoWriter();
            for (long d : v.dims()) shape.message(1, new ProtoWriter().varint(1, d));
            tensor.message(2, shape);
        }
        return new ProtoWriter().string(1, v.name()).message(2, new ProtoWriter().message(1, tensor));
    }
}
