/**
 * Reverse-mode automatic differentiation on Attend's float32 {@link dev.attend.tensor.Tensor}s.
 *
 * <p>{@link dev.attend.nn.autograd.Var} is the node (value, gradient, one backward closure per op) and runs the
 * backward pass; the ops are static methods grouped by concern: {@link dev.attend.nn.autograd.Pointwise}
 * (broadcasting arithmetic, activations, dropout), {@link dev.attend.nn.autograd.Reductions} (sum, mean, max,
 * softmax, log-softmax), {@link dev.attend.nn.autograd.Shapes} (views, concat, gather, embedding, scatter-add),
 * {@link dev.attend.nn.autograd.MatMuls} (matmul and linear on {@link dev.attend.simd.MatMul}),
 * {@link dev.attend.nn.autograd.Norms}, {@link dev.attend.nn.autograd.Rope} and
 * {@link dev.attend.nn.autograd.AttentionOp} (any registered mechanism with a backward pass).
 */
package dev.attend.nn.autograd;
