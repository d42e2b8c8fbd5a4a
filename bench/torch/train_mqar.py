#!/usr/bin/env python3
"""Trains the issue's performance-anchor model on MQAR in PyTorch, on the batches Attend's generator makes.

Model: a decoder-only transformer, pre-LayerNorm, n_layer 2, d_model 128, 2 heads, MLP 4x with GELU, learned
absolute positions, causal softmax attention, final LayerNorm, output head tied to the token embedding, biases in
every linear layer, no dropout. At vocab 8192 and sequence 256 it has 1,478,144 parameters.

Data: the batches come from Attend's Java generator (dev.attend.nn.tasks.TaskExport), exported to .npy files, so
PyTorch and Attend train on identical batches: step s is examples s*B .. s*B+B-1 of the TRAIN split; the test set is
examples 0 .. T-1 of the TEST split. If --data holds no export for these settings, the script runs the exporter
(it needs `mvn -o install -DskipTests -pl attend-core` and `mvn -o compile -pl attend-nn` done, and a JDK 25).

Optimiser: AdamW (betas 0.9, 0.999, eps 1e-8, weight decay --wd on every parameter), constant learning rate after
an optional linear warm-up, or cosine decay to 0 over --steps with --cosine. Loss: cross-entropy over the answer
positions only (targets -100 elsewhere).

Model FLOPs of one training step, counted exactly for the matrix products (2 FLOPs per multiply-add) and nothing
else (LayerNorm, GELU, softmax, bias adds, the embedding gather and the optimiser are O(N d) and left out):
    forward  = n_layer * (24 N d^2        # QKV (6 N d^2), output projection (2 N d^2), MLP (16 N d^2)
                          + 4 B L^2 d)    # Q K^T and P V over the full L x L score matrix, as computed here
               + 2 A d V                  # the tied head: A = N (all positions) or the answer count (--answer-head)
    backward = 2 * forward                # every product needs the gradients of both its operands
    step     = 3 * forward
with N = B L tokens. At B 64, L 256, V 8192 this is 9.44 MFLOP a token (the issue's 83 GFLOP/s at 8.8K tokens/s).

Output: one line per step on stdout (loss, accuracy on answers, tokens/s, GFLOP/s), test accuracy every
--eval-every steps and at the end, against wall time (training time, evaluation excluded, and wall time with it),
and all of it in OUT.json plus OUT-steps.csv and OUT-eval.csv. The summary's tokens/s and GFLOP/s are those of the
median step after the first two (the mean, which includes the stalls of a shared machine, is given beside it).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

IGNORE = -100
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seq", type=int, default=256, help="sequence length (default 256)")
    p.add_argument("--pairs", type=int, default=16, help="key-value pairs (default 16)")
    p.add_argument("--vocab", type=int, default=8192, help="vocabulary size (default 8192)")
    p.add_argument("--power", type=float, default=0.01, help="Zoology's power_a for query placement (default 0.01)")
    p.add_argument("--task-seed", type=int, default=0, help="seed of the generator (default 0)")
    p.add_argument("--batch", type=int, default=64, help="batch size (default 64)")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    p.add_argument("--wd", type=float, default=0.1, help="AdamW weight decay (default 0.1, as Zoology)")
    p.add_argument("--warmup", type=int, default=0, help="linear warm-up steps (default 0)")
    p.add_argument("--cosine", action="store_true", help="cosine decay of the learning rate to --min-lr over --steps")
    p.add_argument("--min-lr", type=float, default=0.0, help="floor of the cosine decay (attend train: lr / 10)")
    p.add_argument("--clip", type=float, default=0.0, help="clip gradients to this global L2 norm (0: off; attend train: 1.0)")
    p.add_argument("--rope", action="store_true", help="rotary positions (rotate-half, base 10000) instead of a learned table")
    p.add_argument("--attend", action="store_true",
                   help="attend train's recipe: warm-up a tenth of --steps, cosine to lr/10, clip 1.0, head at the answers")
    p.add_argument("--steps", type=int, default=1000, help="training steps, also the number exported (default 1000)")
    p.add_argument("--time-limit", type=float, default=0, help="stop after this many seconds of training (0: none)")
    p.add_argument("--answer-head", action="store_true", help="compute the output head only at answer positions")
    p.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--heads", type=int, default=2)
    p.add_argument("--test-examples", type=int, default=1000, help="test set size (default 1000)")
    p.add_argument("--eval-every", type=int, default=50, help="evaluate on the test set every N steps (default 50)")
    p.add_argument("--seed", type=int, default=0, help="torch seed for the initialisation (default 0)")
    p.add_argument("--data", default=None, help="export directory (default bench-out/torch-data/mqar-V-L-P-B-S)")
    p.add_argument("--profile", action="store_true",
                   help="profile step 2: print the ops that take the time and the profiler's FLOP count beside the formula's")
    p.add_argument("--peak-gflops", type=float, default=0, help="FMA peak of this machine (GFLOP/s), to print the ratio")
    p.add_argument("--out", default="bench-out/torch-mqar", help="output prefix for .json and .csv (default bench-out/torch-mqar)")
    return p.parse_args()


def rotate(x, cos, sin):
    """Rotate-half RoPE (GPT-NeoX, Llama; Attend's Rope): the pair (x[i], x[i + D/2]) turns by p * base^(-2i/D)."""
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


def rope_tables(seq, dim, base=10000.0):
    inv = base ** (-2.0 * torch.arange(dim // 2, dtype=torch.float64) / dim)
    angle = torch.arange(seq, dtype=torch.float64)[:, None] * inv[None, :]
    return angle.cos().float(), angle.sin().float()


class Block(nn.Module):
    def __init__(self, d, heads, rope=None):
        super().__init__()
        self.heads = heads
        self.rope = rope
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x, causal):
        b, l, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (t.view(b, l, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v))
        if self.rope is not None:
            cos, sin = self.rope[0][:l], self.rope[1][:l]
            q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // self.heads))
        s = s.masked_fill(causal[:l, :l], float("-inf"))
        a = (s.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, l, d)
        x = x + self.proj(a)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))  # Attend's GELU


