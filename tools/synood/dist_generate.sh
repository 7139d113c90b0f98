#!/usr/bin/env bash
# SynOOD data-set generation on several processes (GPUs) with torchrun, one shard each.
#   tools/synood/dist_generate.sh CONFIG NPROC_PER_NODE [generate.py args...]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT, as for tools/dist_train.sh.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG NPROC_PER_NODE [generate.py args...]" >&2
    exit 2
fi
source "$(dirname "$0")/../_torchrun.sh"
run_torchrun "$2" "$ROOT/tools/synood/generate.py" "$1" --launcher pytorch "${@:3}"
