/** The training loop ({@link dev.attend.nn.train.Trainer}) and atomic, resumable checkpoints ({@link dev.attend.nn.train.Checkpoint}). */
package dev.attend.nn.train;
