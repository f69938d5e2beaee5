from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from workchat.actions import channels as channel_actions
from workchat.graphql.channels.loaders import load_visible_channel
from workchat.graphql.channels.types import TYPE_NAME, ChannelFilter, ChannelNode, _uuid
from workchat.graphql.context import Context
from workchat.graphql.ids import decode_id
from workchat.graphql.relay import (
    AFTER,
    FIRST,
    Connection,
    build_connection,
    decode_cursor,
    encode_cursor,
    page_size,
)


def _cursor(node: ChannelNode) -> str:
    return encode_cursor(node.model.name_key, str(node.db_id))


@strawberry.type
class ChannelQueries:
    @strawberry.field(description="Channels the viewer can see, by name.")
    async def channels(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        filter: Annotated[
            ChannelFilter | None, strawberry.argument(description="Which channels to list.")
        ] = None,
    ) -> Connection[ChannelNode]:
        viewer = info.context.require_viewer()
        limit = page_size(first)
        after_key = None
        if after is not None:
            key, raw_id = decode_cursor(after, arity=2)
            after_key = (str(key), _uuid(raw_id))
        given = filter or ChannelFilter()
        async with info.context.services.db.read_session() as session:
            rows, has_more = await channel_actions.list_channels(
                session,
                viewer,
                limit=limit,
                after=after_key,
                filter=channel_actions.ChannelFilter(
                    joined=given.joined,
                    include_archived=given.include_archived,
                    name_contains=given.name_contains,
                ),
            )
        for row in rows:
            info.context.loaders.channel_by_id.prime(row.id, row)
        return build_connection(
            [ChannelNode.from_model(row) for row in rows],
            _cursor,
            has_next_page=has_more,
            has_previous_page=after is not None,
        )

    @strawberry.field(description="A channel by id; null if missing or not visible.")
    async def channel(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The channel's global ID.")],
    ) -> ChannelNode | None:
        viewer = info.context.require_viewer()
        channel_id = decode_id(id, TYPE_NAME)
        if channel_id is None:
            return None
        channel = await load_visible_channel(info.context.loaders, viewer, channel_id)
        return ChannelNode.from_model(channel) if channel else None
