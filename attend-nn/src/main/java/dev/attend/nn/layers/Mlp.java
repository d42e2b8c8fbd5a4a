package dev.attend.nn.layers;

import dev.attend.nn.autograd.Pointwise;
import dev.attend.nn.autograd.Var;

import java.util.Random;

/**
 * The feed-forward block: {@code fc2(gelu(fc1 x))} with biases, or with {@code swiglu}
 * {@code w2(silu(w1 x) * w3 x)} without biases (Llama's). Cost: 2 (3 for SwiGLU) GEMMs of {@code dim x hidden}.
 */
public final class Mlp extends Module {
    private final Linear fc1, fc2, gate;

    public Mlp(int dim, int hidden, boolean swiglu, Random r) {
        this.fc1 = child("fc1", new Linear(dim, hidden, !swiglu, r));
        this.gate = swiglu ? child("gate", new Linear(dim, hidden, false, r)) : null;
        this.fc2 = child("fc2", new Linear(hidden, dim, !swiglu, r));
    }

    public Var forward(Var x) {
        Var h = gate == null ? Pointwise.gelu(fc1.forward(x)) : Pointwise.mul(Pointwise.silu(fc1.forward(x)), gate.forward(x));
        return fc2.forward(h);
    }
}
