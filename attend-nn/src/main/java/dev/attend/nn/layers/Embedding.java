package dev.attend.nn.layers;

import dev.attend.nn.autograd.Shapes;
import dev.attend.nn.autograd.Var;

import java.util.Random;

/** A table {@code [count, dim]} of learned rows, initialised normal with std 0.02 (GPT-2's choice); lookup by id. */
public final class Embedding extends Module {
    public final Var weight;

    public Embedding(int count, int dim, Random r) {
        if (count < 1 || dim < 1) throw new IllegalArgumentException("Embedding: count and dim must be >= 1, got " + count + " and " + dim);
        this.weight = param("weight", normal(r, 0.02f, count, dim));
    }

    /** Rows for {@code ids} (shape {@code idShape}), result {@code [idShape..., dim]}. */
    public Var forward(int[] ids, long... idShape) {
        return Shapes.embedding(weight, ids, idShape);
    }
}
