#!/usr/bin/env bash
# The whole test suite: set up (once), then lint, format check, strict typing and pytest
# (unit, property and end-to-end tests against a real Apache Kafka broker it starts itself).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash deploy/bootstrap.sh
.venv/bin/ruff check service tests
.venv/bin/ruff format --check service tests
.venv/bin/mypy
exec .venv/bin/pytest "$@"
