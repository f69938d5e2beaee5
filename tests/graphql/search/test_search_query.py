"""The search field: coded errors with positions, snippets, paging, counts, isolation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.graphql_client import GraphQLClient
from tests.support.personas import Personas, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.services import Services

SEARCH = """
query($q: String!, $first: Int, $after: String, $sort: SearchSort) {
  search(query: $q, first: $first, after: $after, sort: $sort) {
    totalCount totalCountIsExact
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { snippet score message { body } channel { name } } }
  }
}
"""


@pytest.fixture
async def seeded(services: Services, personas: Personas) -> None:
    alice = as_user(personas.alice)
    dev = await ch.create_channel(services, alice, name="dev")
    for index in range(7):
        await msg.post_message(
            services, alice, channel_id=dev.id, body=f"release {index} <script>x</script>"
        )
    evil = await ch.create_channel(services, as_user(personas.eve), name="evil")
    await msg.post_message(services, as_user(personas.eve), channel_id=evil.id, body="release evil")


async def run(gql: GraphQLClient, persona: Any, **variables: Any) -> dict[str, Any]:
    return await gql.execute(SEARCH, variables, as_=persona)


async def test_results_with_snippets(gql: GraphQLClient, personas: Personas, seeded: None) -> None:
    result = await run(gql, personas.bob, q="release", first=3, sort="NEWEST")
    search = result["data"]["search"]
    assert (search["totalCount"], search["totalCountIsExact"]) == (7, True)
    [first, *_] = search["edges"]
    assert first["node"]["message"]["body"] == "release 6 <script>x</script>"
    assert first["node"]["channel"]["name"] == "dev"
    assert first["node"]["snippet"] == "<mark>release</mark> 6 &lt;script&gt;x&lt;/script&gt;"
    assert search["pageInfo"]["hasNextPage"]


async def test_paging_walks_every_result_once(
    gql: GraphQLClient, personas: Personas, seeded: None
) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = (await run(gql, personas.bob, q="release", first=2, after=after))["data"]["search"]
        seen += [edge["node"]["message"]["body"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 7


async def test_other_orgs_never_match(gql: GraphQLClient, personas: Personas, seeded: None) -> None:
    bodies = [
        edge["node"]["message"]["body"]
        for edge in (await run(gql, personas.alice, q="evil"))["data"]["search"]["edges"]
    ]
    assert bodies == []
    eve = (await run(gql, personas.eve, q="release"))["data"]["search"]
    assert [e["node"]["message"]["body"] for e in eve["edges"]] == ["release evil"]


@pytest.mark.parametrize(
    ("query", "position"),
    [('"unclosed', 0), ("x nope:1", 2), ("x before:2024-02-30", 9), ("", 0), ("a" * 513, 512)],
)
async def test_malformed_queries_are_invalid_query(
    gql: GraphQLClient, personas: Personas, query: str, position: int
) -> None:
    result = await run(gql, personas.bob, q=query)
    [error] = result["errors"]
    assert error["extensions"] == {"code": "INVALID_QUERY", "position": position}
    assert "Traceback" not in str(result)
    assert result["data"] is None


async def test_requires_login_and_valid_paging(gql: GraphQLClient, personas: Personas) -> None:
    anonymous = await gql.execute(SEARCH, {"q": "x"})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for variables in ({"first": 0}, {"first": 101}, {"after": "junk"}):
        result = await run(gql, personas.bob, q="x", **variables)
        assert result["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
