from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from workchat.actions.channels import list_members
from workchat.actions.messages import list_roots
from workchat.db.models import Channel
from workchat.errors import RequestError, RequestErrorCode
from workchat.graphql.context import Context
from workchat.graphql.ids import to_global_id
from workchat.graphql.relay import (
    AFTER,
    BEFORE,
    FIRST,
    LAST,
    NODE_ID,
    Connection,
    Node,
    build_connection,
    decode_cursor,
    encode_cursor,
    page_size,
)
from workchat.graphql.users.types import UserNode

if TYPE_CHECKING:
    from workchat.graphql.messages.types import MessageNode

TYPE_NAME = "Channel"


@strawberry.input(description="Narrows the channels list.")
class ChannelFilter:
    joined: bool | None = strawberry.field(
        default=None, description="Only channels the viewer is in (true) or not in (false)."
    )
    include_archived: bool = strawberry.field(
        default=False, description="Also list archived channels."
    )
    name_contains: str | None = strawberry.field(
        default=None, description="Only names containing this text (ignoring case)."
    )


@strawberry.type(name="Channel", description="A public or private conversation space.")
class ChannelNode(Node):
    id: strawberry.ID = strawberry.field(description=NODE_ID)
    name: str = strawberry.field(description="Unique in the org ignoring case; without #.")
    description: str = strawberry.field(description="What the channel is for; may be empty.")
    is_private: bool = strawberry.field(
        description="Visible only to members, who join by invitation."
    )
    is_system: bool = strawberry.field(
        description="True for #general: everyone is in it and nobody leaves."
    )
    created_at: datetime = strawberry.field(description="When the channel was created.")
    archived_at: datetime | None = strawberry.field(
        description="When it became read-only; null while active."
    )
    db_id: strawberry.Private[uuid.UUID]
    created_by_id: strawberry.Private[uuid.UUID | None]
    model: strawberry.Private[Channel]

    @strawberry.field(description="Archived channels are read-only.")
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @strawberry.field(description="Who created it; null for #general.")
    async def created_by(self, info: Info[Context, None]) -> UserNode | None:
        if self.created_by_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.created_by_id)
        return UserNode.from_model(user) if user else None

    @strawberry.field(description="How many users are in the channel.")
    async def member_count(self, info: Info[Context, None]) -> int:
        return await info.context.loaders.member_count_by_channel.load(self.db_id)

    @strawberry.field(description="Whether the viewer is in the channel.")
    async def viewer_is_member(self, info: Info[Context, None]) -> bool:
        return await info.context.loaders.viewer_membership_by_channel.load(self.db_id) is not None

    @strawberry.field(description="Messages after the viewer's read marker, not their own.")
    async def unread_count(self, info: Info[Context, None]) -> int:
        return (await info.context.loaders.unread_state_by_channel.load(self.db_id)).unread

    @strawberry.field(description="Unread messages that mention the viewer as @display name.")
    async def mention_count(self, info: Info[Context, None]) -> int:
        return (await info.context.loaders.unread_state_by_channel.load(self.db_id)).mentions

    @strawberry.field(description="Members in the order they joined.")
    async def members(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[UserNode]:
        limit = page_size(first)
        after_key = None
        if after is not None:
            joined_at, raw_id = decode_cursor(after, arity=2)
            after_key = (_moment(joined_at), _uuid(raw_id))
        async with info.context.services.db.read_session() as session:
            members, has_more = await list_members(
                session, self.model, limit=limit, after=after_key
            )
        joined = {user.id: joined_at for user, joined_at in members}
        return build_connection(
            [UserNode.from_model(user) for user, _ in members],
            lambda node: encode_cursor(joined[node.db_id].isoformat(), str(node.db_id)),
            has_next_page=has_more,
            has_previous_page=after is not None,
        )

    @strawberry.field(description="Thread roots, oldest first; with no arguments the newest 50.")
    async def messages(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
    ) -> Connection[Annotated[MessageNode, strawberry.lazy("workchat.graphql.messages.types")]]:
        from workchat.graphql.messages.types import message_connection, seq_window

        window = seq_window(first, after, last, before)
        async with info.context.services.db.read_session() as session:
            rows, has_more = await list_roots(session, self.model, window)
        return message_connection(rows, window, has_more)

    @classmethod
    def from_model(cls, channel: Channel) -> ChannelNode:
        return cls(
            id=to_global_id(TYPE_NAME, channel.id),
            name=channel.name,
            description=channel.description,
            is_private=channel.is_private,
            is_system=channel.is_system,
            created_at=channel.created_at,
            archived_at=channel.archived_at,
            db_id=channel.id,
            created_by_id=channel.created_by,
            model=channel,
        )


def _moment(raw: object) -> datetime:
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise RequestError("after is not a valid cursor", RequestErrorCode.INVALID_INPUT)
    return moment


def _uuid(raw: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise RequestError("after is not a valid cursor", RequestErrorCode.INVALID_INPUT) from None
