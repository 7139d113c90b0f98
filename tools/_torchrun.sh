# Shared by dist_train.sh and dist_test.sh (sourced, not run):
#   run_torchrun NPROC_PER_NODE SCRIPT [args...]
# starts SCRIPT on NPROC_PER_NODE processes per node with torchrun; multi-node through NNODES,
# NODE_RANK, MASTER_ADDR and PORT (as in mmseg). Uses .venv/bin/python when it exists
# (override with PYTHON=...). Without CUDA the processes use the gloo backend on CPU.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python; fi
fi

run_torchrun() {
    local nproc=$1
    shift
    PYTHONPATH="$ROOT:${PYTHONPATH:-}" \
    "$PYTHON" -m torch.distributed.run \
        --nnodes="${NNODES:-1}" \
        --node_rank="${NODE_RANK:-0}" \
        --master_addr="${MASTER_ADDR:-127.0.0.1}" \
        --nproc_per_node="$nproc" \
        --master_port="${PORT:-29500}" \
        "$@"
}
