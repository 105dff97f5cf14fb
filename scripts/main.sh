#!/usr/bin/env bash
# The main job: install, then run it.
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(bash scripts/bootstrap.sh | tail -n 1)
exec "$py" -m prompt_recycling.cli demo
