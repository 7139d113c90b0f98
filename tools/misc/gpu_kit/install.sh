#!/usr/bin/env bash
# Install mmopen from this kit (tools/misc/gpu_kit.sh) with no network:
#   bash KIT/install.sh VENV
# VENV: a new virtual environment over the node's Python (--system-site-packages: its torch,
# numpy, transformers... stay the node's); the kit's wheels go in with --no-index --no-deps, and
# mmcv gets the kit's operator module (mmcv_ext.py as mmcv/_ext.py) unless it has compiled ones.
set -euo pipefail
KIT=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: bash $KIT/install.sh VENV" >&2; exit 2; }
VENV=$1
BASE=${PYTHON:-python3}
t0=$(date +%s)
[ -x "$VENV/bin/python" ] || "$BASE" -m venv --system-site-packages "$VENV"
# The node's python3 is itself a venv (/opt/torch/.venv): --system-site-packages would show the
# interpreter's own site-packages, not that venv's torch. A .pth file adds the base's folders
# after the venv's own (the kit's wheels come first).
site=$("$VENV/bin/python" -c 'import site; print(site.getsitepackages()[0])')
"$BASE" -c 'import site; print("\n".join(site.getsitepackages()))' > "$site/zz_node_site.pth"
"$VENV/bin/python" -m pip install -q --no-index --no-deps --no-cache-dir --force-reinstall \
    "$KIT"/wheels/*.whl  # into the venv even where the base has the same version
ext_dir=$("$VENV/bin/python" -c 'import os, importlib.util as u; print(os.path.dirname(u.find_spec("mmcv").origin))')
if ! ls "$ext_dir"/_ext*.so >/dev/null 2>&1; then
    cp "$KIT/mmcv_ext.py" "$ext_dir/_ext.py"
fi
"$VENV/bin/python" - <<'PY'
import mmcv, mmdet, mmengine, mmpretrain, mmseg, torch
import mmcv.ops  # noqa: F401  (every operator module loads)
import mmopen  # noqa: F401
print(f'installed: mmengine {mmengine.__version__}, mmcv {mmcv.__version__}, mmdet '
      f'{mmdet.__version__}, mmseg {mmseg.__version__}, mmpretrain {mmpretrain.__version__}; '
      f'torch {torch.__version__}, CUDA {torch.cuda.is_available()}')
PY
echo "install took $(( $(date +%s) - t0 )) s"
