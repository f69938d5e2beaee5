"""Rate limits: login per address, per account and address, and per account (without
letting an attacker lock the owner out); refreshToken per address; mutations per user and
per API token; subscriptions per user; failed logins audited within a bound. Refused
requests answer RATE_LIMITED with ``retryAfter`` and change nothing.

Each test runs with the counters in memory and (when the run has Redis) in Redis, where two
app instances share them."""

from __future__ import annotations

import json

import pytest

from tests.support.db import audit_entries, count_rows, snapshot
from tests.support.personas import Personas, as_user
from tests.support.ratelimit import STORES, Clock, install_clock, limited_apps, login, rate_limited
from tests.support.server import serve
from tests.support.settings import PASSWORD
from tests.support.subscriptions import VIEWER_EVENTS
from tests.support.websocket import closed_code, connected, receive, send, socket
from workchat.actions.tokens import create_api_token
from workchat.db.models import Channel
from workchat.services import Services

CREATE_CHANNEL = """mutation($name: String!) {
  createChannel(input: {name: $name}) { channel { name } errors { code } }
}"""
REFRESH = """mutation($token: String!) {
  refreshToken(input: {refreshToken: $token}) { accessToken errors { code } }
}"""
HIGH = "1000/minute"


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


def failed(result: dict[str, object]) -> bool:
    payload = result["data"]["login"]  # type: ignore[index]
    return [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]  # type: ignore[index]


def logged_in(result: dict[str, object]) -> bool:
    return bool(result["data"]["login"]["accessToken"])  # type: ignore[index]


async def failed_login_entries(services: Services, personas: Personas) -> int:
    entries = await audit_entries(services, personas.bob.org_id)
    return sum(1 for entry in entries if entry.action == "auth.login_failed")


# --- login ------------------------------------------------------------------------------------


async def test_login_attempts_per_address(
    services: Services, personas: Personas, store: str, clock: Clock
) -> None:
    """Past the per-address limit every login from that address is refused (even a right
    password, which is not even checked), another address is not, and the refusal
    writes nothing. After ``retryAfter`` seconds the address may try again."""
    async with limited_apps(
        services,
        store,
        rate_limit_login_address="3/minute",
        rate_limit_login_failures=HIGH,
        rate_limit_login_account_failures=HIGH,
    ) as [server]:
        attacker, other = server.client("198.51.100.7"), server.client("198.51.100.8")
        for _ in range(3):
            assert failed(await login(attacker, personas.alice.email, "wrong-password"))
        before = await snapshot(services)
        result = await login(attacker, personas.bob.email, PASSWORD)
        retry_after = rate_limited(result)
        assert retry_after <= 61  # the window, and a second past its edge
        assert result["data"] is None
        assert await snapshot(services) == before
        assert logged_in(await login(other, personas.bob.email, PASSWORD))
        clock.advance(retry_after)
        assert logged_in(await login(attacker, personas.bob.email, PASSWORD))


async def test_retry_after_header_on_http(
    services: Services, personas: Personas, store: str
) -> None:
    """HTTP clients and proxies also get the wait as a Retry-After header."""
    async with limited_apps(services, store, rate_limit_login_address="1/minute") as [server]:
        client = server.client()
        assert failed(await login(client, personas.bob.email, "wrong-password"))
        response = await client.http.post(
            "/graphql",
            json={
                "query": 'mutation($e: String!) { login(input: {email: $e, password: "x"}) '
                "{ accessToken } }",
                "variables": {"e": personas.bob.email},
            },
        )
        retry_after = rate_limited(response.json())
        assert response.headers["retry-after"] == str(retry_after)


