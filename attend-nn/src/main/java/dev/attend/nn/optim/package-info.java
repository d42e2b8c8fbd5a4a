/** Optimisers (SGD with momentum, AdamW), schedules and clipping, and the losses (cross-entropy, BCE, MSE). */
package dev.attend.nn.optim;
