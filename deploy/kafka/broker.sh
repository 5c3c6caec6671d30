#!/usr/bin/env bash
# Local Apache Kafka (KRaft, one node on 127.0.0.1): fetch | start | stop | status.
# Jars come from Maven Central into .cache/kafka; port and paths from WIRE_* settings.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec "$root/.venv/bin/wirefeed" broker "$@"
