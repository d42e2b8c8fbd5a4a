#!/bin/sh
# Installs PyTorch for /usr/bin/python3 from Debian (python3-torch 1.13), with OpenBLAS: Debian's default reference
# BLAS is about 20x slower, and torch uses the system BLAS for its CPU matrix products. Needs root (or sudo).
# Then checks that torch imports, which BLAS it runs on, and that a matrix product runs.
set -eu
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q python3-torch python3-numpy libopenblas0-openmp
/usr/bin/python3 - <<'PY'
import time
import torch
print("torch", torch.__version__, "threads", torch.get_num_threads())
cfg = torch.__config__.show()
print("BLAS:", "OpenBLAS" if "openblas" in cfg.lower() else "see torch.__config__.show()")
torch.set_num_threads(2)
a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
a @ b
t = time.perf_counter()
for _ in range(10):
    a @ b
dt = (time.perf_counter() - t) / 10
print(f"1024^3 matmul: {dt * 1e3:.1f} ms, {2 * 1024 ** 3 / dt / 1e9:.1f} GFLOP/s on 2 threads")
PY
