"""The Faust worker's web pages: the Prometheus registry at /metrics, live stories at /stories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust
import orjson
from prometheus_client import CollectorRegistry, generate_latest

# aiohttp refuses a charset inside content_type; Prometheus reads plain text format 0.0.4.
CONTENT_TYPE = "text/plain"


def mount_metrics(app: faust.App, registry: CollectorRegistry) -> None:
    """Expose `registry` (ours plus Faust's own sensors) at GET /metrics."""

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(registry), content_type=CONTENT_TYPE)


# Most stories a /stories request lists.
MAX_STORIES = 1000


def mount_stories(app: faust.App, latest: Callable[[int], list[dict[str, Any]]]) -> None:
    """Expose the most recently updated live stories of this worker's partitions at
    GET /stories?limit=N (default 50): JSON, newest first."""

    @app.page("/stories")
    async def stories(web: Any, request: Any) -> Any:
        try:
            limit = int(request.query.get("limit", "50"))
        except ValueError:
            return web.bytes(b'{"error": "limit must be an integer"}', status=400)
        limit = max(0, min(limit, MAX_STORIES))
        return web.bytes(orjson.dumps(latest(limit)), content_type="application/json")
