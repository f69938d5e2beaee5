"""``joinedChannelEvents``: one stream of the events of every channel the viewer is in, by
membership when each event is delivered (join: from then on; leave: one's own MemberLeft,
then nothing). Events come in log order, so an event that arrives after a skipped one shows
that it was skipped."""

from __future__ import annotations

from tests.support.chat import general, make_channel, post
from tests.support.graphql_client import GraphQLClient
from tests.support.personas import Personas, as_user
from tests.support.subscriptions import Subscriptions, event_cursor
from tests.support.websocket import connected, socket
from workchat.actions import channels as ch
from workchat.services import Services

JOINED = """subscription($after: String) {
  joinedChannelEvents(after: $after) {
    __typename
    ... on MessagePosted { cursor message { body channel { name } } }
    ... on MemberJoined { cursor user { displayName } channel { name } }
    ... on MemberLeft { cursor user { displayName } channel { name } }
    ... on ResyncRequired { reason }
  }
}"""


def _summary(event: dict[str, object]) -> tuple[object, ...]:
    message = event.get("message")
    if isinstance(message, dict):
        return (event["__typename"], message["channel"]["name"], message["body"])
    return (event["__typename"], event["channel"]["name"], event["user"]["displayName"])  # type: ignore[index]


async def test_follows_membership_across_channels(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    alice, bob = personas.alice, personas.bob
    town = await general(services, alice)
    ops = await make_channel(services, alice, "ops")
    after = await event_cursor(gql, bob)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        subs = Subscriptions(ws)
        await subs.start("j", JOINED, {"after": after})
        # Membership is checked as each event is delivered: wait for each before changing it.
        await post(services, alice, town, "one")
        events = [await subs.event("j")]
        await post(services, alice, ops, "bob is not in ops yet")
        await post(services, alice, town, "two")
        events.append(await subs.event("j"))
        await ch.join_channel(services, as_user(bob), ops.id)
        events.append(await subs.event("j"))
        await post(services, alice, ops, "three")
        events.append(await subs.event("j"))
        await ch.leave_channel(services, as_user(bob), ops.id)
        events.append(await subs.event("j"))
        await post(services, alice, ops, "bob has left")
        await post(services, alice, town, "four")
        events.append(await subs.event("j"))
    assert [_summary(e) for e in events] == [
        ("MessagePosted", "general", "one"),
        ("MessagePosted", "general", "two"),
        ("MemberJoined", "ops", "Bob"),
        ("MessagePosted", "ops", "three"),
        ("MemberLeft", "ops", "Bob"),
        ("MessagePosted", "general", "four"),
    ]


async def test_other_orgs_cursor_asks_for_a_resync(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    eves_cursor = await event_cursor(gql, personas.eve)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(personas.bob))
        subs = Subscriptions(ws)
        await subs.start("j", JOINED, {"after": eves_cursor})
        event = await subs.event("j")
        await subs.completed("j")
    assert event["__typename"] == "ResyncRequired"
