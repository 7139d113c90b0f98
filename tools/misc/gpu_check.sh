#!/usr/bin/env bash
# The prepared GPU check: run on a machine with a CUDA GPU, from the repository root, after
# `make install-test`:
#   tools/misc/gpu_check.sh [WORK_DIR]            (default work_dirs/gpu_check)
# 1. the CUDA tests (fp16 CLIP, --amp training, fp16 guided inpainting, SynOOD in spawned
#    dataloader workers on CUDA), which are skipped on CPU;
# 2. 20 training iterations of the base OVSNet config at 1024 x 1024 with --amp (random-init
#    ConvNeXt-B CLIP of the real size, synthetic COCO-Panoptic layout: tools/misc/check_configs.py),
#    against the same config with mmseg's stock Mask2FormerHead (s / iter, peak GPU memory);
# 3. the SynOOD generation of the quickstart (seed-0 world) at fp16 (--amp);
# 4. tools/dist_train.sh on the OVSNet quickstart config with 2 GPUs, when there are two.
# Ends with one table (also WORK_DIR/gpu_check.md). Without CUDA it says so on one line and runs
# the CPU-side parts: the CUDA tests are collected (and skipped), and step 2 runs at reduced
# size on the CPU (2 iterations, fp32).
set -uo pipefail
cd "$(dirname "$0")/../.."
WORK=${1:-work_dirs/gpu_check}
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python
mkdir -p "$WORK"
TABLE="$WORK/gpu_check.md"
BASE=configs/ovsnet/ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py
CUDA_TESTS="tests/test_fp16_paths.py tests/test_synood/test_inpainting_fp16.py tests/test_synood/test_transform.py"

NGPU=$($PY -c 'import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)' 2>/dev/null || echo 0)
rows=()
add() { rows+=("| $1 | $2 | $3 |"); }
step() {  # step NAME COMMAND...: run, log, record rc and seconds
    local name=$1; shift
    local log="$WORK/$(echo "$name" | tr ' /' '__').log"
    local t0=$(date +%s)
    echo "== $name: $*"
    "$@" >"$log" 2>&1
    local rc=$?
    local took=$(( $(date +%s) - t0 ))
    add "$name" "rc $rc, ${took} s" "$(tail -n 1 "$log" | tr -s "| " " " | cut -c1-150)"
    return $rc
}

if [ "$NGPU" = 0 ]; then
    echo "no CUDA: torch sees no GPU on this machine; the CUDA tests are skipped, the OVSNet"
    echo "iterations run at reduced size in fp32 on the CPU, no fp16 generation, no dist_train."
    step "CUDA tests (collected, skipped without CUDA)" \
        $PY -m pytest -q -rs $CUDA_TESTS -k "cuda"
    step "OVSNet head, CPU, reduced, 2 iters" $PY tools/misc/check_configs.py --reduced \
        --iters 2 --work-dir "$WORK/check" $BASE
    step "stock Mask2FormerHead, CPU, reduced, 2 iters" $PY tools/misc/check_configs.py \
        --reduced --iters 2 --stock-head --work-dir "$WORK/check" $BASE
else
    $PY -c 'import torch; print("CUDA:", torch.cuda.get_device_name(0), "x", torch.cuda.device_count(), "torch", torch.__version__)'
    step "CUDA tests" $PY -m pytest -q -rs $CUDA_TESTS -k "cuda"
    step "OVSNet head 1024 --amp 20 iters" $PY tools/misc/check_configs.py --amp --iters 20 \
        --work-dir "$WORK/check" $BASE
    step "stock Mask2FormerHead 1024 --amp 20 iters" $PY tools/misc/check_configs.py --amp \
        --iters 20 --stock-head --work-dir "$WORK/check" $BASE
    step "quickstart world (seed 0)" $PY tools/misc/setup_quickstart.py --root data/quickstart \
        --seeds 0
    step "SynOOD quickstart generation --amp" $PY tools/synood/generate.py \
        configs/synood/quickstart/synood_generate_quickstart.py --amp --out "$WORK/synood_fp16"
    if [ "$NGPU" -ge 2 ]; then
        step "dist_train.sh 2 GPUs (OVSNet quickstart, 20 iters)" tools/dist_train.sh \
            configs/ovsnet/quickstart/ovsnet_clip-tiny-convnext_quickstart.py 2 \
            --work-dir "$WORK/dist" --cfg-options train_cfg.max_iters=20 train_cfg.val_interval=20
    else
        add "dist_train.sh 2 GPUs" "skipped" "one GPU on this machine"
    fi
fi

{
    echo "| check | result | last line |"
    echo "|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    if ls "$WORK"/check/rows/*.json >/dev/null 2>&1; then
        $PY - "$WORK/check/rows" <<'EOF'
import glob, json, os, sys
sys.path.insert(0, os.getcwd())
rows = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(sys.argv[1], '*.json')))]
from tools.misc.check_configs import table  # noqa: E402
print(table(rows))
ovs = [r for r in rows if 'stock' not in r['config']]
stock = [r for r in rows if 'stock' in r['config']]
if ovs and stock:
    o, s = ovs[-1], stock[-1]
    mem = 'peak_cuda_gb' if 'peak_cuda_gb' in o else 'peak_rss_gb'
    print(f"\nOVSNetHead / stock Mask2FormerHead: s/iter x{o['iter_s'] / s['iter_s']:.2f}, "
          f"{mem} x{o[mem] / s[mem]:.2f} (it/s {1 / o['iter_s']:.2f} vs {1 / s['iter_s']:.2f})")
EOF
    fi
} | tee "$TABLE"
