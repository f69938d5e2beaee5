"""Prometheus metrics: the protected /metrics endpoint, bounded labels, and that each kind of
work moves its metric (operations, latency, sockets, subscriptions, events, bus, pool,
search, rate limits). Counters are process-wide, so tests compare before and after."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from tests.support.chat import make_channel, post
from tests.support.graphql_client import ClientFactory, GraphQLClient
from tests.support.operations import cid
from tests.support.personas import Personas
from tests.support.settings import PASSWORD
from tests.support.subscriptions import CHANNEL_EVENTS, Subscriptions, event_cursor
from tests.support.websocket import connected, socket
from workchat import metrics
from workchat.events.bus import EventBus
from workchat.events.hub import Listener
from workchat.events.log import CommittedEvent
from workchat.services import Services

TOKEN = "metrics-token-0123456789abcdef"
DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "workchat.json"
LOGIN = """mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code } }
}"""


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def eventually(check: object, within: float = 5.0) -> None:
    """Wait (bounded) until ``check()`` is true: gauges move when the server notices."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():  # type: ignore[operator]
        assert loop.time() < deadline, "the metric never reached the expected value"
        await asyncio.sleep(0.02)


async def test_metrics_need_the_token(client_with: ClientFactory) -> None:
    """Off without a token (404, like any unknown path); a wrong token looks the same."""
    off = await client_with()
    assert (await off.get("/metrics")).status_code == 404
    assert (await off.get("/metrics", headers={"authorization": "Bearer "})).status_code == 404
    on = await client_with(metrics_token=TOKEN)
    assert (await on.get("/metrics")).status_code == 404
    wrong = await on.get("/metrics", headers={"authorization": f"Bearer {TOKEN}x"})
    assert wrong.status_code == 404
    response = await on.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {family.name for family in text_string_to_metric_families(response.text)}
    # Counters are listed without their _total suffix by the parser, as by metric_names().
    assert metrics.metric_names() <= families, metrics.metric_names() - families


