#!/usr/bin/env bash
# Install the project into an environment, without pulling a CUDA torch onto a CPU machine and
# without replacing a torch (CUDA or not) that the environment already has.
#
#   bash scripts/bootstrap.sh [EXTRAS]        e.g. EXTRAS=dev
#
# Environment: the active virtualenv/conda env if there is one, else ./.venv (created with
# $PYTHON, default python3, which must be >= 3.11). Prints the python to use on its last line.
# Knobs: PYTHON, TORCH_SPEC (default "torch==2.13.0", used only when torch is missing),
# TORCH_CPU_INDEX (default the PyTorch CPU wheel index; empty to use only the configured ones),
# CONSTRAINTS (default constraints.txt: the versions CI tested; empty to resolve freely).
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-}

if [ -n "${VIRTUAL_ENV:-}" ] || [ -n "${CONDA_PREFIX:-}" ]; then
  py=python
else
  if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3}" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
      echo "bootstrap: Python >= 3.11 is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
    "${PYTHON:-python3}" -m venv .venv
  fi
  py=.venv/bin/python
fi

pip=("$py" -m pip install --quiet --disable-pip-version-check)
if "$py" -c 'import torch' 2>/dev/null; then
  echo "bootstrap: keeping the installed torch $("$py" -c 'import torch; print(torch.__version__)')" >&2
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "bootstrap: GPU found, installing torch with CUDA" >&2
  "${pip[@]}" "${TORCH_SPEC:-torch}"
else
  echo "bootstrap: no GPU, installing a CPU-only torch" >&2
  index=${TORCH_CPU_INDEX-https://download.pytorch.org/whl/cpu}
  # use the CPU index only if it answers (offline mirrors: pip would retry it for every package)
  if [ -n "$index" ] && ! "$py" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)" "$index/" >/dev/null 2>&1; then
    echo "bootstrap: $index is not reachable; using the configured package indexes" >&2
    index=""
  fi
  "${pip[@]}" "${TORCH_SPEC:-torch==2.13.0}" ${index:+--extra-index-url "$index"}
fi
constraints=${CONSTRAINTS-constraints.txt}
"${pip[@]}" ${constraints:+-c "$constraints"} -e ".${extras:+[$extras]}"
echo "$py"
