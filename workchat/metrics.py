"""Every Prometheus metric of the server, defined once, and the text a scrape gets.

All metrics live in prometheus-client's default registry. With several worker processes
(``workchat serve --workers N``) the command sets ``PROMETHEUS_MULTIPROC_DIR`` before the
workers start; each process then writes its samples to files there and a scrape of any
worker (or of the metrics port, served by the parent) adds them up (``render``). Gauges say
how to combine processes: ``livesum`` counts only processes that are alive.

Label values are bounded: GraphQL operation names are client-chosen, so only the first
``MAX_OPERATION_NAMES`` well-formed names a process sees get their own label; the rest are
``other`` and operations without a name are ``unnamed``. Outcomes are ``ok`` or an error code
(a closed set, ``workchat.errors``).

Another module may define a metric of its own (it registers in the same default registry
and shows in the same scrape); list its name in ``OTHER_METRIC_NAMES`` below so the docs,
the dashboard test and ``metric_names()`` know it.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import UTC, datetime
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_ENV):  # each metric below opens its file there at once
    os.makedirs(os.environ[MULTIPROC_ENV], exist_ok=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Request latencies (seconds): a fast read is a few ms, the execution budget is 10 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# --- HTTP and GraphQL ---------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "workchat_http_requests_total",
    "HTTP requests answered, by route group and status code.",
    ["route", "status"],
)
HTTP_DURATION = Histogram(
    "workchat_http_request_duration_seconds",
    "Time from receiving an HTTP request to the end of its response, by route group.",
    ["route"],
    buckets=LATENCY_BUCKETS,
)
OPERATIONS = Counter(
    "workchat_graphql_operations_total",
    "GraphQL operations (HTTP, WebSocket and MCP), by operation name, type and outcome.",
    ["operation", "type", "outcome"],
)
OPERATION_DURATION = Histogram(
    "workchat_graphql_operation_duration_seconds",
    "Execution time of queries and mutations (subscriptions are not timed: they last).",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
)
WEBSOCKETS_ACTIVE = Gauge(
    "workchat_websockets_active",
    "WebSocket connections open now.",
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS_ACTIVE = Gauge(
    "workchat_subscriptions_active",
    "GraphQL subscription operations running now.",
    multiprocess_mode="livesum",
)

# --- Events and the bus -------------------------------------------------------------------

EVENTS_PUBLISHED = Counter(
    "workchat_events_published_total",
    "Committed events published on the bus by this server.",
)
EVENTS_DELIVERED = Counter(
    "workchat_events_delivered_total",
    "Events handed to a subscriber's queue (one per event per listening subscription).",
)
EVENTS_DROPPED = Counter(
    "workchat_events_dropped_total",
    "Events not delivered: a subscriber too slow for its queue (it is closed and resumes from "
    "its cursor) or a malformed bus message.",
    ["reason"],
)
BUS_RECONNECTS = Counter(
    "workchat_bus_reconnects_total",
    "Bus connections opened again after the previous one was lost.",
)
BUS_CONNECTION_LOSSES = Counter(
    "workchat_bus_connection_losses_total",
    "Bus connections lost (a failed publish, subscribe or listen).",
)
EVENT_LAG = Histogram(
    "workchat_event_delivery_lag_seconds",
    "Time from an event's commit to its hand-off to this process's subscribers (bus transit, "
    "or backfill from the log after a gap).",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0),
)

# --- Database, search, rate limits --------------------------------------------------------

DB_POOL_IN_USE = Gauge(
    "workchat_db_pool_connections_in_use",
    "Database connections checked out of the pool now.",
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "workchat_db_pool_size",
    "Connections the pool keeps open (without overflow), summed over processes.",
    multiprocess_mode="livesum",
)
SEARCH_DURATION = Histogram(
    "workchat_search_duration_seconds",
    "Time spent in the search query (database work of one search page).",
    buckets=LATENCY_BUCKETS,
)
RATE_LIMIT_REJECTIONS = Counter(
    "workchat_rate_limit_rejections_total",
    "Requests refused RATE_LIMITED, by limit.",
    ["limit"],
)

# --- Metrics other modules define ----------------------------------------------------------
# Fan-out: executions of a subscription's selection set per event are counted by the fan-out
# module itself (it defines its Counter/Histogram in the default registry). Add its name here
# when it lands, so the dashboard test and the docs list it.
OTHER_METRIC_NAMES: tuple[str, ...] = ()

MAX_OPERATION_NAMES: Final = 100
UNNAMED: Final = "unnamed"
OTHER: Final = "other"
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_seen_names: set[str] = set()
_seen_lock = threading.Lock()


def operation_label(name: str | None) -> str:
    """A bounded label for a client-chosen operation name."""
    if not name:
        return UNNAMED
    if name in _seen_names:
        return name
    if not _NAME_RE.match(name):
        return OTHER
    with _seen_lock:
        if len(_seen_names) >= MAX_OPERATION_NAMES:
            return OTHER
        _seen_names.add(name)
    return name


def route_label(path: str) -> str:
    """Route groups, never raw paths (a scanner would make one series per path)."""
    for prefix in ("/graphql", "/mcp", "/metrics", "/healthz", "/readyz"):
        if path == prefix or path.startswith(prefix + "/"):
            return prefix.lstrip("/")
    return "other"


def observe_lag(committed_at: datetime) -> None:
    if committed_at.tzinfo is None:  # SQLite hands back naive UTC
        committed_at = committed_at.replace(tzinfo=UTC)
    EVENT_LAG.observe(max(0.0, (datetime.now(UTC) - committed_at).total_seconds()))


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def render() -> bytes:
    """The exposition text: this process's registry, or every live worker's samples."""
    if multiprocess():
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def process_exited(pid: int) -> None:
    """Drop a finished worker's live gauges (its counters still count)."""
    if multiprocess():
        _multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def metric_names() -> set[str]:
    """Every metric family name a scrape can show (counters without ``_total``)."""
    names = {
        next(iter(metric.describe())).name
        for metric in (
            HTTP_REQUESTS,
            HTTP_DURATION,
            OPERATIONS,
            OPERATION_DURATION,
            WEBSOCKETS_ACTIVE,
            SUBSCRIPTIONS_ACTIVE,
            EVENTS_PUBLISHED,
            EVENTS_DELIVERED,
            EVENTS_DROPPED,
            BUS_RECONNECTS,
            BUS_CONNECTION_LOSSES,
            EVENT_LAG,
            DB_POOL_IN_USE,
            DB_POOL_SIZE,
            SEARCH_DURATION,
            RATE_LIMIT_REJECTIONS,
        )
    }
    return names | set(OTHER_METRIC_NAMES)