class Decoder(nn.Module):
    def __init__(self, vocab, seq, d, heads, layers, rope=False):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        nn.init.normal_(self.tok.weight, std=0.02)
        self.pos = None
        if not rope:
            self.pos = nn.Embedding(seq, d)
            nn.init.normal_(self.pos.weight, std=0.02)
        tables = rope_tables(seq, d // heads) if rope else None
        self.blocks = nn.ModuleList(Block(d, heads, tables) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.register_buffer("causal", torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1), persistent=False)

    def hidden(self, ids):
        x = self.tok(ids)
        if self.pos is not None:
            x = x + self.pos.weight[: ids.shape[1]]
        for blk in self.blocks:
            x = blk(x, self.causal)
        return self.ln(x)

    def logits(self, h):
        return h @ self.tok.weight.t()  # tied head


def step_flops(b, l, d, vocab, layers, answers):
    n = b * l
    forward = layers * (24 * n * d * d + 4 * b * l * l * d) + 2 * answers * d * vocab
    return 3 * forward


def export(args, data):
    meta = os.path.join(data, "task.json")
    if os.path.exists(meta):
        m = json.load(open(meta))
        want = {"vocab_size": args.vocab, "seq_length": args.seq, "batch": args.batch}
        config = f"Mqar[vocabSize={args.vocab}, seqLength={args.seq}, pairs={args.pairs}, powerA={args.power}, seed={args.task_seed}]"
        if all(m.get(k) == v for k, v in want.items()) and m["config"] == config and m["steps"] >= args.steps \
                and m["test_examples"] >= args.test_examples:
            return m
    java = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java")
    cp = os.pathsep.join(os.path.join(REPO, mod, "target", "classes") for mod in ("attend-core", "attend-nn"))
    spec = f"mqar:vocab={args.vocab},seq={args.seq},pairs={args.pairs},power={args.power},seed={args.task_seed}"
    cmd = [java, "--add-modules", "jdk.incubator.vector", "-cp", cp, "dev.attend.nn.tasks.TaskExport", spec, data,
           str(args.steps), str(args.batch), str(args.test_examples)]
    print("exporting:", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    return json.load(open(meta))


def load(data, name):
    return torch.from_numpy(np.load(os.path.join(data, name)).astype(np.int64))


def evaluate(model, inputs, targets, batch):
    model.eval()
    right = total = 0
    with torch.no_grad():
        for i in range(0, inputs.shape[0], batch):
            x, y = inputs[i:i + batch], targets[i:i + batch]
            mask = y != IGNORE
            pred = model.logits(model.hidden(x)[mask]).argmax(dim=-1)
            right += (pred == y[mask]).sum().item()
            total += mask.sum().item()
    model.train()
    return right / total


def report_profile(prof, formula):
    events = prof.key_averages()
    print(events.table(sort_by="self_cpu_time_total", row_limit=15), flush=True)
    counted = sum(e.flops for e in events if e.flops)
    print(f"profiler-counted FLOPs {counted:.4g} (mm, addmm, bmm, ...), formula {formula:.4g}, "
          f"ratio {counted / formula:.4f}", flush=True)


def main():
    args = parse_args()
    if args.attend:
        args.warmup, args.cosine, args.min_lr, args.clip, args.answer_head = max(1, args.steps // 10), True, args.lr / 10, 1.0, True
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = args.data or os.path.join("bench-out", "torch-data",
                                     f"mqar-{args.vocab}-{args.seq}-{args.pairs}-{args.batch}-{args.task_seed}")
    meta = export(args, data)
    train_x, train_y = load(data, "train-inputs.npy"), load(data, "train-targets.npy")
    test_x, test_y = load(data, "test-inputs.npy")[: args.test_examples], load(data, "test-targets.npy")[: args.test_examples]

    model = Decoder(args.vocab, args.seq, args.d_model, args.heads, args.layers, args.rope)
    params = sum(p.numel() for p in model.parameters())
    # Attend's AdamW: decay on matrices, none on biases and norm weights (1-D tensors)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.999), eps=1e-8)

    def lr_at(s):  # Attend's Schedules.warmupCosine
        if s < args.warmup:
            return args.lr * (s + 1) / args.warmup
        if args.cosine:
            t = (s - args.warmup) / max(1, args.steps - args.warmup)
            return args.min_lr + (args.lr - args.min_lr) * 0.5 * (1 + math.cos(math.pi * t))
        return args.lr

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {params:,} parameters; task {meta['config']}", flush=True)
    steps, evals = [], []
    train_time = 0.0
    wall0 = time.perf_counter()
    s = 0
    while s < args.steps and (args.time_limit <= 0 or train_time < args.time_limit):
        x, y = train_x[s], train_y[s]
        for g in opt.param_groups:
            g["lr"] = lr_at(s)
        prof = torch.profiler.profile(with_flops=True) if args.profile and s == 2 else None
        if prof:
            prof.__enter__()
        t0 = time.perf_counter()
        h = model.hidden(x)
        mask = y != IGNORE
        if args.answer_head:
            logits = model.logits(h[mask])
            loss = F.cross_entropy(logits, y[mask])
            pred = logits.argmax(dim=-1)
            answers = int(mask.sum())
            head_rows = answers
        else:
            logits = model.logits(h)
            loss = F.cross_entropy(logits.view(-1, args.vocab), y.view(-1), ignore_index=IGNORE)
            pred = logits[mask].argmax(dim=-1)
            answers = int(mask.sum())
            head_rows = x.numel()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        dt = time.perf_counter() - t0
        if prof:
            prof.__exit__(None, None, None)
            report_profile(prof, step_flops(x.shape[0], x.shape[1], args.d_model, args.vocab, args.layers,
                                            int(mask.sum()) if args.answer_head else x.numel()))
        train_time += dt
        if not math.isfinite(loss.item()):
            sys.exit(f"step {s}: loss is {loss.item()}; stopping")
        acc = (pred == y[mask]).float().mean().item()
        flops = step_flops(x.shape[0], x.shape[1], args.d_model, args.vocab, args.layers, head_rows)
        rec = {"step": s, "loss": loss.item(), "accuracy": acc, "seconds": dt, "train_time": train_time,
               "wall_time": time.perf_counter() - wall0, "tokens_per_s": x.numel() / dt, "gflops": flops / dt / 1e9,
               "lr": lr_at(s)}
        steps.append(rec)
        ratio = f" ({100 * rec['gflops'] / args.peak_gflops:.0f}% of peak)" if args.peak_gflops > 0 else ""
        print(f"step {s:5d}  loss {rec['loss']:.4f}  acc {acc:.3f}  {dt:.3f} s  {rec['tokens_per_s']:,.0f} tok/s  "
              f"{rec['gflops']:.1f} GFLOP/s{ratio}", flush=True)
        s += 1
        if s % args.eval_every == 0 or s == args.steps:
            test_acc = evaluate(model, test_x, test_y, args.batch)
            evals.append({"step": s, "seconds": train_time, "token_accuracy": test_acc,
                          "wall_time": time.perf_counter() - wall0})
            print(f"eval  step {s:5d}  test accuracy {test_acc:.4f}  train time {train_time:.1f} s", flush=True)
    if not evals or evals[-1]["step"] != s:
        test_acc = evaluate(model, test_x, test_y, args.batch)
        evals.append({"step": s, "seconds": train_time, "token_accuracy": test_acc, "wall_time": time.perf_counter() - wall0})
        print(f"eval  step {s:5d}  test accuracy {test_acc:.4f}  train time {train_time:.1f} s", flush=True)

    timed = steps[min(2, len(steps) - 1):]  # the first steps warm up allocators and caches
    seconds = sorted(r["seconds"] for r in timed)
    median_dt = seconds[len(seconds) // 2] if len(seconds) % 2 else (seconds[len(seconds) // 2 - 1] + seconds[len(seconds) // 2]) / 2
    mean_dt = sum(seconds) / len(seconds)
    flops = timed[-1]["gflops"] * timed[-1]["seconds"] * 1e9  # the same every step
    # the median step is the figure to compare on a shared, noisy machine; the mean includes the stalls
    summary = {"steps": s, "median_step_seconds": median_dt, "mean_step_seconds": mean_dt,
               "tokens_per_s": args.batch * args.seq / median_dt, "gflops": flops / median_dt / 1e9,
               "mean_tokens_per_s": args.batch * args.seq / mean_dt, "flops_per_step": flops,
               "final_test_accuracy": evals[-1]["token_accuracy"], "train_time": train_time}
    if args.peak_gflops > 0:
        summary["peak_gflops"] = args.peak_gflops
        summary["peak_ratio"] = summary["gflops"] / args.peak_gflops
    print("summary " + json.dumps(summary), flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".json", "w") as f:
        json.dump({"config": vars(args), "task": meta, "torch": torch.__version__, "threads": torch.get_num_threads(),
                   "parameters": params, "flops_formula": "3 * (n_layer * (24 N d^2 + 4 B L^2 d) + 2 A d V)",
                   "summary": summary, "steps": steps, "evals": evals}, f, indent=1)
    for name, rows in (("steps", steps), ("eval", evals)):
        with open(f"{args.out}-{name}.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()
