#!/usr/bin/env bash
# On a GPU node, after install.sh: compile mmcv's operators (CUDA kernels for this node's GPU
# architecture only, all cores) into a wheel in OUT, to carry back and put in later kits
# (tools/misc/gpu_kit.sh DIR --mmcv-wheel WHEEL), so that later checks time mmcv's own
# deformable attention kernel instead of the PyTorch path:
#   bash KIT/build_mmcv_ops.sh VENV OUT
# Estimated 3-4 min on 16 cores (docs/install.md: ~32 s per CUDA file for one architecture on
# one core here, 58 of them, plus ~12 core-minutes of C++); one command of its own.
set -euo pipefail
KIT=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || { echo "usage: bash $KIT/build_mmcv_ops.sh VENV OUT" >&2; exit 2; }
VENV=$1 OUT=$2
mkdir -p "$OUT"
ARCH=$("$VENV/bin/python" -c 'import torch; print("%d.%d" % torch.cuda.get_device_capability(0))')
t0=$(date +%s)
echo "compiling mmcv's operators for sm_${ARCH/./} with $(nproc) jobs"
CFLAGS=-g0 MMCV_WITH_OPS=1 FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST=$ARCH MAX_JOBS=$(nproc) \
    "$VENV/bin/python" -m pip wheel -q --no-deps --no-build-isolation --no-index -w "$OUT" \
    "$KIT"/src/mmcv-*.tar.gz
echo "built $(ls "$OUT"/mmcv-*.whl) in $(( $(date +%s) - t0 )) s"
