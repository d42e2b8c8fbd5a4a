/** Text generation from a trained {@link dev.attend.nn.layers.DecoderLM}: greedy, temperature, top-k and top-p sampling, seeded ({@link dev.attend.nn.generate.Generator}). */
package dev.attend.nn.generate;
