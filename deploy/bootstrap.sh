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
# Kafka 4 needs Java 17: an older one would only show later as "broker exited".
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
if [[ -z "$java_major" || "$java_major" -lt 17 ]]; then
  echo "bootstrap: Java 17 or newer is needed for Apache Kafka 4 (found: ${java_major:-unknown})" >&2
  exit 1
fi

if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv || { echo "bootstrap: '$python -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
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
