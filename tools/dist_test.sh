#!/usr/bin/env bash
# Distributed evaluation on one or several nodes with torchrun.
#   tools/dist_test.sh CONFIG CHECKPOINT NPROC_PER_NODE [test.py args...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node (as in mmseg), e.g.
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.0.1 PORT=29500 tools/dist_test.sh CONFIG CHECKPOINT 8
# Without CUDA the processes use the gloo backend on CPU.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT NPROC_PER_NODE [test.py args...]" >&2
    exit 2
fi
source "$(dirname "$0")/_torchrun.sh"
run_torchrun "$3" "$ROOT/tools/test.py" "$1" "$2" --launcher pytorch "${@:4}"
