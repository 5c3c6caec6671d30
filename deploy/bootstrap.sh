#!/usr/bin/env bash
# Set up everything the project needs on a fresh machine: a Python >= 3.11 virtualenv in
# .venv with the project and its dev tools, Apache Kafka's jars (Maven), and promtool.
# Idempotent: a second run installs and downloads nothing new.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

python=${PYTHON:-python3}
"$python" - <<'PY' || { echo "bootstrap: Python >= 3.11 is needed (set PYTHON=...)" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY
for tool in java mvn; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bootstrap: '$tool' is needed (Java 17+ and Maven run the local Kafka broker)" >&2; exit 1; }
done

if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
stamp=.venv/.wirefeed-installed
digest=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$digest" ]]; then
  echo "bootstrap: installing the project into .venv ..."
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$digest" > "$stamp"
fi

.venv/bin/wirefeed broker fetch >/dev/null
bash deploy/promtool.sh
