"""Operations on one long-lived WebSocket read the database afresh: DataLoaders live for one
operation, not for the socket, so a membership lost or a channel renamed between two
operations is seen by the second (the socket must not keep showing a private channel)."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from sqlalchemy import delete
from websockets.asyncio.client import ClientConnection

from tests.graphql import test_authorization_matrix as matrix
from tests.graphql.test_authorization_matrix import MESSAGE, NODE, World
from tests.support.chat import make_channel, post
from tests.support.graphql_client import GraphQLClient, gid
from tests.support.operations import (
    INVITE_TO_CHANNEL,
    JOIN_CHANNEL,
    LEAVE_CHANNEL,
    POST_MESSAGE,
    UPDATE_CHANNEL,
    cid,
    login_all,
    mid,
    run,
)
from tests.support.personas import Persona, Personas
from tests.support.websocket import connected, receive, send, socket
from workchat.db.models import Membership
from workchat.services import Services

PAGE = """query($id: ID!) {
    channel(id: $id) { name viewerIsMember messages(last: 10) { edges { node { body } } } }
}"""

_ids = itertools.count()


async def ws_execute(
    ws: ClientConnection, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run a query as its own operation on the socket; its one result (``next``, then
    ``complete``)."""
    op_id = f"op{next(_ids)}"
    payload = {"query": query, "variables": variables or {}}
    await send(ws, {"id": op_id, "type": "subscribe", "payload": payload})
    message = await receive(ws)
    assert (message["id"], message["type"]) == (op_id, "next"), message
    assert await receive(ws) == {"id": op_id, "type": "complete"}
    return message["payload"]  # type: ignore[no-any-return]


def bodies(channel: dict[str, Any]) -> list[str]:
    return [edge["node"]["body"] for edge in channel["messages"]["edges"]]


