"""A channel page costs a fixed number of SQL statements, whatever its size: DataLoaders
batch per request and no resolver queries per row (docs/adr/0003-architecture.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.chat import make_channel, post
from tests.support.graphql_client import GraphQLClient
from tests.support.operations import cid, login_all
from tests.support.personas import Personas, another_member, as_user
from tests.support.settings import test_settings
from tests.support.statements import queries, recording
from workchat.actions import channels as ch
from workchat.actions import reactions as rx
from workchat.db.models import Channel
from workchat.services import Services
from workchat.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Every request checks its token in the database (no credential cache): the counts
    below include that statement on every page."""
    return test_settings(tmp_path / "data", database_url=database_url, credential_cache_ms=0)


MAX_STATEMENTS = 8

PAGE = """query($id: ID!, $last: Int) {
    channel(id: $id) {
        name viewerIsMember unreadCount
        messages(last: $last) { edges { node {
            body version replyCount
            author { displayName }
            reactions { emoji count viewerHasReacted users { displayName } }
        } } }
    }
}"""


@pytest.fixture
async def busy_channel(services: Services, personas: Personas, gql: GraphQLClient) -> Channel:
    """50 roots by four authors; reactions by authors and by two people who never post
    (so reacting users are not all cached as authors); replies on some roots."""
    carol = await another_member(services, personas, "carol")
    dave = await another_member(services, personas, "dave")
    erin = await another_member(services, personas, "erin")
    frank = await another_member(services, personas, "frank")
    channel = await make_channel(
        services, personas.alice, "busy", members=(personas.bob, carol, dave, erin, frank)
    )
    authors = [personas.alice, personas.bob, carol, dave]
    for index in range(50):
        root = await post(services, authors[index % 4], channel, f"message {index}")
        if index % 5 == 0:
            await post(services, authors[(index + 1) % 4], channel, "reply", thread=root)
        if index % 2 == 0:
            for persona in [erin, *authors][: 1 + index % 4]:
                await rx.add_reaction(services, as_user(persona), root.id, "👍")
        if index % 3 == 0:
            await rx.add_reaction(services, as_user(frank), root.id, ":tada:")
    await ch.join_channel(services, as_user(personas.bob), channel.id)
    await login_all(gql, personas.bob)
    return channel


async def page_statements(
    gql: GraphQLClient, services: Services, personas: Personas, channel: Channel, last: int
) -> tuple[list[str], dict[str, Any]]:
    token = await gql.token_for(personas.bob)
    with recording(services) as statements:
        result = await gql.execute(PAGE, {"id": cid(channel), "last": last}, token=token)
    assert not result.get("errors"), result
    return statements, result["data"]


async def test_channel_page_statement_count_is_constant(
    gql: GraphQLClient, services: Services, personas: Personas, busy_channel: Channel
) -> None:
    """50 messages with authors, reactions and reacting users cost exactly as many
    statements as 5, and no more than 8 (authentication included)."""
    small, small_data = await page_statements(gql, services, personas, busy_channel, 5)
    large, large_data = await page_statements(gql, services, personas, busy_channel, 50)
    edges = large_data["channel"]["messages"]["edges"]
    assert len(small_data["channel"]["messages"]["edges"]) == 5 and len(edges) == 50
    # the page really carries the nested data whose loading is being counted
    assert {e["node"]["author"]["displayName"] for e in edges} == {"Alice", "Bob", "Carol", "Dave"}
    assert sum(len(e["node"]["reactions"]) for e in edges) == 25 + 17
    reactors = {u["displayName"] for e in edges for r in e["node"]["reactions"] for u in r["users"]}
    assert {"Erin", "Frank"} <= reactors
    small_edges = small_data["channel"]["messages"]["edges"]
    assert {
        u["displayName"] for e in small_edges for r in e["node"]["reactions"] for u in r["users"]
    }
    assert sum(e["node"]["replyCount"] for e in edges) == 10
    print(f"\nstatements for last=5: {len(small)}, last=50: {len(large)}")
    print("\n".join(large))
    assert len(queries(large)) == len(queries(small)), "\n".join(large)
    assert len(queries(large)) <= MAX_STATEMENTS, "\n".join(queries(large))


POST = """mutation($input: PostMessageInput!) {
    postMessage(input: $input) { message { id seq } }
}"""
# Authentication (no credential cache here), channel+membership+idempotency key (one
# statement), seq, message, audit entry, event, and on SQLite the batch's data_version
# check (the audit and event chain heads are remembered between batches); a mention adds
# the members' names and the mention rows. PostgreSQL adds the per-org advisory lock and
# reads both chain heads in one statement instead of the data_version check.
MAX_POST_STATEMENTS = 7
MAX_MENTIONING_POST_STATEMENTS = 9


async def test_post_statement_count(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A post (authentication, access checks, seq, row, mentions, audit entry, event) costs
    a small fixed number of statements, with or without an "@"."""
    channel = await make_channel(services, personas.alice, "posts", members=(personas.bob,))
    token = await gql.token_for(personas.bob)
    counts = []
    for body, key in (("hello", "k1"), ("hi @Alice and @nobody", "k2")):
        with recording(services) as statements:
            result = await gql.execute(
                POST,
                {"input": {"channelId": cid(channel), "body": body, "clientMutationId": key}},
                token=token,
            )
        assert not result.get("errors"), result
        print(f"\n{body!r}: {len(queries(statements))}")
        print("\n".join(statements))
        counts.append(len(queries(statements)))
    lock = 1 if services.db.dialect == "postgresql" else 0  # the advisory lock
    assert counts[0] <= MAX_POST_STATEMENTS + lock
    assert counts[1] <= MAX_MENTIONING_POST_STATEMENTS + lock
