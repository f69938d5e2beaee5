from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.types import Info

from workchat.access import can_read_message
from workchat.graphql.channels.loaders import viewer_is_member
from workchat.graphql.context import Context
from workchat.graphql.ids import decode_id
from workchat.graphql.messages.types import TYPE_NAME, MessageNode


async def load_visible_message(context: Context, message_id: uuid.UUID) -> MessageNode | None:
    viewer = context.require_viewer()
    loaders = context.loaders
    message = await loaders.message_by_id.load(message_id)
    channel = await loaders.channel_by_id.load(message.channel_id) if message else None
    if message is None or channel is None:
        return None
    is_member = await viewer_is_member(loaders, channel)
    if not can_read_message(viewer, message, channel, is_member=is_member):
        return None
    return MessageNode.from_model(message)


@strawberry.type
class MessageQueries:
    @strawberry.field(description="A message by id; null if missing or not visible.")
    async def message(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The message's global ID.")],
    ) -> MessageNode | None:
        info.context.require_viewer()
        message_id = decode_id(id, TYPE_NAME)
        return await load_visible_message(info.context, message_id) if message_id else None
