/**
 * Layers with named, seeded parameters ({@link dev.attend.nn.layers.Module}): Linear, Embedding, LayerNorm /
 * RMSNorm, MLP / SwiGLU, grouped-query multi-head attention with RoPE and a pluggable mechanism, the pre-norm
 * transformer block and the decoder-only language model.
 */
package dev.attend.nn.layers;
