from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.types import Info

from workchat.graphql.channels.loaders import load_visible_channel
from workchat.graphql.context import Context
from workchat.graphql.ids import decode_id
from workchat.graphql.messages.types import TYPE_NAME, MessageNode


async def load_visible_message(context: Context, message_id: uuid.UUID) -> MessageNode | None:
    viewer = context.require_viewer()
    message = await context.loaders.message_by_id.load(message_id)
    if message is None or message.org_id != viewer.org_id:
        return None
    if await load_visible_channel(context.loaders, viewer, message.channel_id) is None:
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
