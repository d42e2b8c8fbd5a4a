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
# torch is built against the generic libblas.so.3; the alternatives system decides which library that is.
BLAS=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
echo "libblas.so.3 -> $BLAS"
case "$BLAS" in
  *openblas*) ;;
  *) echo "warning: libblas.so.3 is not OpenBLAS; run: $SUDO update-alternatives --config libblas.so.3-x86_64-linux-gnu" >&2 ;;
esac
/usr/bin/python3 - <<'PY'
import time
import torch
print("torch", torch.__version__)
torch.set_num_threads(2)
a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
a @ b
t = time.perf_counter()
for _ in range(10):
    a @ b
dt = (time.perf_counter() - t) / 10
print(f"1024^3 matmul: {dt * 1e3:.1f} ms, {2 * 1024 ** 3 / dt / 1e9:.1f} GFLOP/s on 2 threads")
PY
