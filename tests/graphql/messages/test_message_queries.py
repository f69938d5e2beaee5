"""Message reads over GraphQL: Channel.messages keyset pages (roots only, newest last),
Message.replies, `message(id)` and node(id:) visibility (docs/adr/0005-api-contract.md)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.chat import make_channel, post
from tests.support.db import snapshot
from tests.support.graphql_client import GraphQLClient
from tests.support.operations import cid, login_all, mid, query_data, top_codes
from tests.support.personas import Persona, Personas, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.db.models import Channel, Message
from workchat.graphql.relay import encode_cursor
from workchat.services import Services

PAGE = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
MESSAGES = f"""query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {{
    channel(id: $id) {{
        messages(first: $first, after: $after, last: $last, before: $before) {{
            edges {{ cursor node {{ id body seq isReply isDeleted }} }}
            nodes {{ id }}
            {PAGE}
        }}
    }}
}}"""
REPLIES = f"""query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {{
    message(id: $id) {{
        replyCount
        replies(first: $first, after: $after, last: $last, before: $before) {{
            edges {{ cursor node {{ id body threadId isReply }} }}
            {PAGE}
        }}
    }}
}}"""
MESSAGE = """query($id: ID!) {
    message(id: $id) { id body author { displayName } channel { id name isPrivate } }
}"""
NODE = """query($id: ID!) {
    node(id: $id) { __typename id ... on Message { body threadId channel { name } } }
}"""


@pytest.fixture
async def room(services: Services, personas: Personas, gql: GraphQLClient) -> Channel:
    await login_all(gql, personas.alice, personas.bob, personas.eve)
    return await make_channel(services, personas.alice, "dev", members=(personas.bob,))


async def seed_roots(
    services: Services, personas: Personas, channel: Channel, count: int
) -> list[Message]:
    """``count`` roots (alternating authors), each followed by a reply on every third."""
    roots = []
    for index in range(count):
        author = personas.alice if index % 2 else personas.bob
        root = await post(services, author, channel, f"m{index}")
        roots.append(root)
        if index % 3 == 0:
            await post(services, personas.alice, channel, f"r{index}", thread=root)
    return roots


async def messages_page(
    gql: GraphQLClient, persona: Persona, channel: Channel, **variables: Any
) -> dict[str, Any]:
    data = await query_data(gql, MESSAGES, persona, id=cid(channel), **variables)
    return data["channel"]["messages"]  # type: ignore[no-any-return]


def bodies(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["body"] for edge in connection["edges"]]


# --- Channel.messages ------------------------------------------------------------------------


async def test_default_page_is_the_newest_fifty_roots_newest_last(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """With no arguments: the newest 50 roots, oldest of them first, no replies; there are
    older ones (hasPreviousPage) and nothing newer."""
    await seed_roots(services, personas, room, 55)
    page = await messages_page(gql, personas.bob, room)
    assert bodies(page) == [f"m{i}" for i in range(5, 55)]
    assert all(not edge["node"]["isReply"] for edge in page["edges"])
    assert [n["id"] for n in page["nodes"]] == [e["node"]["id"] for e in page["edges"]]
    seqs = [edge["node"]["seq"] for edge in page["edges"]]
    assert seqs == sorted(seqs)
    info = page["pageInfo"]
    assert (info["hasPreviousPage"], info["hasNextPage"]) == (True, False)
    assert (info["startCursor"], info["endCursor"]) == (
        page["edges"][0]["cursor"],
        page["edges"][-1]["cursor"],
    )


async def test_empty_channel_has_an_empty_page(
    gql: GraphQLClient, personas: Personas, room: Channel
) -> None:
    """A channel with no messages: no edges, null cursors, no pages either way."""
    page = await messages_page(gql, personas.bob, room)
    assert page["edges"] == [] and page["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }


async def test_walk_backwards_with_last_and_before(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """last/before pages from the newest back to the oldest: every root exactly once;
    hasNextPage is true once a `before` is given."""
    roots = await seed_roots(services, personas, room, 17)
    collected: list[str] = []
    before = None
    pages = 0
    while True:
        page = await messages_page(gql, personas.bob, room, last=5, before=before)
        pages += 1
        collected = bodies(page) + collected
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert collected == [root.body for root in roots]
    assert pages == 4


async def test_walk_forwards_with_first_and_after(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """first/after pages from the oldest: every root exactly once, in order."""
    roots = await seed_roots(services, personas, room, 17)
    collected: list[str] = []
    after = None
    while True:
        page = await messages_page(gql, personas.bob, room, first=5, after=after)
        collected += bodies(page)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert collected == [root.body for root in roots]


async def test_backward_walk_is_stable_while_messages_arrive(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """New posts between page fetches neither shift nor repeat older pages (keyset by seq)."""
    roots = await seed_roots(services, personas, room, 12)
    collected: list[str] = []
    before = None
    for round_ in range(10):
        page = await messages_page(gql, personas.bob, room, last=4, before=before)
        collected = bodies(page) + collected
        await post(services, personas.alice, room, f"new{round_}")
        await post(services, personas.alice, room, f"new-reply{round_}", thread=roots[0])
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert collected == [root.body for root in roots]


async def test_forward_walk_is_stable_while_messages_arrive(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """Walking forwards while others post: each root once, newly posted ones at the end."""
    roots = await seed_roots(services, personas, room, 9)
    collected: list[str] = []
    after = None
    added: list[str] = []
    for round_ in range(10):
        page = await messages_page(gql, personas.bob, room, first=4, after=after)
        collected += bodies(page)
        if round_ < 2:
            added.append((await post(services, personas.alice, room, f"new{round_}")).body)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert collected == [root.body for root in roots] + added


async def test_after_and_before_together_bound_a_window(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """after+before with first gives the roots strictly between the two cursors; with last
    (or neither count) the newest of them."""
    roots = await seed_roots(services, personas, room, 10)
    after, before = encode_cursor(roots[1].seq), encode_cursor(roots[8].seq)
    page = await messages_page(gql, personas.bob, room, first=3, after=after, before=before)
    assert bodies(page) == ["m2", "m3", "m4"]
    page = await messages_page(gql, personas.bob, room, last=3, after=after, before=before)
    assert bodies(page) == ["m5", "m6", "m7"]
    page = await messages_page(gql, personas.bob, room, after=after)
    assert bodies(page) == [f"m{i}" for i in range(2, 10)]
    page = await messages_page(gql, personas.bob, room, before=before)
    assert bodies(page) == [f"m{i}" for i in range(8)]


async def test_deleted_roots_stay_as_tombstones(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """A deleted root keeps its place in the channel with an empty body."""
    roots = await seed_roots(services, personas, room, 3)
    await msg.delete_message(services, as_user(personas.alice), roots[1].id)
    page = await messages_page(gql, personas.bob, room)
    assert [(e["node"]["body"], e["node"]["isDeleted"]) for e in page["edges"]] == [
        ("m0", False),
        ("", True),
        ("m2", False),
    ]


BAD_PAGE_ARGUMENTS: list[dict[str, Any]] = [
    {"first": 2, "last": 2},
    {"first": 0},
    {"last": 0},
    {"last": 101},
    {"first": 101},
    {"first": -1},
    {"after": "garbage"},
    {"before": "garbage"},
    {"after": ""},
    {"after": encode_cursor("x")},
    {"before": encode_cursor(True)},
    {"after": encode_cursor(1, 2)},
    {"before": encode_cursor(1.5)},
    {"before": encode_cursor(None)},
]


async def test_bad_page_arguments_are_invalid_input(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """first with last, sizes outside 1-100 and cursors the server did not make are a
    top-level INVALID_INPUT (never INTERNAL), for Channel.messages and Message.replies."""
    root = await post(services, personas.alice, room, "q")
    for variables in BAD_PAGE_ARGUMENTS:
        result = await gql.execute(MESSAGES, {"id": cid(room), **variables}, as_=personas.bob)
        assert top_codes(result) == ["INVALID_INPUT"], (variables, result)
        result = await gql.execute(REPLIES, {"id": mid(root), **variables}, as_=personas.bob)
        assert top_codes(result) == ["INVALID_INPUT"], (variables, result)


# --- Message.replies -------------------------------------------------------------------------


async def test_replies_page_oldest_first(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """replies lists a thread oldest first; first/after visits each reply once; last/before
    walks back; a reply has no replies."""
    root = await post(services, personas.alice, room, "q")
    other = await post(services, personas.alice, room, "other thread")
    replies = [await post(services, personas.bob, room, f"a{i}", thread=root) for i in range(7)]
    await post(services, personas.bob, room, "elsewhere", thread=other)
    await post(services, personas.alice, room, "root after")

    data = await query_data(gql, REPLIES, personas.bob, id=mid(root))
    assert data["message"]["replyCount"] == 7
    connection = data["message"]["replies"]
    assert [e["node"]["body"] for e in connection["edges"]] == [r.body for r in replies]
    assert {e["node"]["threadId"] for e in connection["edges"]} == {mid(root)}
    assert (connection["pageInfo"]["hasNextPage"], connection["pageInfo"]["hasPreviousPage"]) == (
        False,
        False,
    )

    seen: list[str] = []
    after = None
    while True:
        data = await query_data(gql, REPLIES, personas.bob, id=mid(root), first=3, after=after)
        connection = data["message"]["replies"]
        seen += [e["node"]["body"] for e in connection["edges"]]
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == [r.body for r in replies]

    back: list[str] = []
    before = None
    while True:
        data = await query_data(gql, REPLIES, personas.bob, id=mid(root), last=3, before=before)
        connection = data["message"]["replies"]
        back = [e["node"]["body"] for e in connection["edges"]] + back
        assert connection["pageInfo"]["hasNextPage"] is (before is not None)
        if not connection["pageInfo"]["hasPreviousPage"]:
            break
        before = connection["pageInfo"]["startCursor"]
    assert back == [r.body for r in replies]

    of_reply = await query_data(gql, REPLIES, personas.bob, id=mid(replies[0]))
    assert of_reply["message"]["replies"]["edges"] == []
    assert of_reply["message"]["replyCount"] == 0


async def test_replies_of_many_threads_in_one_query(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """Each root in a page gets its own replies (batched across threads), with page windows
    and hasNextPage per thread, also when two windows are asked for at once."""
    threads = {}
    for index, count in enumerate((0, 1, 3, 5)):
        root = await post(services, personas.alice, room, f"t{index}")
        threads[root.body] = [
            (await post(services, personas.bob, room, f"t{index}-r{i}", thread=root)).body
            for i in range(count)
        ]
    data = await query_data(
        gql,
        """query($id: ID!) { channel(id: $id) { messages { edges { node {
            body
            head: replies(first: 2) { edges { node { body } } pageInfo { hasNextPage } }
            tail: replies(last: 2) { edges { node { body } } pageInfo { hasPreviousPage } }
        } } } } }""",
        personas.bob,
        id=cid(room),
    )
    for edge in data["channel"]["messages"]["edges"]:
        node = edge["node"]
        expected = threads[node["body"]]
        assert [e["node"]["body"] for e in node["head"]["edges"]] == expected[:2]
        assert node["head"]["pageInfo"]["hasNextPage"] is (len(expected) > 2)
        assert [e["node"]["body"] for e in node["tail"]["edges"]] == expected[-2:]
        assert node["tail"]["pageInfo"]["hasPreviousPage"] is (len(expected) > 2)


async def test_replies_are_not_in_channel_messages(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """Channel.messages lists thread roots only, however many replies there are."""
    root = await post(services, personas.alice, room, "root")
    for index in range(4):
        await post(services, personas.bob, room, f"reply{index}", thread=root)
    page = await messages_page(gql, personas.bob, room)
    assert bodies(page) == ["root"]


# --- message(id) and node(id:) ---------------------------------------------------------------


async def test_message_visibility(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """message(id) and node(id:) resolve a visible message (also in a public channel the
    viewer has not joined); a private channel's message is null for non-members until they
    are invited; another org's, random, wrong-typed and garbage IDs are null."""
    public = await post(services, personas.alice, room, "public words")
    lobby = await make_channel(services, personas.alice, "lobby")
    unjoined = await post(services, personas.alice, lobby, "lobby words")
    secret = await make_channel(services, personas.alice, "secret", private=True)
    hidden = await post(services, personas.alice, secret, "private words")
    evil = await make_channel(services, personas.eve, "evil")
    foreign = await post(services, personas.eve, evil, "evil words")

    for message, channel_name in ((public, "dev"), (unjoined, "lobby")):
        data = await query_data(gql, MESSAGE, personas.bob, id=mid(message))
        assert data["message"]["body"] == message.body
        assert data["message"]["channel"]["name"] == channel_name
        node = await query_data(gql, NODE, personas.bob, id=mid(message))
        assert node["node"] == {
            "__typename": "Message",
            "id": mid(message),
            "body": message.body,
            "threadId": mid(message),
            "channel": {"name": channel_name},
        }
    for hidden_id in (
        mid(hidden),
        mid(foreign),
        mid(uuid.uuid4()),
        cid(room),
        "garbage",
        "",
    ):
        assert await query_data(gql, MESSAGE, personas.bob, id=hidden_id) == {"message": None}
        if hidden_id != cid(room):  # as a node, a channel ID is simply the channel
            assert await query_data(gql, NODE, personas.bob, id=hidden_id) == {"node": None}
    for acme in (public, hidden):
        assert await query_data(gql, MESSAGE, personas.eve, id=mid(acme)) == {"message": None}
        assert await query_data(gql, NODE, personas.eve, id=mid(acme)) == {"node": None}

    await ch.invite_to_channel(services, as_user(personas.alice), secret.id, personas.bob.id)
    data = await query_data(gql, MESSAGE, personas.bob, id=mid(hidden))
    assert data["message"]["channel"] == {
        "id": cid(secret),
        "name": "secret",
        "isPrivate": True,
    }


async def test_message_queries_need_authentication_and_write_nothing(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """Anonymous message/node reads are UNAUTHENTICATED; reads never write."""
    message = await post(services, personas.alice, room, "hi")
    before = await snapshot(services)
    for query in (MESSAGE, NODE):
        result = await gql.execute(query, {"id": mid(message)})
        assert top_codes(result) == ["UNAUTHENTICATED"]
        assert not any((result.get("data") or {}).values())
    await messages_page(gql, personas.bob, room)
    await query_data(gql, REPLIES, personas.bob, id=mid(message))
    assert await snapshot(services) == before
