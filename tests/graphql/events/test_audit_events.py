"""``auditEvents`` over a real WebSocket: admins see the trail grow (also for actions that
emit no event, like logins), resume by cursor, filter; members are refused."""

from __future__ import annotations

from tests.support.chat import make_channel, post
from tests.support.graphql_client import GraphQLClient
from tests.support.personas import Personas
from tests.support.subscriptions import AUDIT_EVENTS, Subscriptions
from tests.support.websocket import connected, socket
from workchat.services import Services

LAST_CURSOR = "{ auditLog(last: 1) { edges { node { cursor action } } } }"


async def newest_cursor(gql: GraphQLClient, persona: object) -> str:
    result = await gql.execute(LAST_CURSOR, as_=persona)  # type: ignore[arg-type]
    return str(result["data"]["auditLog"]["edges"][-1]["node"]["cursor"])


async def test_admins_follow_the_trail_and_resume(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    alice = personas.alice
    after = await newest_cursor(gql, alice)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(alice))
        subs = Subscriptions(ws)
        await subs.start("a", AUDIT_EVENTS, {"after": after})
        channel = await make_channel(services, alice, "dev")
        created = await subs.event("a")
        assert (created["action"], created["actor"]) == ("channel.create", {"displayName": "Alice"})
        # A login audits without emitting an event: the tail still wakes up.
        await gql.login(personas.bob)
        login = await subs.event("a")
        assert login["action"] == "auth.login"
        await post(services, alice, channel, "one")
        posted = await subs.event("a")
        assert posted["action"] == "message.post"

    # Resume from the channel.create entry: exactly what came after it, in chain order.
    await post(services, alice, channel, "two")
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(alice))
        subs = Subscriptions(ws)
        await subs.start("a", AUDIT_EVENTS, {"after": created["cursor"]})
        actions = [(await subs.event("a"))["action"] for _ in range(3)]
        assert actions == ["auth.login", "message.post", "message.post"]
        await subs.start(
            "f", AUDIT_EVENTS, {"after": created["cursor"], "filter": {"action": "message.post"}}
        )
        assert [(await subs.event("f"))["action"] for _ in range(2)] == ["message.post"] * 2
        await post(services, alice, channel, "three")
        assert (await subs.event("f"))["action"] == "message.post"


async def test_members_and_foreign_cursors_are_refused(
    live_server: str, gql: GraphQLClient, personas: Personas
) -> None:
    foreign = await newest_cursor(gql, personas.eve)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(personas.bob))
        subs = Subscriptions(ws)
        await subs.start("a", AUDIT_EVENTS, {})
        assert await subs.error_codes("a") == ["FORBIDDEN"]
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(personas.alice))
        subs = Subscriptions(ws)
        await subs.start("a", AUDIT_EVENTS, {"after": foreign})
        assert await subs.error_codes("a") == ["INVALID_INPUT"]
        await subs.start("b", AUDIT_EVENTS, {"after": "garbage"})
        assert await subs.error_codes("b") == ["INVALID_INPUT"]
