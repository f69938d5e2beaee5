from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry
from strawberry.types import Info

from workchat.db.engine import Database
from workchat.db.models import Channel, User
from workchat.errors import RequestError, RequestErrorCode
from workchat.graphql.channels.types import ChannelNode
from workchat.graphql.context import Context
from workchat.graphql.loaders import rows_by_id
from workchat.graphql.messages.types import MessageNode
from workchat.graphql.relay import (
    AFTER,
    FIRST,
    PageInfo,
    decode_int_cursor,
    encode_cursor,
    page_size,
)
from workchat.graphql.search.types import (
    SearchResult,
    SearchResultConnection,
    SearchResultEdge,
    SearchSort,
)
from workchat.search import service
from workchat.search.highlight import snippet
from workchat.search.query import QuerySyntaxError, SearchQuery, parse

MAX_OFFSET = 10_000


@strawberry.type
class SearchQueries:
    @strawberry.field(
        description="Search messages in channels the viewer can read. The query language: "
        'words, "phrases", prefix*, -exclusions, from:, in:, before:/after:/on:YYYY-MM-DD, '
        "has:reaction, has:link, is:thread, is:reply."
    )
    async def search(
        self,
        info: Info[Context, None],
        query: Annotated[str, strawberry.argument(description="What to look for (see above).")],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        sort: Annotated[
            SearchSort, strawberry.argument(description="Result order.")
        ] = SearchSort.RELEVANCE,
    ) -> SearchResultConnection:
        viewer = info.context.require_viewer()
        limit = page_size(first)
        offset = decode_int_cursor(after, argument="after") + 1 if after is not None else 0
        if not 0 <= offset <= MAX_OFFSET:
            raise RequestError("after is not a valid cursor", RequestErrorCode.INVALID_INPUT)
        try:
            parsed = parse(query)
        except QuerySyntaxError as error:
            raise RequestError(
                error.message, RequestErrorCode.INVALID_QUERY, position=error.position
            ) from None
        db = info.context.services.db
        async with db.read_session() as session:
            scope = await service.resolve_scope(session, viewer, parsed)
            page = await service.search_messages(
                session,
                parsed,
                scope,
                limit=limit,
                offset=offset,
                sort=service.SearchSort(sort.value),
            )
            # In the same transaction: the page's channels (readable: the scope holds no
            # others) and authors, primed into this request's loaders for nested fields.
            channels = await rows_by_id(session, Channel, {h.message.channel_id for h in page.hits})
            authors = await rows_by_id(session, User, {h.message.author_id for h in page.hits})
        loaders = info.context.loaders
        for channel_id, channel in channels.items():
            loaders.channel_by_id.prime(channel_id, channel)
        for user_id, user in authors.items():
            loaders.user_by_id.prime(user_id, user)
        counted: asyncio.Future[tuple[int, bool]] | None = None

        async def counter() -> tuple[int, bool]:
            nonlocal counted
            if counted is None:
                counted = asyncio.ensure_future(_count(db, parsed, scope))
            return await counted

        edges = []
        for index, hit in enumerate(page.hits):
            channel = channels[hit.message.channel_id]
            assert channel.org_id == viewer.org_id  # the scope only holds readable channels
            edges.append(
                SearchResultEdge(
                    cursor=encode_cursor(offset + index),
                    node=SearchResult(
                        message=MessageNode.from_model(hit.message),
                        channel=ChannelNode.from_model(channel),
                        snippet=snippet(hit.message.body, parsed),
                        score=hit.score,
                    ),
                )
            )
        return SearchResultConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_more,
                has_previous_page=offset > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            counter=counter,
        )


async def _count(db: Database, parsed: SearchQuery, scope: service.Scope) -> tuple[int, bool]:
    async with db.read_session() as session:
        return await service.count_matches(session, parsed, scope)
