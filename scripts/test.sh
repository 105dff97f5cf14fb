#!/usr/bin/env bash
# The full test suite: install with the dev extras, lint, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(bash scripts/bootstrap.sh dev | tail -n 1)
"$py" -m ruff check src tests bench workflow/scripts
"$py" -m ruff format --check src tests bench workflow/scripts
# One pytest-xdist worker per core, up to 2: the SLURM tests in one worker, the two tests that
# run the tiny grid on both cores one after the other (their xdist_group marks). Arguments
# after these win: -n 0 runs the suite in one process.
workers=$(nproc 2>/dev/null || echo 1)
exec "$py" -m pytest -n "$((workers < 2 ? workers : 2))" --dist loadgroup "$@"
