"""Parsed documents are cached by query text, and a cached document meets every limit a
fresh one does: the cost pass and validation run on each request; a text that fails to
parse is never cached (docs/adr/0021-write-throughput.md)."""

from __future__ import annotations

from typing import Any

import pytest

import workchat.graphql.document_cache as document_cache
from tests.support.graphql_client import GraphQLClient, codes
from tests.support.hostile import fan_out
from tests.support.personas import Personas


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every query text the cache had to parse."""
    seen: list[str] = []
    real = document_cache.parse

    def spy(query: str, **options: Any) -> Any:
        seen.append(query)
        return real(query, **options)

    monkeypatch.setattr(document_cache, "parse", spy)
    return seen


async def test_a_repeated_query_is_parsed_once(
    gql: GraphQLClient, personas: Personas, parsed: list[str]
) -> None:
    query = "{ viewer { id email } }"
    for _ in range(3):
        result = await gql.execute(query, as_=personas.alice)
        assert result["data"]["viewer"]["email"] == personas.alice.email
    assert parsed.count(query) == 1


async def test_a_cached_hostile_document_is_still_refused(
    gql: GraphQLClient, personas: Personas, parsed: list[str]
) -> None:
    query = fan_out(29)  # parses; 2^29 copies of a field once expanded
    for _ in range(3):
        result = await gql.execute(query, as_=personas.alice)
        assert result["data"] is None
        assert codes(result) == ["QUERY_TOO_COMPLEX"]
    assert parsed.count(query) == 1  # served from the cache, refused every time


async def test_a_document_that_does_not_parse_is_never_cached(
    gql: GraphQLClient, personas: Personas, parsed: list[str]
) -> None:
    query = "{" + "viewer {" * 3000 + "id" + "}" * 3001  # over the token limit
    for _ in range(2):
        result = await gql.execute(query, as_=personas.alice)
        assert result["data"] is None
        assert codes(result) == ["GRAPHQL_PARSE_FAILED"]
    assert parsed.count(query) == 2
