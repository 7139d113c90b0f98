#!/usr/bin/env bash
# The prepared GPU check, one command of at most 9 minutes on a bare GPU node (docs/install.md):
#   tools/misc/gpu_check.sh [--kit KIT] [--force] OUT
# --kit KIT: first install mmopen and the OpenMMLab packages from the kit that
#   tools/misc/gpu_kit.sh wrote (no network; a venv over the node's Python in /tmp); without it,
#   the interpreter of $PYTHON, else .venv/bin/python, else python3.
# Then, in this order of value, each step bounded by its own time limit:
# 1. the CUDA tests (fp16 CLIP towers, an OVSNet --amp training step, fp16 mask pooling, the
#    kit's deformable attention, fork safety), skipped where there is no CUDA; those that need a
#    pre-trained test asset (SynOOD's tiny inpainting model: minutes on the CPU) are skipped
#    there (MMOPEN_TEST_ASSETS=skip) and step 4 runs SynOOD's fp16 generation instead;
# 2. 20 training iterations of the base OVSNet config at 1024 x 1024 with --amp (random-init
#    ConvNeXt-B CLIP of the real size, synthetic COCO-Panoptic layout: check_configs.py), with
#    the loss first and last (finite, falling), then 3. the same with mmseg's stock
#    Mask2FormerHead (s / iter, peak GPU memory, their ratio);
# 4. one SynOOD image from the real-size generation config with --amp (fp16 diffusion).
# Each step writes its row into OUT/rows as it finishes (what is done survives a timeout); a
# rerun skips finished steps unless --force. Ends with one table (also OUT/gpu_check.md).
# Without CUDA it says so and runs the CPU path: the tests collected (CUDA ones skipped), the
# OVSNet rows at reduced size for 3 iterations in fp32, the generation at reduced size.
set -uo pipefail
cd "$(dirname "$0")/../.."
KIT="" FORCE=0 OUT=""
while [ $# -gt 0 ]; do
    case $1 in
        --kit) KIT=$2; shift 2 ;;
        --force) FORCE=1; shift ;;
        -*) echo "gpu_check.sh: unknown option $1" >&2; exit 2 ;;
        *) OUT=$1; shift ;;
    esac
done
[ -n "$OUT" ] || { echo "usage: tools/misc/gpu_check.sh [--kit KIT] [--force] OUT" >&2; exit 2; }
T0=$(date +%s)
mkdir -p "$OUT/rows"
[ "$FORCE" = 1 ] && rm -rf "$OUT/rows"/* "$OUT/check"
FORCE_FLAG=$([ "$FORCE" = 1 ] && echo --force)
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 MMOPEN_TEST_ASSETS=skip  # no asset built there

row() {  # row FILE NAME RESULT DETAIL: one table row, written at once
    printf '| %s | %s | %s |\n' "$2" "$3" "$4" > "$OUT/rows/$1.md.tmp" && \
        mv "$OUT/rows/$1.md.tmp" "$OUT/rows/$1.md"
}
step() {  # step FILE NAME LIMIT_S COMMAND...: run within LIMIT_S, log, record rc and seconds
    local file=$1 name=$2 limit=$3; shift 3
    if [ -f "$OUT/rows/$file.md" ]; then
        echo "== $name: done before (kept; --force redoes it)"; return 0
    fi
    local log="$OUT/$file.log" t0; t0=$(date +%s)
    echo "== $name (at most ${limit} s): $*"
    timeout "$limit" "$@" >"$log" 2>&1
    local rc=$? took=$(( $(date +%s) - t0 ))
    local what="rc $rc, ${took} s"; [ $rc = 124 ] && what="timed out after ${limit} s"
    row "$file" "$name" "$what" "$(grep -v '^\s*$' "$log" | tail -n 1 | tr -s '|' ' ' | cut -c1-160)"
    return $rc
}

if [ -n "$KIT" ]; then
    VENV=/tmp/mmopen-gpu-venv
    step 00-install "install from the kit" 120 bash "$KIT/install.sh" "$VENV"
    PY=$VENV/bin/python
else
    PY=${PYTHON:-.venv/bin/python}
    [ -x "$PY" ] || PY=python3
fi
NGPU=$($PY -c 'import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)' 2>/dev/null || echo 0)
BASE=configs/ovsnet/ovsnet_clip-convnext-b_8xb1-60k_coco-panoptic-133.py
GEN=configs/synood/generate/synood_sd2-inpainting_resnet50_imagenet.py
TESTS="tests/test_fp16_paths.py tests/test_models/test_layers/test_mask_pooling.py
       tests/test_tools/test_gpu_kit.py tests/test_synood/test_transform.py
       tests/test_synood/test_inpainting_fp16.py tests/test_utils/test_fork_safety.py"
if [ "$NGPU" = 0 ]; then
    echo "no CUDA: torch sees no GPU here; the CUDA tests are skipped, the OVSNet rows run at"
    echo "reduced size for 3 iterations (the first not timed) in fp32 on the CPU, the generation at reduced size."
    SIZE="--reduced --iters 3" AMP="" WHERE="CPU, reduced, 3 iters"
else
    $PY -c 'import torch; print("CUDA:", torch.cuda.get_device_name(0), "x", torch.cuda.device_count(), "torch", torch.__version__)'
    SIZE="--iters 20" AMP="--amp" WHERE="1024^2 --amp, 20 iters"
fi
CHECK="$PY tools/misc/check_configs.py --work-dir $OUT/check $FORCE_FLAG"
step 10-tests "CUDA tests" 110 $PY -m pytest -q -rs -p no:cacheprovider $TESTS
step 20-ovsnet "OVSNet head, $WHERE" 140 $CHECK $SIZE $AMP $BASE
step 30-stock "stock Mask2FormerHead, $WHERE" 140 $CHECK $SIZE $AMP --stock-head $BASE
step 40-synood "SynOOD generation, one image${AMP:+ $AMP}" 120 $CHECK $([ "$NGPU" = 0 ] && echo --reduced) $AMP $GEN

{
    echo "| check | result | last line |"
    echo "|---|---|---|"
    cat "$OUT"/rows/*.md 2>/dev/null
    echo
    if ls "$OUT"/check/rows/*.json >/dev/null 2>&1; then
        $PY - "$OUT/check/rows" <<'PY'
import glob, json, os, sys
from mmopen.utils.tool_main import load_tool
table = load_tool(os.path.join(os.getcwd(), 'tools', 'misc', 'check_configs.py')).table
rows = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(sys.argv[1], '*.json')))]
print(table(rows))
ovs = [r for r in rows if 'stock' not in r['config'] and r.get('kind') == 'train']
stock = [r for r in rows if 'stock' in r['config']]
if ovs and stock:
    o, s = ovs[-1], stock[-1]
    mem = 'peak_cuda_gb' if 'peak_cuda_gb' in o else 'peak_rss_gb'
    print(f"\nOVSNetHead / stock Mask2FormerHead: s/iter x{o['iter_s'] / s['iter_s']:.2f}, "
          f"{mem} x{o[mem] / s[mem]:.2f} (it/s {1 / o['iter_s']:.2f} vs {1 / s['iter_s']:.2f})")
PY
    fi
    echo
    echo "gpu_check: $(( $(date +%s) - T0 )) s in all"
} | tee "$OUT/gpu_check.md"