async def test_operations_are_counted_by_bounded_name_and_outcome(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok = {"operation": "Probe", "type": "query", "outcome": "ok"}
    unnamed = {"operation": "unnamed", "type": "query", "outcome": "ok"}
    before_ok = value("workchat_graphql_operations_total", **ok)
    before_unnamed = value("workchat_graphql_operations_total", **unnamed)
    before_timed = value(
        "workchat_graphql_operation_duration_seconds_count", operation="Probe", type="query"
    )
    await http.post("/graphql", json={"query": "query Probe { __typename }"})
    await http.post("/graphql", json={"query": "{ __typename }"})
    assert value("workchat_graphql_operations_total", **ok) == before_ok + 1
    assert value("workchat_graphql_operations_total", **unnamed) == before_unnamed + 1
    assert (
        value("workchat_graphql_operation_duration_seconds_count", operation="Probe", type="query")
        == before_timed + 1
    )
    # A failing operation is counted under its error code.
    before_failed = value(
        "workchat_graphql_operations_total",
        operation="Probe",
        type="query",
        outcome="UNAUTHENTICATED",
    )
    await http.post("/graphql", json={"query": "query Probe { viewer { id } }"})
    assert (
        value(
            "workchat_graphql_operations_total",
            operation="Probe",
            type="query",
            outcome="UNAUTHENTICATED",
        )
        == before_failed + 1
    )
    # Past the cap, new names share one label: clients cannot grow the series at will.
    monkeypatch.setattr(metrics, "MAX_OPERATION_NAMES", 0)
    monkeypatch.setattr(metrics, "_seen_names", set())
    other = {"operation": "other", "type": "query", "outcome": "ok"}
    before_other = value("workchat_graphql_operations_total", **other)
    for index in range(3):
        await http.post("/graphql", json={"query": f"query Random{index} {{ __typename }}"})
    assert value("workchat_graphql_operations_total", **other) == before_other + 3
    assert value("workchat_graphql_operations_total", operation="Random1", type="query") == 0


def test_operation_labels_are_bounded() -> None:
    assert metrics.operation_label(None) == "unnamed"
    assert metrics.operation_label("") == "unnamed"
    assert metrics.operation_label("x" * 65) == "other"
    assert metrics.operation_label("drop table;") == "other"
    assert metrics.route_label("/graphql") == "graphql"
    assert metrics.route_label("/wp-admin/x.php") == "other"


async def test_rate_limit_rejections_and_search_latency(
    client_with: ClientFactory, personas: Personas
) -> None:
    client = await client_with(rate_limit_login_address="1/minute")
    before = value("workchat_rate_limit_rejections_total", limit="login-address")
    variables = {"email": personas.bob.email, "password": PASSWORD}
    first = (await client.post("/graphql", json={"query": LOGIN, "variables": variables})).json()
    token = first["data"]["login"]["accessToken"]
    second = (await client.post("/graphql", json={"query": LOGIN, "variables": variables})).json()
    assert second["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert value("workchat_rate_limit_rejections_total", limit="login-address") == before + 1

    searches = value("workchat_search_duration_seconds_count")
    result = await client.post(
        "/graphql",
        json={"query": '{ search(query: "deploy", first: 5) { totalCount } }'},
        headers={"authorization": f"Bearer {token}"},
    )
    assert "errors" not in result.json(), result.json()
    assert value("workchat_search_duration_seconds_count") == searches + 1


async def test_sockets_subscriptions_and_events(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    alice, bob = personas.alice, personas.bob
    channel = await make_channel(services, alice, "metrics", members=(bob,))
    after = await event_cursor(gql, bob)
    sockets = value("workchat_websockets_active")
    subscriptions = value("workchat_subscriptions_active")
    published = value("workchat_events_published_total")
    delivered = value("workchat_events_delivered_total")
    lags = value("workchat_event_delivery_lag_seconds_count")
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        assert value("workchat_websockets_active") == sockets + 1
        subs = Subscriptions(ws)
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(channel), "after": after})
        await post(services, alice, channel, "counted")
        assert (await subs.event("c"))["__typename"] == "MessagePosted"
        assert value("workchat_subscriptions_active") == subscriptions + 1
        assert value("workchat_events_published_total") >= published + 1
        assert value("workchat_events_delivered_total") >= delivered + 1
        assert value("workchat_event_delivery_lag_seconds_count") >= lags + 1
    await eventually(lambda: value("workchat_websockets_active") == sockets)
    await eventually(lambda: value("workchat_subscriptions_active") == subscriptions)


def _event(seq: int) -> CommittedEvent:
    from workchat.db.base import utcnow

    return CommittedEvent(seq, uuid.uuid4(), "message.posted", {}, None, None, utcnow())


def test_a_full_subscriber_queue_counts_a_dropped_event() -> None:
    """The second event finds the one-slot queue full: not queued, counted as dropped.
    (Deliveries are counted by the hub once per event: tests/events/test_hub_index.py.)"""
    dropped = value("workchat_events_dropped_total", reason="subscriber_too_slow")
    listener = Listener(1)
    assert listener.offer(_event(1)) is True
    assert listener.offer(_event(2)) is False
    assert listener.overflowed.is_set()
    assert value("workchat_events_dropped_total", reason="subscriber_too_slow") == dropped + 1


async def test_bus_reconnects_are_counted() -> None:
    bus = EventBus("memory://")
    reconnects = value("workchat_bus_reconnects_total")
    await bus.connect()
    assert value("workchat_bus_reconnects_total") == reconnects  # the first is no reconnect
    await bus.disconnect()
    await bus.connect()
    assert value("workchat_bus_reconnects_total") == reconnects + 1
    await bus.disconnect()


async def test_pool_connections_in_use(services: Services) -> None:
    assert value("workchat_db_pool_size") > 0
    idle = value("workchat_db_pool_connections_in_use")
    async with services.db.read_session() as session:
        await session.execute(text("SELECT 1"))
        assert value("workchat_db_pool_connections_in_use") == idle + 1
    assert value("workchat_db_pool_connections_in_use") == idle


def test_the_dashboard_uses_only_metrics_that_exist() -> None:
    """Every series a Grafana panel queries is one the server exports."""
    import re

    board = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in board["panels"] for target in panel.get("targets", [])]
    assert exprs
    used = set()
    for expr in exprs:
        used.update(re.findall(r"\bworkchat_[a-z_]+", expr))
    known = set()
    for name in metrics.metric_names():
        known |= {name, f"{name}_total", f"{name}_bucket", f"{name}_count", f"{name}_sum"}
    assert used and used <= known, used - known
    # Every metric has at least one panel.
    assert {
        name for name in metrics.metric_names() if not any(u.startswith(name) for u in used)
    } == set()


def test_metrics_settings_are_checked() -> None:
    from workchat.settings import Settings, SettingsError

    settings = Settings.from_mapping(
        {"WORKCHAT_METRICS_TOKEN": TOKEN, "WORKCHAT_METRICS_PORT": "23999"}
    )
    assert settings.metrics_token == TOKEN and settings.metrics_port == 23999
    assert TOKEN not in repr(settings)
    with pytest.raises(SettingsError, match="WORKCHAT_METRICS_TOKEN"):
        Settings.from_mapping({"WORKCHAT_METRICS_TOKEN": "short"})
    with pytest.raises(SettingsError, match="WORKCHAT_METRICS_PORT"):
        Settings.from_mapping({"WORKCHAT_METRICS_PORT": "70000"})
    with pytest.raises(SettingsError, match="WORKCHAT_SHUTDOWN_TIMEOUT_SECONDS"):
        Settings.from_mapping({"WORKCHAT_SHUTDOWN_TIMEOUT_SECONDS": "0"})