async def test_leaving_a_private_channel_hides_it_from_an_open_socket(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Bob reads Alice's private channel over a socket, leaves it over HTTP, Alice posts:
    the same query on the same socket now gets null, and the new message is not visible."""
    alice, bob = personas.alice, personas.bob
    secret = await make_channel(services, alice, "secret", private=True, members=(bob,))
    await post(services, alice, secret, "before bob left")
    await login_all(gql, alice, bob)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        before = await ws_execute(ws, PAGE, {"id": cid(secret)})
        assert before == {
            "data": {
                "channel": {
                    "name": "secret",
                    "viewerIsMember": True,
                    "messages": {"edges": [{"node": {"body": "before bob left"}}]},
                }
            }
        }
        await run(gql, LEAVE_CHANNEL, {"channelId": cid(secret)}, bob)
        posted = await run(gql, POST_MESSAGE, {"channelId": cid(secret), "body": "after"}, alice)
        later = posted["message"]["id"]

        assert await ws_execute(ws, PAGE, {"id": cid(secret)}) == {"data": {"channel": None}}
        assert await ws_execute(ws, MESSAGE, {"id": later}) == {"data": {"message": None}}
        assert await ws_execute(ws, NODE, {"id": later}) == {"data": {"node": None}}
        assert await ws_execute(ws, NODE, {"id": cid(secret)}) == {"data": {"node": None}}
        # Writing through the same socket is refused like over HTTP.
        refused = await ws_execute(
            ws, POST_MESSAGE, {"input": {"channelId": cid(secret), "body": "still here?"}}
        )
        assert [e["code"] for e in refused["data"]["postMessage"]["errors"]] == ["NOT_FOUND"]


async def test_a_rename_is_seen_by_an_open_socket(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A channel Bob's socket already read, renamed by Alice over HTTP: the socket's next
    operations show the new name, through the channel, a message and the node field."""
    alice, bob = personas.alice, personas.bob
    room = await make_channel(services, alice, "old-name", private=True, members=(bob,))
    message = await post(services, alice, room, "hello")
    await login_all(gql, alice, bob)
    through_message = "query($id: ID!) { message(id: $id) { channel { name } } }"
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        assert (await ws_execute(ws, PAGE, {"id": cid(room)}))["data"]["channel"]["name"] == (
            "old-name"
        )
        assert await ws_execute(ws, through_message, {"id": mid(message)}) == {
            "data": {"message": {"channel": {"name": "old-name"}}}
        }
        await run(gql, UPDATE_CHANNEL, {"channelId": cid(room), "name": "new-name"}, alice)

        assert (await ws_execute(ws, PAGE, {"id": cid(room)}))["data"]["channel"]["name"] == (
            "new-name"
        )
        assert await ws_execute(ws, through_message, {"id": mid(message)}) == {
            "data": {"message": {"channel": {"name": "new-name"}}}
        }
        node = await ws_execute(ws, NODE, {"id": cid(room)})
        assert node["data"]["node"]["name"] == "new-name"


# The matrix's own fixture: Acme's public and private channel, a message in each, Bob in neither.
matrix_world = matrix.world
QUERY_ROWS = [row for row in matrix.ROWS if matrix._root(row.query) in matrix.QUERIES]


async def _same_as_http(
    ws: ClientConnection, gql: GraphQLClient, world: World, persona: Persona
) -> dict[str, Any]:
    """Every query row over the socket and over HTTP; the socket must answer what HTTP does.
    Returns HTTP's answers by row id."""
    answers: dict[str, Any] = {}
    for row in QUERY_ROWS:
        variables = row.variables(world)
        over_http = await gql.execute(row.query, variables, as_=persona)
        over_socket = await ws_execute(ws, row.query, variables)
        assert over_socket == over_http, row.id
        answers[row.id] = over_http["data"][matrix._root(row.query)]
    return answers


def _visible(answers: dict[str, Any]) -> set[str]:
    return {row_id for row_id, value in answers.items() if value is not None}


async def test_matrix_queries_on_one_socket_follow_membership_changes(
    live_server: str, gql: GraphQLClient, services: Services, matrix_world: World
) -> None:
    """The authorization matrix's queries, run as Bob over ONE socket that stays open while
    he joins, leaves, is invited and is removed: at each point the socket gives exactly the
    answers HTTP gives."""
    world = matrix_world
    alice, bob = world.personas.alice, world.personas.bob
    public, private = cid(world.public), cid(world.private)
    private_rows = {
        "channel-private",
        "message-private",
        "node-private-channel",
        "node-private-message",
    }
    states: list[tuple[str, set[str]]] = []
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))

        async def check(step: str) -> None:
            answers = await _same_as_http(ws, gql, world, bob)
            states.append((step, _visible(answers) & private_rows))

        await check("outsider")
        await run(gql, JOIN_CHANNEL, {"channelId": public}, bob)
        await check("joined public")
        await run(gql, INVITE_TO_CHANNEL, {"channelId": private, "userId": _user(bob)}, alice)
        await check("invited to private")
        await run(gql, LEAVE_CHANNEL, {"channelId": private}, bob)
        await check("left private")
        await run(gql, INVITE_TO_CHANNEL, {"channelId": private, "userId": _user(bob)}, alice)
        await check("invited again")
        await _remove_member(services, world.private.id, bob)
        await check("removed from private")
        await run(gql, LEAVE_CHANNEL, {"channelId": public}, bob)
        await check("left public")
    # The steps did change what Bob may see (so the socket had stale answers to give).
    assert states == [
        ("outsider", set()),
        ("joined public", set()),
        ("invited to private", private_rows),
        ("left private", set()),
        ("invited again", private_rows),
        ("removed from private", set()),
        ("left public", set()),
    ]


def _user(persona: Persona) -> str:
    return gid("User", persona.id)


async def _remove_member(services: Services, channel_id: uuid.UUID, persona: Persona) -> None:
    """Someone else ends the membership. No action removes another member yet, so the row
    is deleted directly: what matters here is only that it is gone."""
    async with services.db.write_session() as session, session.begin():
        result = await session.execute(
            delete(Membership).where(
                Membership.channel_id == channel_id, Membership.user_id == persona.id
            )
        )
        assert result.rowcount == 1  # type: ignore[attr-defined]
