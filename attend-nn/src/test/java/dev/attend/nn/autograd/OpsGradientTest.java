package dev.attend.nn.autograd;

import dev.attend.attention.Attention;
import dev.attend.attention.mask.Masks;
import dev.attend.tensor.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static dev.attend.nn.autograd.GradCheck.randn;
import static dev.attend.nn.autograd.GradCheck.slicedView;
import static dev.attend.nn.autograd.GradCheck.transposedView;
import static dev.attend.nn.autograd.GradCheck.uniform;

/** Every op's gradient against finite differences ({@link GradCheck}), on broadcasts and non-contiguous views. */
class OpsGradientTest {
    private final List<DynamicTest> cases = new ArrayList<>();

    private void add(String name, Function<Var[], Var> f, Tensor... inputs) {
        cases.add(DynamicTest.dynamicTest(name, () -> GradCheck.check(name, f, inputs)));
    }

    /** Normal samples pushed at least 0.1 away from 0 (ReLU's kink). */
    private static Tensor awayFromZero(long seed, long... shape) {
        Tensor t = randn(seed, shape);
        float[] a = t.heapArray();
        for (int i = 0; i < a.length; i++) a[i] = a[i] >= 0 ? a[i] + 0.1f : a[i] - 0.1f;
        return t;
    }

    @TestFactory
    List<DynamicTest> pointwise() {
        add("add same shape", v -> Pointwise.add(v[0], v[1]), randn(1, 3, 4), randn(2, 3, 4));
        add("add bias broadcast", v -> Pointwise.add(v[0], v[1]), randn(1, 3, 17), randn(2, 17));
        add("mul both broadcast", v -> Pointwise.mul(v[0], v[1]), randn(1, 2, 1, 4), randn(2, 3, 1));
        add("sub scalar-shaped", v -> Pointwise.sub(v[0], v[1]), randn(1, 3, 4), randn(2, 1));
        add("div", v -> Pointwise.div(v[0], v[1]), randn(1, 3, 4), uniform(2, 0.5f, 2f, 3, 1));
        add("add views", v -> Pointwise.add(v[0], v[1]), transposedView(1, 3, 4), slicedView(2, 3, 4));
        add("mul views broadcast", v -> Pointwise.mul(v[0], v[1]), transposedView(1, 2, 5, 3), slicedView(2, 5, 1));
        add("affine", v -> Pointwise.affine(v[0], 1.5f, -2f), transposedView(1, 3, 4));
        add("exp", v -> Pointwise.exp(v[0]), randn(1, 3, 11));
        add("log", v -> Pointwise.log(v[0]), uniform(1, 0.5f, 2f, 3, 4));
        add("sqrt", v -> Pointwise.sqrt(v[0]), uniform(1, 0.5f, 2f, 3, 4));
        add("pow", v -> Pointwise.pow(v[0], 2.5f), uniform(1, 0.5f, 2f, 3, 4));
        add("relu", v -> Pointwise.relu(v[0]), awayFromZero(1, 3, 4));
        add("gelu (vector and tail)", v -> Pointwise.gelu(v[0]), transposedView(1, 3, 11));
        add("silu", v -> Pointwise.silu(v[0]), randn(1, 3, 11));
        add("sigmoid", v -> Pointwise.sigmoid(v[0]), randn(1, 3, 11));
        add("tanh", v -> Pointwise.tanh(v[0]), randn(1, 3, 4));
        add("prelu per channel", v -> Pointwise.prelu(v[0], v[1]), awayFromZero(1, 3, 4), uniform(2, 0.1f, 0.5f, 4));
        add("prelu shared", v -> Pointwise.prelu(v[0], v[1]), awayFromZero(1, 3, 4), uniform(2, 0.1f, 0.5f, 1));
        add("dropout (seeded)", v -> Pointwise.dropout(v[0], 0.3f, 99), randn(1, 4, 9));
        return cases;
    }

    @TestFactory
    List<DynamicTest> reductions() {
        add("sumAll", v -> Reductions.sumAll(v[0]), transposedView(1, 3, 4));
        add("sum axes 0,2 keep", v -> Reductions.sum(v[0], true, 0, 2), randn(1, 2, 3, 4));
        add("sum last axis", v -> Reductions.sum(v[0], false, -1), randn(1, 3, 19));
        add("mean axis 1", v -> Reductions.mean(v[0], false, 1), slicedView(1, 2, 3, 4));
        add("max axis 1", v -> Reductions.max(v[0], 1, false), randn(1, 2, 5, 3));
        add("softmax", v -> Reductions.softmax(v[0]), transposedView(1, 3, 19));
        add("logSoftmax", v -> Reductions.logSoftmax(v[0]), randn(1, 3, 19));
        return cases;
    }

