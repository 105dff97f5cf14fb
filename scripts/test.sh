#!/usr/bin/env bash
# The full test suite: install with the dev extras, lint, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(bash scripts/bootstrap.sh dev | tail -n 1)
"$py" -m ruff check src tests bench workflow/scripts
"$py" -m ruff format --check src tests bench workflow/scripts
exec "$py" -m pytest "$@"
