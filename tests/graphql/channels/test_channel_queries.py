"""Channel reads over GraphQL: the `channels` connection and its filter, `channel(id)`,
node(id:), and the per-viewer Channel fields (docs/adr/0005-api-contract.md)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.chat import general, make_channel, post
from tests.support.db import snapshot
from tests.support.graphql_client import GraphQLClient, gid
from tests.support.operations import cid, login_all, query_data, top_codes
from tests.support.personas import Persona, Personas, another_member, as_user
from tests.support.settings import PASSWORD
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions.users import create_user
from workchat.auth.viewer import system
from workchat.graphql.relay import encode_cursor
from workchat.services import Services

CHANNELS = """query($first: Int, $after: String, $filter: ChannelFilter) {
    channels(first: $first, after: $after, filter: $filter) {
        totalCount
        edges { cursor node { id name isArchived viewerIsMember } }
        nodes { name }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
}"""
CHANNEL = """query($id: ID!) {
    channel(id: $id) {
        id name description isPrivate isSystem isArchived archivedAt createdAt
        memberCount viewerIsMember unreadCount mentionCount
        createdBy { id displayName }
    }
}"""
MEMBERS = """query($id: ID!, $first: Int, $after: String) {
    channel(id: $id) {
        members(first: $first, after: $after) {
            edges { cursor node { id displayName } }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        }
    }
}"""
NODE = """query($id: ID!) {
    node(id: $id) { __typename id ... on Channel { name memberCount viewerIsMember } }
}"""


@pytest.fixture(autouse=True)
async def _logged_in(gql: GraphQLClient, personas: Personas) -> None:
    await login_all(gql, personas.alice, personas.bob, personas.eve)


async def channel_names(gql: GraphQLClient, persona: Persona, **variables: Any) -> list[str]:
    data = await query_data(gql, CHANNELS, persona, **variables)
    return [edge["node"]["name"] for edge in data["channels"]["edges"]]


@pytest.fixture
async def landscape(services: Services, personas: Personas) -> dict[str, Any]:
    """Acme: public alpha (bob in), beta, private secret (bob not in), private team (bob in),
    archived old (bob in), a_b and axb for LIKE escaping; Evil Corp: evil-plans."""
    made = {
        "alpha": await make_channel(services, personas.alice, "alpha", members=(personas.bob,)),
        "beta": await make_channel(services, personas.alice, "Beta"),
        "secret": await make_channel(services, personas.alice, "secret", private=True),
        "team": await make_channel(
            services, personas.alice, "team", private=True, members=(personas.bob,)
        ),
        "old": await make_channel(services, personas.alice, "old", members=(personas.bob,)),
        "a_b": await make_channel(services, personas.alice, "a_b"),
        "axb": await make_channel(services, personas.alice, "axb"),
        "evil": await make_channel(services, personas.eve, "evil-plans"),
    }
    await ch.archive_channel(services, as_user(personas.alice), made["old"].id)
    return made


# --- the channels connection -----------------------------------------------------------------


async def test_channels_lists_visible_unarchived_by_name(
    gql: GraphQLClient, personas: Personas, landscape: dict[str, Any]
) -> None:
    """By default: the viewer's org's public channels and the private ones they are in,
    not archived, ordered by name case-insensitively; nodes mirrors edges."""
    data = await query_data(gql, CHANNELS, personas.bob)
    connection = data["channels"]
    names = [edge["node"]["name"] for edge in connection["edges"]]
    assert names == ["a_b", "alpha", "axb", "Beta", "general", "team"]
    assert [node["name"] for node in connection["nodes"]] == names
    assert connection["pageInfo"]["hasNextPage"] is False
    assert connection["pageInfo"]["hasPreviousPage"] is False
    assert connection["pageInfo"]["startCursor"] == connection["edges"][0]["cursor"]
    assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]
    assert await channel_names(gql, personas.alice) == [
        "a_b",
        "alpha",
        "axb",
        "Beta",
        "general",
        "secret",
        "team",
    ]
    assert await channel_names(gql, personas.eve) == ["evil-plans", "general"]


FILTER_CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({"joined": True}, ["alpha", "general", "team"]),
    ({"joined": False}, ["a_b", "axb", "Beta"]),
    ({"includeArchived": True}, ["a_b", "alpha", "axb", "Beta", "general", "old", "team"]),
    ({"includeArchived": True, "joined": True}, ["alpha", "general", "old", "team"]),
    ({"includeArchived": True, "joined": False}, ["a_b", "axb", "Beta"]),
    ({"nameContains": "ET"}, ["Beta"]),
    ({"nameContains": "  a  "}, ["a_b", "alpha", "axb", "Beta", "general", "team"]),
    ({"nameContains": "_"}, ["a_b"]),
    ({"nameContains": "%"}, []),
    ({"nameContains": "\\"}, []),
    ({"nameContains": "secret"}, []),
    ({"nameContains": ""}, ["a_b", "alpha", "axb", "Beta", "general", "team"]),
    ({"nameContains": "old", "includeArchived": True}, ["old"]),
    ({"nameContains": "evil"}, []),
    ({"joined": False, "nameContains": "a"}, ["a_b", "axb", "Beta"]),
    ({"joined": None, "includeArchived": False, "nameContains": None}, None),  # = default
]


async def test_channels_filter(
    gql: GraphQLClient, personas: Personas, landscape: dict[str, Any]
) -> None:
    """joined, includeArchived and nameContains (trimmed, case-insensitive, '%', '_' and
    '\\' literal) combine; private channels of others and other orgs never match."""
    default = await channel_names(gql, personas.bob)
    for filter, expected in FILTER_CASES:
        got = await channel_names(gql, personas.bob, filter=filter)
        assert got == (default if expected is None else expected), filter


async def test_channels_pagination_walks_every_channel_once(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Walking first/after visits every visible channel exactly once, in order, with
    hasNextPage true until the last page and hasPreviousPage true after the first."""
    for index in range(11):
        await make_channel(services, personas.alice, f"room-{index:02d}")
    await make_channel(services, personas.alice, "hidden", private=True)
    expected = await channel_names(gql, personas.bob, first=100)
    assert len(expected) == 12 and "hidden" not in expected
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        data = await query_data(gql, CHANNELS, personas.bob, first=5, after=after)
        connection = data["channels"]
        pages += 1
        seen += [edge["node"]["name"] for edge in connection["edges"]]
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        assert len(connection["edges"]) == 5
        after = connection["pageInfo"]["endCursor"]
    assert seen == expected
    assert pages == 3


async def test_channels_pagination_is_stable_when_channels_are_added(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A channel created before the cursor does not shift the next page (keyset)."""
    for name in ("c1", "c2", "c3", "c4"):
        await make_channel(services, personas.alice, name)
    first = await query_data(gql, CHANNELS, personas.bob, first=2)
    assert [e["node"]["name"] for e in first["channels"]["edges"]] == ["c1", "c2"]
    await make_channel(services, personas.alice, "c0")
    rest = await channel_names(
        gql, personas.bob, first=10, after=first["channels"]["pageInfo"]["endCursor"]
    )
    assert rest == ["c3", "c4", "general"]


async def test_channels_page_size_out_of_range(gql: GraphQLClient, personas: Personas) -> None:
    """first outside 1-100 is a top-level INVALID_INPUT."""
    for first in (0, -1, 101):
        result = await gql.execute(CHANNELS, {"first": first}, as_=personas.bob)
        assert top_codes(result) == ["INVALID_INPUT"], first
        assert result["data"] is None


async def test_channels_page_size_bounds_are_allowed(
    gql: GraphQLClient, personas: Personas
) -> None:
    """first=1 and first=100 are accepted."""
    assert await channel_names(gql, personas.bob, first=1) == ["general"]
    assert await channel_names(gql, personas.bob, first=100) == ["general"]


async def test_channels_garbage_cursor_is_invalid_input(
    gql: GraphQLClient, personas: Personas
) -> None:
    """A cursor the server did not make is a top-level INVALID_INPUT, not INTERNAL."""
    for after in (
        "garbage",
        "",
        "!!!",
        encode_cursor("general"),
        encode_cursor("general", "not-a-uuid"),
        encode_cursor("a", "b", "c"),
        "eyJhIjoxfQ==",  # a JSON object, not a list
    ):
        result = await gql.execute(CHANNELS, {"after": after}, as_=personas.bob)
        assert top_codes(result) == ["INVALID_INPUT"], after
        assert result["data"] is None


async def test_channels_needs_authentication(gql: GraphQLClient, personas: Personas) -> None:
    """Anonymous callers get UNAUTHENTICATED for channels and channel."""
    for query, variables, data in (
        (CHANNELS, {}, None),
        (CHANNEL, {"id": gid("Channel", uuid.uuid4())}, {"channel": None}),
    ):
        result = await gql.execute(query, variables)
        assert top_codes(result) == ["UNAUTHENTICATED"]
        assert result["data"] == data


# --- channel(id) and node(id:) ---------------------------------------------------------------


async def test_channel_by_id(
    gql: GraphQLClient, services: Services, personas: Personas, landscape: dict[str, Any]
) -> None:
    """A visible channel resolves with all its fields; a private one the viewer is not in,
    another org's, a random, a wrong-typed and a garbage ID are all null."""
    alpha = landscape["alpha"]
    data = await query_data(gql, CHANNEL, personas.bob, id=cid(alpha))
    channel = data["channel"]
    assert channel["id"] == cid(alpha)
    assert {k: channel[k] for k in channel if k not in ("createdAt",)} == {
        "id": cid(alpha),
        "name": "alpha",
        "description": "",
        "isPrivate": False,
        "isSystem": False,
        "isArchived": False,
        "archivedAt": None,
        "memberCount": 2,
        "viewerIsMember": True,
        "unreadCount": 0,
        "mentionCount": 0,
        "createdBy": {"id": gid("User", personas.alice.id), "displayName": "Alice"},
    }
    for hidden in (
        cid(landscape["secret"]),
        cid(landscape["evil"]),
        cid(uuid.uuid4()),
        gid("User", personas.bob.id),
        gid("Message", alpha.id),
        "garbage",
        "",
    ):
        assert await query_data(gql, CHANNEL, personas.bob, id=hidden) == {"channel": None}
    team = await query_data(gql, CHANNEL, personas.bob, id=cid(landscape["team"]))
    assert team["channel"]["isPrivate"] is True


async def test_archived_and_system_channel_fields(
    gql: GraphQLClient, services: Services, personas: Personas, landscape: dict[str, Any]
) -> None:
    """An archived channel stays readable with isArchived/archivedAt; #general is a system
    channel with no creator that every user is in."""
    old = await query_data(gql, CHANNEL, personas.bob, id=cid(landscape["old"]))
    assert old["channel"]["isArchived"] is True and old["channel"]["archivedAt"]
    everyone = await general(services, personas.alice)
    data = await query_data(gql, CHANNEL, personas.bob, id=cid(everyone))
    assert (data["channel"]["isSystem"], data["channel"]["createdBy"]) == (True, None)
    assert (data["channel"]["memberCount"], data["channel"]["viewerIsMember"]) == (2, True)


async def test_viewer_is_member_for_a_public_non_member(
    gql: GraphQLClient, personas: Personas, landscape: dict[str, Any]
) -> None:
    """A public channel is readable by a non-member: viewerIsMember false, unreadCount 0."""
    data = await query_data(gql, CHANNEL, personas.bob, id=cid(landscape["beta"]))
    assert (data["channel"]["viewerIsMember"], data["channel"]["unreadCount"]) == (False, 0)
    assert data["channel"]["memberCount"] == 1


async def test_node_resolves_channels_like_channel(
    gql: GraphQLClient, personas: Personas, landscape: dict[str, Any]
) -> None:
    """node(id:) returns a visible Channel and null for private, other-org and random IDs."""
    data = await query_data(gql, NODE, personas.bob, id=cid(landscape["alpha"]))
    assert data["node"] == {
        "__typename": "Channel",
        "id": cid(landscape["alpha"]),
        "name": "alpha",
        "memberCount": 2,
        "viewerIsMember": True,
    }
    for hidden in (landscape["secret"], landscape["evil"], uuid.uuid4()):
        assert await query_data(gql, NODE, personas.bob, id=cid(hidden)) == {"node": None}
    eve = await query_data(gql, NODE, personas.eve, id=cid(landscape["alpha"]))
    assert eve == {"node": None}


# --- unreadCount and mentionCount ------------------------------------------------------------


async def test_unread_and_mention_counts(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """unreadCount counts others' messages (roots and replies) after the marker, not deleted
    ones; mentionCount counts those containing @Display Name in any case."""
    channel = await make_channel(services, personas.alice, "news", members=(personas.bob,))
    root = await post(services, personas.alice, channel, "hello @bob, see this")
    await post(services, personas.alice, channel, "ping @BOB", thread=root)
    await post(services, personas.alice, channel, "no mention, bob")
    await post(services, personas.alice, channel, "mail bob@example.com")
    await post(services, personas.bob, channel, "my own @Bob")  # own: never unread
    gone = await post(services, personas.alice, channel, "@Bob deleted")
    await msg.delete_message(services, as_user(personas.alice), gone.id)
    data = await query_data(gql, CHANNEL, personas.bob, id=cid(channel))
    assert (data["channel"]["unreadCount"], data["channel"]["mentionCount"]) == (4, 2)
    alice = await query_data(gql, CHANNEL, personas.alice, id=cid(channel))
    assert (alice["channel"]["unreadCount"], alice["channel"]["mentionCount"]) == (1, 0)


async def test_mention_of_a_display_name_with_spaces_and_wildcards(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A display name with spaces and LIKE wildcards is matched literally."""
    user = await create_user(
        services,
        system(),
        org_id=personas.alice.org_id,
        email="mary@example.com",
        display_name="Mary_Ann 100%",
        password=PASSWORD,
    )
    mary = Persona("mary", user.id, user.org_id, "mary@example.com", "member")
    channel = await make_channel(services, personas.alice, "news", members=(mary,))
    await post(services, personas.alice, channel, "hi @mary_ann 100%!")
    await post(services, personas.alice, channel, "hi @MaryXAnn 100x")
    await post(services, personas.alice, channel, "hi @Mary_Ann")
    data = await query_data(gql, CHANNEL, mary, id=cid(channel))
    assert (data["channel"]["unreadCount"], data["channel"]["mentionCount"]) == (3, 1)


async def test_mention_of_a_non_ascii_display_name(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A mention typed exactly as a non-ASCII display name counts, in any case, on every
    backend (the comparison folds case the same way for the name and the body)."""
    user = await create_user(
        services,
        system(),
        org_id=personas.alice.org_id,
        email="emile@example.com",
        display_name="Émile",
        password=PASSWORD,
    )
    emile = Persona("emile", user.id, user.org_id, "emile@example.com", "member")
    channel = await make_channel(services, personas.alice, "news", members=(emile,))
    await post(services, personas.alice, channel, "bonjour @Émile")
    await post(services, personas.alice, channel, "BONJOUR @ÉMILE")
    await post(services, personas.alice, channel, "bonjour @émile")
    await post(services, personas.alice, channel, "bonjour Émile")
    data = await query_data(gql, CHANNEL, emile, id=cid(channel))
    assert (data["channel"]["unreadCount"], data["channel"]["mentionCount"]) == (4, 3)


async def test_counts_are_zero_for_a_channel_the_viewer_is_not_in(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """unreadCount and mentionCount are 0 outside a channel, whatever it holds."""
    channel = await make_channel(services, personas.alice, "news")
    await post(services, personas.alice, channel, "@Bob hey")
    data = await query_data(gql, CHANNEL, personas.bob, id=cid(channel))
    assert (data["channel"]["unreadCount"], data["channel"]["mentionCount"]) == (0, 0)


async def test_counts_in_a_channels_list_are_per_channel(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """In one `channels` page each channel carries its own unread/mention counts and member
    counts (batched per request, in key order)."""
    one = await make_channel(services, personas.alice, "one", members=(personas.bob,))
    two = await make_channel(services, personas.alice, "two", members=(personas.bob,))
    await post(services, personas.alice, one, "a")
    for body in ("@bob b", "c", "d"):
        await post(services, personas.alice, two, body)
    data = await query_data(
        gql,
        """{ channels(filter: {joined: true}) { edges { node {
            name unreadCount mentionCount memberCount } } } }""",
        personas.bob,
    )
    rows = {e["node"]["name"]: e["node"] for e in data["channels"]["edges"]}
    assert {
        name: (r["unreadCount"], r["mentionCount"], r["memberCount"]) for name, r in rows.items()
    } == {"general": (0, 0, 2), "one": (1, 0, 2), "two": (3, 1, 2)}


# --- members ---------------------------------------------------------------------------------


async def test_members_pages_in_joining_order(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Channel.members lists members in the order they joined; first/after visits each
    exactly once."""
    channel = await make_channel(services, personas.alice, "crowd", members=(personas.bob,))
    for name in ("zed", "carol", "mallory", "dave"):
        member = await another_member(services, personas, name)
        await ch.join_channel(services, as_user(member), channel.id)
    everyone = await query_data(gql, MEMBERS, personas.bob, id=cid(channel))
    names = [e["node"]["displayName"] for e in everyone["channel"]["members"]["edges"]]
    assert names == ["Alice", "Bob", "Zed", "Carol", "Mallory", "Dave"]
    seen: list[str] = []
    after = None
    while True:
        data = await query_data(gql, MEMBERS, personas.bob, id=cid(channel), first=4, after=after)
        members = data["channel"]["members"]
        seen += [e["node"]["displayName"] for e in members["edges"]]
        assert members["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not members["pageInfo"]["hasNextPage"]:
            break
        after = members["pageInfo"]["endCursor"]
    assert seen == names


async def test_members_pagination_with_non_ascii_names(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Display names outside ASCII page exactly once too (cursor and SQL agree on case)."""
    channel = await make_channel(services, personas.alice, "intl")
    for index, name in enumerate(["Émile", "Ödön", "Łukasz", "Zoë", "Ágnes", "Ünal"]):
        user = await create_user(
            services,
            system(),
            org_id=personas.alice.org_id,
            email=f"intl{index}@example.com",
            display_name=name,
            password=PASSWORD,
        )
        await ch.invite_to_channel(services, as_user(personas.alice), channel.id, user.id)
    everyone = await query_data(gql, MEMBERS, personas.alice, id=cid(channel), first=100)
    expected = [e["node"]["displayName"] for e in everyone["channel"]["members"]["edges"]]
    assert len(expected) == 7
    seen: list[str] = []
    after = None
    for _ in range(10):
        data = await query_data(gql, MEMBERS, personas.alice, id=cid(channel), first=2, after=after)
        members = data["channel"]["members"]
        seen += [e["node"]["displayName"] for e in members["edges"]]
        if not members["pageInfo"]["hasNextPage"]:
            break
        after = members["pageInfo"]["endCursor"]
    assert seen == expected


async def test_members_garbage_cursor_and_page_size(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """members rejects bad cursors and page sizes with a top-level INVALID_INPUT."""
    channel = await make_channel(services, personas.alice, "crowd")
    for variables in (
        {"after": "garbage"},
        {"after": encode_cursor("alice", "nope")},
        {"first": 0},
        {"first": 101},
    ):
        result = await gql.execute(MEMBERS, {"id": cid(channel), **variables}, as_=personas.alice)
        assert top_codes(result) == ["INVALID_INPUT"], variables


async def test_queries_write_nothing(
    gql: GraphQLClient, services: Services, personas: Personas, landscape: dict[str, Any]
) -> None:
    """Reading channels, a channel and its members changes no row."""
    before = await snapshot(services)
    await query_data(gql, CHANNELS, personas.bob, filter={"includeArchived": True})
    await query_data(gql, CHANNEL, personas.bob, id=cid(landscape["alpha"]))
    await query_data(gql, MEMBERS, personas.bob, id=cid(landscape["alpha"]))
    assert await snapshot(services) == before


async def test_error_in_one_field_leaves_siblings_sharing_a_loader_key_intact(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A bad argument in one list item's field makes graphql-core cancel its siblings; the
    other fields loading the same key (mentionCount twice per channel) still answer, and the
    client gets INVALID_INPUT, not a 500 from a cancelled shared loader future (found by the
    fuzzer)."""
    await make_channel(services, personas.alice, "crowd")
    document = """{
        channels {
            edges { node { mentionCount } }
            nodes { mentionCount createdBy { isActive } messages(first: -8283) { totalCount } }
        }
    }"""
    for _ in range(5):  # the cancellation races the loader batch; repeat to catch it
        result = await gql.execute(document, as_=personas.alice)
        assert top_codes(result) == ["INVALID_INPUT"] * len(result["errors"]), result
        assert result["errors"], result