async def test_failures_per_account_and_address(
    services: Services, personas: Personas, store: str, clock: Clock
) -> None:
    """Wrong passwords for one account from one address lock that pair out for a short
    while; the owner logs in from elsewhere meanwhile, and the pair may try again after
    ``retryAfter``."""
    async with limited_apps(
        services,
        store,
        rate_limit_login_failures="3/5 minutes",
        rate_limit_login_account_failures=HIGH,
    ) as [server]:
        attacker, owner = server.client("198.51.100.7"), server.client("192.0.2.10")
        for _ in range(3):
            assert failed(await login(attacker, personas.bob.email, "guess"))
        entries = await failed_login_entries(services, personas)
        retry_after = rate_limited(await login(attacker, personas.bob.email, PASSWORD))
        assert 1 <= retry_after <= 301
        # Another account from the same address is not affected.
        assert logged_in(await login(attacker, personas.alice.email, PASSWORD))
        assert logged_in(await login(owner, personas.bob.email, PASSWORD))
        assert await failed_login_entries(services, personas) == entries
        clock.advance(retry_after)
        assert logged_in(await login(attacker, personas.bob.email, PASSWORD))


async def test_account_limit_does_not_lock_the_owner_out(
    services: Services, personas: Personas, store: str, clock: Clock
) -> None:
    """Failures from many addresses exhaust the account's limit: failing addresses are then
    refused and a fresh address gets a single guess, but the owner, from an address that
    was not failing, still logs in; and the lockout ends after ``retryAfter``."""
    async with limited_apps(
        services,
        store,
        rate_limit_login_failures=HIGH,
        rate_limit_login_account_failures="4/hour",
    ) as [server]:
        for index in range(4):
            bot = server.client(f"198.51.100.{index + 1}")
            assert failed(await login(bot, personas.bob.email, f"guess-{index}"))
        locked_out = server.client("198.51.100.1")
        retry_after = rate_limited(await login(locked_out, personas.bob.email, "guess"))
        assert retry_after <= 3601
        fresh = server.client("198.51.100.99")
        assert failed(await login(fresh, personas.bob.email, "one-more-guess"))
        rate_limited(await login(fresh, personas.bob.email, PASSWORD))
        owner = server.client("192.0.2.10")
        assert logged_in(await login(owner, personas.bob.email, PASSWORD))
        clock.advance(retry_after)
        assert logged_in(await login(locked_out, personas.bob.email, PASSWORD))


async def test_a_successful_login_clears_the_address_failures(
    services: Services, personas: Personas, store: str
) -> None:
    """The owner mistyping a few times and then getting in starts afresh."""
    async with limited_apps(
        services, store, rate_limit_login_failures="3/hour", rate_limit_login_account_failures=HIGH
    ) as [server]:
        owner = server.client("192.0.2.10")
        for _ in range(2):
            assert failed(await login(owner, personas.bob.email, "typo"))
        assert logged_in(await login(owner, personas.bob.email, PASSWORD))
        for _ in range(3):
            assert failed(await login(owner, personas.bob.email, "typo"))
        rate_limited(await login(owner, personas.bob.email, PASSWORD))


async def test_failed_logins_are_audited_within_a_bound(
    services: Services, personas: Personas, store: str
) -> None:
    """30 wrong passwords from 30 addresses (all answered) write two audit entries: the
    first failure of the window and the 10th, which carries the count."""
    async with limited_apps(
        services,
        store,
        rate_limit_login_failures=HIGH,
        rate_limit_login_account_failures=HIGH,
        failed_login_audit_window_seconds=3600,
    ) as [server]:
        before = await failed_login_entries(services, personas)
        for index in range(30):
            client = server.client(f"198.51.100.{index + 1}")
            assert failed(await login(client, personas.bob.email, f"guess-{index}"))
        entries = [
            e
            for e in await audit_entries(services, personas.bob.org_id)
            if e.action == "auth.login_failed"
        ]
        assert len(entries) - before == 2
        assert [e.diff["after"]["failures_in_window"] for e in entries[-2:]] == [1, 10]
        assert all("guess" not in json.dumps(e.diff) for e in entries)


