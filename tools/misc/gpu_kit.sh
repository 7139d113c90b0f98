#!/usr/bin/env bash
# Build the kit that sets mmopen up on a GPU node with no network (docs/install.md):
#   tools/misc/gpu_kit.sh DIR [--python 3.12] [--mmcv-wheel WHEEL]
# DIR gets wheels/ (requirements/gpu_kit.txt for that Python, binary wheels for manylinux
# x86-64, an mmcv 2.1.0 wheel without compiled operators and mmopen's own wheel),
# mmcv_ext.py (mmcv's operator module for that mmcv: multi-scale deformable attention in
# PyTorch on CPU and CUDA alike, every other operator a clear error) and install.sh. The kit and
# the repository must stay under 56 MiB together (what a GPU node is carried); the script checks.
# --mmcv-wheel WHEEL: carry this mmcv wheel with compiled CUDA operators instead (one that
# tools/misc/gpu_kit/build_mmcv_ops.sh built on a node of the same kind); the kit always carries
# mmcv's source (src/) for that script.
# Needs the package registry (run it here, not on the node).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: tools/misc/gpu_kit.sh DIR [--python 3.12]" >&2; exit 2; }
DIR=$1; shift
PYV=3.12 MMCV_WHEEL=""
while [ $# -gt 0 ]; do
    case $1 in
        --python) PYV=$2; shift 2 ;;
        --mmcv-wheel) MMCV_WHEEL=$(realpath "$2"); shift 2 ;;
        *) echo "gpu_kit.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
case $PY in /*) ;; */*) PY=$PWD/$PY ;; esac  # the mmopen wheel is built in another folder
LIMIT=$((56 * 1024 * 1024))
TMP=$(mktemp -d "${DIR%/}.tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/wheels" "$TMP/build"

echo "== wheels for Python $PYV (requirements/gpu_kit.txt)"
plats=""
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 \
         manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
    plats="$plats --platform $p"
done
grep -v '^\s*#' requirements/gpu_kit.txt | grep -v '^\s*$' > "$TMP/build/reqs.txt"
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$PYV" \
    --implementation cp $plats -d "$TMP/wheels" -r "$TMP/build/reqs.txt"

MMCV=$(grep -v '^#' requirements/mmcv.txt | grep '^mmcv==')
mkdir -p "$TMP/src"
"$PY" -m pip download -q --no-deps --no-binary=:all: -d "$TMP/src" "$MMCV"
if [ -n "$MMCV_WHEEL" ]; then
    echo "== mmcv with compiled operators: $MMCV_WHEEL"
    cp "$MMCV_WHEEL" "$TMP/wheels/"
else
    echo "== mmcv without compiled operators (pure Python wheel)"
    MMCV_WITH_OPS=0 "$PY" -m pip wheel -q --no-deps --no-build-isolation --no-cache-dir \
        -w "$TMP/wheels" "$TMP"/src/mmcv-*.tar.gz
fi

echo "== mmopen (the working tree's tracked files)"
mkdir -p "$TMP/build/src"
git ls-files -z | xargs -0 cp --parents -t "$TMP/build/src"
(cd "$TMP/build/src" && "$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$TMP/wheels" .)

cp tools/misc/gpu_kit/mmcv_ext.py tools/misc/gpu_kit/install.sh \
    tools/misc/gpu_kit/build_mmcv_ops.sh "$TMP/"
rm -rf "$TMP/build"
size=$(du -sb "$TMP" | cut -f1)
repo=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
total=$((size + repo))
echo "kit $((size / 1024)) KiB + repository $((repo / 1024)) KiB = $((total / 1024 / 1024)) MiB (limit 56 MiB)"
if [ "$total" -gt "$LIMIT" ]; then
    echo "gpu_kit.sh: the kit and the repository are over 56 MiB; nothing written to $DIR" >&2
    exit 1
fi
rm -rf "$DIR"
mv "$TMP" "$DIR"
trap - EXIT
ls "$DIR/wheels" | sed 's/^/  /'
echo "kit written to $DIR; on the node: bash $DIR/install.sh VENV"
