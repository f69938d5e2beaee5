from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum

import strawberry

from workchat.graphql.channels.types import ChannelNode
from workchat.graphql.messages.types import MessageNode
from workchat.graphql.relay import PageInfo


@strawberry.enum(description="How search results are ordered.")
class SearchSort(Enum):
    RELEVANCE = "relevance"
    NEWEST = "newest"


@strawberry.type(description="A message that matched, with a highlighted snippet.")
class SearchResult:
    message: MessageNode
    channel: ChannelNode
    snippet: str = strawberry.field(
        description="HTML-escaped text around the first match; matches are wrapped in <mark>."
    )
    score: float = strawberry.field(description="Relevance; higher is better (0 for NEWEST).")


@strawberry.type
class SearchResultEdge:
    cursor: str
    node: SearchResult


@strawberry.type
class SearchResultConnection:
    edges: list[SearchResultEdge]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[tuple[int, bool]]]]

    @strawberry.field
    def nodes(self) -> list[SearchResult]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="Matches, counted up to 500 (see totalCountIsExact).")
    async def total_count(self) -> int:
        return (await self.counter())[0]

    @strawberry.field(description="False when there are more matches than totalCount.")
    async def total_count_is_exact(self) -> bool:
        return (await self.counter())[1]