async def test_login_limits_are_shared_by_app_instances(
    services: Services, personas: Personas
) -> None:
    """With Redis, every process counts against the same limit."""
    if "redis" not in STORES:
        pytest.skip("WORKCHAT_TEST_REDIS_URL is not set")
    async with limited_apps(services, "redis", count=2, rate_limit_login_failures="2/hour") as [
        one,
        two,
    ]:
        address = "198.51.100.7"
        assert failed(await login(one.client(address), personas.bob.email, "guess-1"))
        assert failed(await login(two.client(address), personas.bob.email, "guess-2"))
        rate_limited(await login(one.client(address), personas.bob.email, PASSWORD))
        rate_limited(await login(two.client(address), personas.bob.email, PASSWORD))


# --- client address ---------------------------------------------------------------------------


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    services: Services, personas: Personas, store: str
) -> None:
    """A client cannot escape its per-address limit by writing X-Forwarded-For."""
    async with limited_apps(services, store, rate_limit_login_address="2/minute") as [server]:
        client = server.client("198.51.100.7")
        for index in range(2):
            client.http.headers["x-forwarded-for"] = f"203.0.113.{index}"
            assert failed(await login(client, personas.bob.email, "guess"))
        client.http.headers["x-forwarded-for"] = "203.0.113.50"
        rate_limited(await login(client, personas.bob.email, PASSWORD))


async def test_a_trusted_proxy_passes_on_the_client_address(
    services: Services, personas: Personas, store: str
) -> None:
    async with limited_apps(
        services, store, rate_limit_login_address="2/minute", trusted_proxies=("10.0.0.0/8",)
    ) as [server]:
        proxy = server.client("10.1.2.3")
        proxy.http.headers["x-forwarded-for"] = "203.0.113.1"
        for _ in range(2):
            assert failed(await login(proxy, personas.bob.email, "guess"))
        rate_limited(await login(proxy, personas.bob.email, PASSWORD))
        # Another client behind the same proxy has its own count.
        proxy.http.headers["x-forwarded-for"] = "203.0.113.2"
        assert logged_in(await login(proxy, personas.bob.email, PASSWORD))


# --- refresh, mutations, subscriptions ------------------------------------------------------


async def test_refresh_per_address(services: Services, personas: Personas, store: str) -> None:
    async with limited_apps(services, store, rate_limit_refresh_address="2/minute") as [server]:
        client = server.client("198.51.100.7")
        issued = (await client.login(personas.bob))["refreshToken"]
        for _ in range(2):
            result = await client.execute(REFRESH, {"token": "wc_r_not-a-token"})
            assert result["data"]["refreshToken"]["errors"] == [{"code": "INVALID_TOKEN"}]
        before = await snapshot(services)
        rate_limited(await client.execute(REFRESH, {"token": issued}))
        assert await snapshot(services) == before  # the token was not rotated
        other = server.client("198.51.100.8")
        assert (await other.execute(REFRESH, {"token": issued}))["data"]["refreshToken"][
            "accessToken"
        ]


async def test_mutations_per_user(services: Services, personas: Personas, store: str) -> None:
    """Each root mutation field counts, so aliases do not multiply the allowance."""
    async with limited_apps(services, store, rate_limit_mutations_user="3/minute") as [server]:
        bob, alice = server.client(), server.client()
        channels = await count_rows(services, Channel)
        aliased = (
            'mutation { a: createChannel(input: {name: "one"}) { errors { code } } '
            'b: createChannel(input: {name: "two"}) { errors { code } } }'
        )
        result = await bob.execute(aliased, as_=personas.bob)
        assert not result.get("errors"), result
        assert (await bob.execute(CREATE_CHANNEL, {"name": "three"}, as_=personas.bob))["data"]
        assert await count_rows(services, Channel) == channels + 3
        before = await snapshot(services)
        rate_limited(await bob.execute(CREATE_CHANNEL, {"name": "four"}, as_=personas.bob))
        assert await snapshot(services) == before
        result = await alice.execute(CREATE_CHANNEL, {"name": "alices"}, as_=personas.alice)
        assert result["data"]["createChannel"]["errors"] == []


