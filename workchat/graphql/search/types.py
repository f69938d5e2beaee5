from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum

import strawberry

from workchat.graphql.channels.types import ChannelNode
from workchat.graphql.messages.types import MessageNode
from workchat.graphql.relay import PageInfo


@strawberry.enum(description="How search results are ordered.")
class SearchSort(Enum):
    RELEVANCE = strawberry.enum_value("relevance", description="Best matches first.")
    NEWEST = strawberry.enum_value("newest", description="Most recent messages first.")


@strawberry.type(description="A message that matched, with a highlighted snippet.")
class SearchResult:
    message: MessageNode = strawberry.field(description="The matching message.")
    channel: ChannelNode = strawberry.field(description="The channel it is in.")
    snippet: str = strawberry.field(
        description="HTML-escaped text around the first match; matches are wrapped in <mark>."
    )
    score: float = strawberry.field(description="Relevance; higher is better (0 for NEWEST).")


@strawberry.type(description="One search result and its cursor.")
class SearchResultEdge:
    cursor: str = strawberry.field(description="Pass as `after` to page from here.")
    node: SearchResult = strawberry.field(description="The result.")


@strawberry.type(description="One page of search results.")
class SearchResultConnection:
    edges: list[SearchResultEdge] = strawberry.field(description="The page's results.")
    page_info: PageInfo = strawberry.field(description="Whether more pages exist.")
    counter: strawberry.Private[Callable[[], Awaitable[tuple[int, bool]]]]

    @strawberry.field(description="The page's results without cursors.")
    def nodes(self) -> list[SearchResult]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="Matches, counted up to 500 (see totalCountIsExact).")
    async def total_count(self) -> int:
        return (await self.counter())[0]

    @strawberry.field(description="False when there are more matches than totalCount.")
    async def total_count_is_exact(self) -> bool:
        return (await self.counter())[1]
