#!/usr/bin/env bash
# SeeCLIP pseudo-unknown pre-generation on several processes (GPUs) with torchrun, one shard each.
#   tools/seeclip/dist_generate_pseudo_unknowns.sh CONFIG NPROC_PER_NODE [tool args...]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT, as for tools/dist_train.sh.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG NPROC_PER_NODE [generate_pseudo_unknowns.py args...]" >&2
    exit 2
fi
source "$(dirname "$0")/../_torchrun.sh"
run_torchrun "$2" "$ROOT/tools/seeclip/generate_pseudo_unknowns.py" "$1" --launcher pytorch "${@:3}"
