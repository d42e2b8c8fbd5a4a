package dev.attend.nn.layers;

import dev.attend.nn.autograd.MatMuls;
import dev.attend.nn.autograd.Var;

import java.util.Random;

/**
 * {@code y = x W^T + b}: x {@code [..., in]}, W {@code [out, in]}, b {@code [out]} (optional). Initialised as
 * PyTorch's {@code nn.Linear}: W and b uniform in {@code +-1/sqrt(in)}. Cost {@code 2 * rows * in * out} flops.
 */
public final class Linear extends Module {
    public final Var weight;
    public final Var bias;

    public Linear(int in, int out, boolean bias, Random r) {
        if (in < 1 || out < 1) throw new IllegalArgumentException("Linear: in and out must be >= 1, got " + in + " and " + out);
        float bound = (float) (1 / Math.sqrt(in));
        this.weight = param("weight", uniform(r, bound, out, in));
        this.bias = bias ? param("bias", uniform(r, bound, out)) : null;
    }

    public Var forward(Var x) {
        return MatMuls.linear(x, weight, bias);
    }
}
