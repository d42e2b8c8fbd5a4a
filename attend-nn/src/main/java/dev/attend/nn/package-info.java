/**
 * Training on Attend's tensors: reverse-mode automatic differentiation ({@code autograd}), layers
 * ({@code layers}), optimisers and losses ({@code optim}), checkpoints, tokenizers ({@code tokenize}) and the
 * seeded synthetic long-context tasks ({@code tasks}) that the models learn.
 */
package dev.attend.nn;
