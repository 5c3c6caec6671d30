#!/usr/bin/env bash
# The main job: set up (once), start a local Kafka broker and a worker, replay seeds/,
# print each article's duplicate-of and story and the metrics, then stop everything.
# Extra arguments go to `wirefeed demo` (e.g. --keep-running, --seeds PATH).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash deploy/bootstrap.sh
exec .venv/bin/wirefeed demo "$@"
