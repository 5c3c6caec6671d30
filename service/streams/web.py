"""Serving the Prometheus registry on the Faust worker's web server at /metrics."""

from __future__ import annotations

from typing import Any

import faust
from prometheus_client import CollectorRegistry, generate_latest

# aiohttp refuses a charset inside content_type; Prometheus reads plain text format 0.0.4.
CONTENT_TYPE = "text/plain"


def mount_metrics(app: faust.App, registry: CollectorRegistry) -> None:
    """Expose `registry` (ours plus Faust's own sensors) at GET /metrics."""

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(registry), content_type=CONTENT_TYPE)
