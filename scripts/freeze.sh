#!/usr/bin/env bash
# Rewrite constraints.txt from the environment scripts/bootstrap.sh made (after a green CI run):
# every installed distribution pinned, torch and its CUDA libraries left out.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-.venv/bin/python}
{
  sed -n '1,3p' constraints.txt
  "$py" -m pip freeze --exclude-editable --disable-pip-version-check | grep -v -E '^(torch|triton|nvidia-[a-z0-9-]+)=='
} > constraints.txt.new
mv constraints.txt.new constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) pins"