async def test_mutations_per_api_token(services: Services, personas: Personas, store: str) -> None:
    """An API token has its own, smaller allowance; the user's sessions keep theirs."""
    created = await create_api_token(
        services,
        as_user(personas.alice),
        user_id=personas.bob.id,
        name="bot",
        scopes=["read", "write"],
    )
    async with limited_apps(
        services, store, rate_limit_mutations_token="2/minute", rate_limit_mutations_user=HIGH
    ) as [server]:
        client = server.client()
        for name in ("bot-one", "bot-two"):
            result = await client.execute(CREATE_CHANNEL, {"name": name}, token=created.secret)
            assert result["data"]["createChannel"]["errors"] == []
        before = await count_rows(services, Channel)
        rate_limited(await client.execute(CREATE_CHANNEL, {"name": "x"}, token=created.secret))
        assert await count_rows(services, Channel) == before
        result = await client.execute(CREATE_CHANNEL, {"name": "by-hand"}, as_=personas.bob)
        assert result["data"]["createChannel"]["errors"] == []


async def test_subscriptions_per_user(services: Services, personas: Personas, store: str) -> None:
    """Starting subscriptions is limited per user; the refused one ends at once."""
    async with limited_apps(services, store, rate_limit_subscriptions_user="2/minute") as [server]:
        token = (await server.client().login(personas.bob))["accessToken"]
        async with serve(server.app) as address, socket(address) as ws:
            await connected(ws, token)
            for op_id in ("1", "2", "3"):
                await send(
                    ws, {"id": op_id, "type": "subscribe", "payload": {"query": VIEWER_EVENTS}}
                )
            refused = await receive(ws)
            # The three start side by side: whichever comes last is refused.
            assert refused["id"] in {"1", "2", "3"} and refused["type"] == "next", refused
            errors = refused["payload"]["errors"]
            assert [e["extensions"]["code"] for e in errors] == ["RATE_LIMITED"]
            assert errors[0]["extensions"]["retryAfter"] >= 1
            assert (await receive(ws)) == {"id": refused["id"], "type": "complete"}


async def test_sockets_per_user_across_processes(
    services: Services, personas: Personas, store: str
) -> None:
    """The socket cap counts the user's sockets on every server process; other users and
    closed sockets free places as before."""
    async with limited_apps(services, store, count=2, max_sockets_per_user=2) as [one, two]:
        token = (await one.client().login(personas.bob))["accessToken"]
        async with serve(one.app) as first, serve(two.app) as second:
            async with socket(first) as a, socket(second) as b:
                await connected(a, token)
                await connected(b, token)
                for server in (first, second):
                    async with socket(server) as extra:
                        await send(extra, {"type": "connection_init", "payload": {"token": token}})
                        assert await closed_code(extra) == 4403
                async with socket(second) as alices:
                    await connected(
                        alices, (await one.client().login(personas.alice))["accessToken"]
                    )
            async with socket(second) as again:
                await connected(again, token)


async def test_every_subscription_field_counts(
    services: Services, personas: Personas, store: str
) -> None:
    """joinedChannelEvents (the MCP long-poll's stream) counts like the other streams."""
    async with limited_apps(services, store, rate_limit_subscriptions_user="1/minute") as [server]:
        token = (await server.client().login(personas.bob))["accessToken"]
        async with serve(server.app) as address, socket(address) as ws:
            await connected(ws, token)
            await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": VIEWER_EVENTS}})
            joined = "subscription { joinedChannelEvents { __typename } }"
            await send(ws, {"id": "2", "type": "subscribe", "payload": {"query": joined}})
            refused = await receive(ws)
            assert refused["id"] == "2" and refused["type"] == "next", refused
            codes = [e["extensions"]["code"] for e in refused["payload"]["errors"]]
            assert codes == ["RATE_LIMITED"]
            assert (await receive(ws)) == {"id": "2", "type": "complete"}
