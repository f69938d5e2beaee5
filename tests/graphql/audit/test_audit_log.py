"""auditLog: admins read their own org's trail, newest first, with filters and diffs."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from tests.support.db import audit_entries
from tests.support.graphql_client import GraphQLClient
from tests.support.personas import Personas, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.graphql.ids import to_global_id
from workchat.services import Services

AUDIT_LOG = """
query($last: Int, $before: String, $filter: AuditFilter) {
  auditLog(last: $last, before: $before, filter: $filter) {
    pageInfo { hasPreviousPage endCursor }
    edges { cursor node {
      id seq via operation action targetType targetId diff requestId at hash prevHash
      actor { email }
    } }
  }
}
"""


async def _page(gql: GraphQLClient, persona: Any, **variables: Any) -> dict[str, Any]:
    result = await gql.execute(AUDIT_LOG, variables, as_=persona)
    assert "errors" not in result, result
    return result["data"]["auditLog"]  # type: ignore[no-any-return]


async def test_members_are_forbidden(gql: GraphQLClient, personas: Personas) -> None:
    result = await gql.execute(AUDIT_LOG, {}, as_=personas.bob)
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert result["data"] is None
    anonymous = await gql.execute(AUDIT_LOG, {})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_admin_sees_own_org_newest_first(
    services: Services, gql: GraphQLClient, personas: Personas
) -> None:
    page = await _page(gql, personas.alice, last=100)
    stored = await audit_entries(services, personas.alice.org_id)
    nodes = [edge["node"] for edge in page["edges"]]
    # the admin's own login is the newest entry
    assert [n["seq"] for n in nodes] == sorted((e.seq for e in stored), reverse=True)
    assert nodes[0]["action"] == "auth.login"
    assert {n["hash"] for n in nodes} == {e.hash for e in stored}
    eve_page = await _page(gql, personas.eve, last=100)
    eve_hashes = {edge["node"]["hash"] for edge in eve_page["edges"]}
    assert eve_hashes.isdisjoint({e.hash for e in stored})


async def test_admin_sees_the_json_diff_of_an_edit(
    services: Services, gql: GraphQLClient, personas: Personas
) -> None:
    channel = await ch.create_channel(services, as_user(personas.bob), name="diffs")
    message = await msg.post_message(
        services, as_user(personas.bob), channel_id=channel.id, body="teh typo"
    )
    await msg.edit_message(services, as_user(personas.bob), message_id=message.id, body="the typo")
    message_gid = to_global_id("Message", message.id)
    page = await _page(
        gql, personas.alice, filter={"action": "message.edit", "targetId": message_gid}
    )
    [edge] = page["edges"]
    node = edge["node"]
    assert (node["targetType"], node["targetId"], node["actor"]) == (
        "message",
        message_gid,
        {"email": "bob@example.com"},
    )
    assert node["diff"]["before"] == {"body": "teh typo", "version": 1}
    assert node["diff"]["after"] == {"body": "the typo", "version": 2}
    assert {"op": "replace", "path": "/body", "value": "the typo"} in node["diff"]["patch"]


async def test_filters(services: Services, gql: GraphQLClient, personas: Personas) -> None:
    await ch.create_channel(services, as_user(personas.bob), name="one")
    await ch.create_channel(services, as_user(personas.alice), name="two")
    bob_id = to_global_id("User", personas.bob.id)
    page = await _page(gql, personas.alice, filter={"actorId": bob_id, "action": "channel.create"})
    assert len(page["edges"]) == 1
    assert page["edges"][0]["node"]["actor"] == {"email": "bob@example.com"}
    future = await _page(gql, personas.alice, filter={"since": "2999-01-01T00:00:00+00:00"})
    assert future["edges"] == []
    past = await _page(gql, personas.alice, filter={"until": "2000-01-01T00:00:00+00:00"})
    assert past["edges"] == []
    garbage = await _page(gql, personas.alice, filter={"actorId": "not-an-id"})
    assert garbage["edges"] == []


async def test_tail_pagination_sees_every_entry_once_while_appending(
    services: Services, gql: GraphQLClient, personas: Personas
) -> None:
    alice = as_user(personas.alice)
    for index in range(12):
        await ch.create_channel(services, alice, name=f"c{index}")
    await gql.token_for(personas.alice)  # log in before taking the first page
    existing = {e.seq for e in await audit_entries(services, personas.alice.org_id)}
    seen: list[int] = []
    before = None
    appended = 0
    while True:
        page = await _page(gql, personas.alice, last=5, before=before)
        seen.extend(edge["node"]["seq"] for edge in page["edges"])
        # Newer entries land while we page backwards; they must not shift our pages.
        await ch.create_channel(services, alice, name=f"late{appended}")
        appended += 1
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen))
    assert set(seen) == existing
    assert appended > 2


async def test_bad_arguments(gql: GraphQLClient, personas: Personas) -> None:
    for variables in ({"last": 0}, {"last": 101}, {"before": "garbage"}):
        result = await gql.execute(AUDIT_LOG, variables, as_=personas.alice)
        assert result["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_concurrent_actions_keep_one_chain(
    services: Services, gql: GraphQLClient, personas: Personas
) -> None:
    alice = as_user(personas.alice)
    await asyncio.gather(*(ch.create_channel(services, alice, name=f"p{i}") for i in range(10)))
    page = await _page(gql, personas.alice, last=100)
    nodes = list(reversed([edge["node"] for edge in page["edges"]]))
    for previous, node in itertools.pairwise(nodes):
        assert node["prevHash"] == previous["hash"]
        assert node["seq"] == previous["seq"] + 1
