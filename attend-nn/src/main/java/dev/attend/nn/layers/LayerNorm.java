package dev.attend.nn.layers;

import dev.attend.nn.autograd.Norms;
import dev.attend.nn.autograd.Var;

/** LayerNorm (gamma 1, beta 0, eps 1e-5) or, with {@code rms}, RMSNorm (gamma only), over the last dimension. */
public final class LayerNorm extends Module {
    public final Var gamma;
    public final Var beta;
    private final float eps = 1e-5f;

    public LayerNorm(int dim, boolean rms) {
        this.gamma = param("weight", filled(1f, dim));
        this.beta = rms ? null : param("bias", filled(0f, dim));
    }

    public Var forward(Var x) {
        return beta == null ? Norms.rmsNorm(x, gamma, eps) : Norms.layerNorm(x, gamma, beta, eps);
    }
}