    @TestFactory
    List<DynamicTest> shapes() {
        add("reshape of a view", v -> Pointwise.mul(Shapes.reshape(v[0], 4, -1), v[1]), transposedView(1, 3, 4), randn(2, 4, 3));
        add("permute", v -> Pointwise.mul(Shapes.permute(v[0], 2, 0, 1), v[1]), randn(1, 2, 3, 4), randn(2, 4, 2, 3));
        add("transpose", v -> Shapes.contiguous(Shapes.transpose(v[0], 0, 1)), randn(1, 3, 4));
        add("slice", v -> Pointwise.exp(Shapes.slice(v[0], 1, 1, 3)), randn(1, 2, 4, 3));
        add("concat views", v -> Shapes.concat(1, v[0], v[1]), transposedView(1, 2, 3), randn(2, 2, 4));
        int[] ids = {3, 0, 3, 1, 4, 2};
        add("embedding (repeated ids)", v -> Shapes.embedding(v[0], ids, 2, 3), randn(1, 5, 4));
        int[] index = {2, 0, 1, 1, 0, 2, 2, 2};
        add("gather dim 1", v -> Shapes.gather(v[0], 1, index, 2, 2, 2), randn(1, 2, 3, 2));
        add("scatterAdd dim 1", v -> Shapes.scatterAdd(v[0], 1, index, v[1]), randn(1, 2, 3, 2), randn(2, 2, 2, 2));
        return cases;
    }

    @TestFactory
    List<DynamicTest> normsAndRope() {
        add("layerNorm", v -> Norms.layerNorm(v[0], v[1], v[2], 1e-5f), transposedView(1, 4, 11), randn(2, 11), randn(3, 11));
        add("rmsNorm", v -> Norms.rmsNorm(v[0], v[1], 1e-5f), randn(1, 2, 3, 11), randn(2, 11));
        add("batchNorm training", v -> Norms.batchNorm(v[0], v[1], v[2], new float[5], ones(5), 0.1f, 1e-5f, true),
                randn(1, 4, 3, 5), randn(2, 5), randn(3, 5));
        add("batchNorm eval", v -> Norms.batchNorm(v[0], v[1], v[2], new float[] {.1f, .2f, .3f}, new float[] {1, 2, 3}, 0.1f, 1e-5f, false),
                randn(1, 4, 3), randn(2, 3), randn(3, 3));
        add("rope", v -> Rope.rope(v[0], null, 10000), randn(1, 2, 5, 3, 8));
        add("rope at positions", v -> Rope.rope(v[0], new int[] {7, 3, 100}, 500), randn(1, 1, 3, 2, 4));
        return cases;
    }

    @TestFactory
    List<DynamicTest> products() {
        add("matmul [2,3,5] x [5,4]", v -> MatMuls.matmul(v[0], v[1]), randn(1, 2, 3, 5), randn(2, 5, 4));
        add("matmul batched views", v -> MatMuls.matmul(v[0], v[1]), transposedView(1, 2, 3, 5), slicedView(2, 2, 5, 4));
        add("linear with bias", v -> MatMuls.linear(v[0], v[1], v[2]), randn(1, 2, 3, 7), randn(2, 5, 7), randn(3, 5));
        add("linear on a view, no bias", v -> MatMuls.linear(v[0], v[1], null), transposedView(1, 6, 19), randn(2, 17, 19));
        return cases;
    }

    @TestFactory
    List<DynamicTest> attention() {
        // q [B, Hq, L, D] as heads permuted out of [B, L, H, D], as the layers pass them; GQA 4:2, causal.
        add("flash causal GQA on views", v -> AttentionOp.attention(Shapes.permute(v[0], 0, 2, 1, 3), Shapes.permute(v[1], 0, 2, 1, 3),
                        Shapes.permute(v[2], 0, 2, 1, 3), Masks.causal()),
                randn(1, 1, 6, 4, 8), randn(2, 1, 6, 2, 8), randn(3, 1, 6, 2, 8));
        add("flash full, other scale", v -> AttentionOp.attention(v[0], v[1], v[2], Attention.flash(), Masks.full(), 0.3f),
                randn(1, 2, 1, 3, 4), randn(2, 2, 1, 5, 4), randn(3, 2, 1, 5, 4));
        return cases;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

}
