"""The process model of ``workchat serve``: one process, or N uvicorn workers.

Several workers share nothing in memory, so they are correct only when everything shared
lives outside them: PostgreSQL (SQLite allows one writer, and the embedded mode is for one
process), a Redis or PostgreSQL bus (with ``memory://`` an event published by one worker
never reaches subscribers on another) and Redis rate-limit counters (in memory each worker
would allow the full limit). ``workers_refusal`` says which is missing; the command refuses
instead of starting a cluster that silently loses events.

Metrics of several workers: each worker writes its samples to files in
``PROMETHEUS_MULTIPROC_DIR`` and any scrape adds them up (``workchat.metrics.render``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client import multiprocess as prometheus_multiprocess
from starlette.applications import Starlette

from workchat import logs, metrics
from workchat.app import create_app
from workchat.http.websocket import WEBSOCKET_PROTOCOL
from workchat.ratelimit.limiter import storage_url
from workchat.settings import Settings

LOG_LEVEL_ENV = "WORKCHAT_SERVE_LOG_LEVEL"
WS_PING_SECONDS = 15.0


def workers_refusal(settings: Settings, workers: int) -> str | None:
    """Why ``--workers`` cannot be used with these settings (None: it can)."""
    if workers < 1:
        return "--workers must be at least 1"
    if workers == 1:
        return None
    if settings.is_sqlite:
        return (
            "--workers needs PostgreSQL (set WORKCHAT_DATABASE_URL=postgresql://…); "
            "the embedded SQLite database serves one process"
        )
    if settings.broadcast_url.startswith("memory"):
        return (
            "--workers needs a shared event bus (set WORKCHAT_BROADCAST_URL=redis://… or "
            "postgresql://…); with memory:// one worker's events never reach another's sockets"
        )
    if storage_url(settings).startswith("memory"):
        return (
            "--workers needs shared rate-limit counters (set WORKCHAT_RATE_LIMIT_STORAGE_URL="
            "redis://…, or use a redis:// bus); in memory each worker would allow the full limit"
        )
    return None


def uvicorn_options(settings: Settings, log_level: str) -> dict[str, Any]:
    """How ``workchat serve`` runs uvicorn (also used by benches that serve in-process)."""
    return {
        "log_level": log_level,
        # Logging is ours (workchat.logs): one line per request from RequestObserver.
        "log_config": None,
        "access_log": False,
        # SIGTERM: stop accepting, close WebSockets with 1012, let in-flight requests finish
        # (up to this long), then the lifespan closes the hub, bus and database.
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
        # uvicorn's websockets-sansio protocol, holding less per idle socket.
        "ws": WEBSOCKET_PROTOCOL,
        # The fast event loop and HTTP parser (uvicorn[standard]); per-message compression
        # only when WORKCHAT_WS_COMPRESSION asks for it (it costs memory per socket).
        "loop": "uvloop",
        "http": "httptools",
        "ws_per_message_deflate": settings.ws_compression,
        # A WebSocket message is refused (1009) past the HTTP body limit, before it is
        # buffered whole (uvicorn's default is 16 MiB).
        "ws_max_size": settings.max_request_bytes,
        # X-Forwarded-For is believed only from WORKCHAT_TRUSTED_PROXIES (rate limits key on
        # the client address); uvicorn's own default would trust any local peer.
        "proxy_headers": False,
        # Ping every socket every 15 s and close one that does not answer within 15 s: a
        # vanished peer's subscriptions and presence end instead of lingering.
        "ws_ping_interval": WS_PING_SECONDS,
        "ws_ping_timeout": WS_PING_SECONDS,
    }


def prepare_multiprocess(log_level: str) -> Path:
    """Give the workers (spawned after this) a fresh folder for their metric samples."""
    existing = os.environ.get(metrics.MULTIPROC_ENV)
    folder = Path(existing) if existing else Path(tempfile.mkdtemp(prefix="workchat-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):  # an earlier run's samples would add to this one's
        stale.unlink()
    os.environ[metrics.MULTIPROC_ENV] = str(folder)
    os.environ[LOG_LEVEL_ENV] = log_level
    return folder


def start_metrics_port(settings: Settings) -> None:
    """Serve /metrics without a token on the metrics port (when one is set), from a thread
    of this process: with several workers it adds up every worker's samples."""
    if not settings.metrics_port:
        return
    registry = REGISTRY
    if metrics.multiprocess():
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=registry)


def app_from_env() -> Starlette:
    """The app of one worker process (uvicorn imports this in each worker)."""
    settings = Settings.from_env()
    logs.configure(settings.effective_log_format, os.environ.get(LOG_LEVEL_ENV, "info"))
    return create_app(settings)
