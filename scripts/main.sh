#!/usr/bin/env bash
# The main job: install, then run the default offline grid with the local profile.
# Extra arguments go to snakemake (e.g. --configfile my.yaml, -n, figures).
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(bash scripts/bootstrap.sh | tail -n 1)
exec "$py" -m snakemake --profile profiles/local "$@"
