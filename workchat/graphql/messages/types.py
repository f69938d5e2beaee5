from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from workchat.actions.messages import SeqWindow, list_revisions
from workchat.db.models import Message, MessageRevision
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
    decode_int_cursor,
    encode_cursor,
    page_size,
)
from workchat.graphql.users.types import UserNode

if TYPE_CHECKING:
    from workchat.graphql.channels.types import ChannelNode

TYPE_NAME = "Message"


def seq_window(
    first: int | None, after: str | None, last: int | None, before: str | None
) -> SeqWindow:
    """Relay arguments as a seq window; with none, the newest page (newest last)."""
    if first is not None and last is not None:
        raise RequestError("pass either first or last, not both", RequestErrorCode.INVALID_INPUT)
    after_seq = decode_int_cursor(after, argument="after") if after is not None else None
    before_seq = decode_int_cursor(before, argument="before") if before is not None else None
    if first is not None or (after is not None and last is None):
        return SeqWindow(limit=page_size(first), after=after_seq, before=before_seq)
    return SeqWindow(
        limit=page_size(last, argument="last"), after=after_seq, before=before_seq, from_end=True
    )


def message_cursor(node: MessageNode) -> str:
    return encode_cursor(node.seq)


def message_connection(
    rows: list[Message], window: SeqWindow, has_more: bool
) -> Connection[MessageNode]:
    """A page of a seq window; ``has_more`` is in the window's direction."""
    return build_connection(
        [MessageNode.from_model(row) for row in rows],
        message_cursor,
        has_next_page=has_more if not window.from_end else window.before is not None,
        has_previous_page=has_more if window.from_end else window.after is not None,
    )


@strawberry.type(description="One emoji on a message: how many, whether the viewer, who.")
class ReactionSummary:
    emoji: str = strawberry.field(description="A Unicode emoji or a :short_name:.")
    count: int = strawberry.field(description="How many people reacted with it.")
    viewer_has_reacted: bool = strawberry.field(description="Whether the viewer is one of them.")
    user_ids: strawberry.Private[list[uuid.UUID]]

    @strawberry.field(description="The first few people who reacted.")
    async def users(self, info: Info[Context, None]) -> list[UserNode]:
        users = await info.context.loaders.user_by_id.load_many(self.user_ids)
        return [UserNode.from_model(user) for user in users if user is not None]


@strawberry.type(name="MessageRevision", description="A message's body before an edit.")
class MessageRevisionNode:
    version: int = strawberry.field(description="The version this body had.")
    body: str = strawberry.field(description="The body before the edit.")
    edited_at: datetime = strawberry.field(description="When the edit replaced it.")
    edited_by_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Who made the edit.")
    async def edited_by(self, info: Info[Context, None]) -> UserNode | None:
        user = await info.context.loaders.user_by_id.load(self.edited_by_id)
        return UserNode.from_model(user) if user else None

    @classmethod
    def from_model(cls, revision: MessageRevision) -> MessageRevisionNode:
        return cls(
            version=revision.version,
            body=revision.body,
            edited_at=revision.edited_at,
            edited_by_id=revision.edited_by,
        )


@strawberry.type(name="Message", description="A thread root or a reply in a thread.")
class MessageNode(Node):
    id: strawberry.ID = strawberry.field(description=NODE_ID)
    body: str = strawberry.field(description="The text; empty once deleted.")
    version: int = strawberry.field(
        description="Starts at 1; each edit or the deletion adds 1. Pass as expectedVersion."
    )
    seq: int = strawberry.field(description="Position in the channel; increases without gaps.")
    created_at: datetime = strawberry.field(description="When it was posted.")
    edited_at: datetime | None = strawberry.field(
        description="When it was last edited; null if never."
    )
    deleted_at: datetime | None = strawberry.field(
        description="When it was deleted; null while it exists."
    )
    reply_count: int = strawberry.field(description="Replies in its thread (roots only).")
    last_reply_at: datetime | None = strawberry.field(
        description="When the latest reply was posted; null without replies."
    )
    db_id: strawberry.Private[uuid.UUID]
    thread_db_id: strawberry.Private[uuid.UUID]
    channel_db_id: strawberry.Private[uuid.UUID]
    author_db_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The root's id; equal to `id` for a root message.")
    def thread_id(self) -> strawberry.ID:
        return to_global_id(TYPE_NAME, self.thread_db_id)

    @strawberry.field(description="True for a reply, false for a thread root.")
    def is_reply(self) -> bool:
        return self.thread_db_id != self.db_id

    @strawberry.field(description="Deleted messages keep their place; replies stay.")
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @strawberry.field(description="Who posted it.")
    async def author(self, info: Info[Context, None]) -> UserNode:
        user = await info.context.loaders.user_by_id.load(self.author_db_id)
        assert user is not None  # foreign key
        return UserNode.from_model(user)

    @strawberry.field(description="The channel it was posted in.")
    async def channel(
        self, info: Info[Context, None]
    ) -> Annotated[ChannelNode, strawberry.lazy("workchat.graphql.channels.types")]:
        from workchat.graphql.channels.types import ChannelNode

        channel = await info.context.loaders.channel_by_id.load(self.channel_db_id)
        assert channel is not None  # a visible message's channel is visible
        return ChannelNode.from_model(channel)

    @strawberry.field(description="One summary per emoji, in order of first use.")
    async def reactions(self, info: Info[Context, None]) -> list[ReactionSummary]:
        summaries = await info.context.loaders.reaction_summaries_by_message.load(self.db_id)
        return [
            ReactionSummary(
                emoji=s.emoji,
                count=s.count,
                viewer_has_reacted=s.viewer_has_reacted,
                user_ids=s.user_ids,
            )
            for s in summaries
        ]

    @strawberry.field(description="Replies in this thread, oldest first.")
    async def replies(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
    ) -> Connection[MessageNode]:
        if first is None and last is None and after is None and before is None:
            window = SeqWindow(limit=page_size(None))
        else:
            window = seq_window(first, after, last, before)
        rows: list[Message] = []
        has_more = False
        if self.thread_db_id == self.db_id:
            rows, has_more = await info.context.loaders.replies_by_thread.load((self.db_id, window))
        return message_connection(rows, window, has_more)

    @strawberry.field(description="Earlier bodies, oldest first: for the author and admins.")
    async def revisions(self, info: Info[Context, None]) -> list[MessageRevisionNode] | None:
        viewer = info.context.require_viewer()
        if viewer.user_id != self.author_db_id and not viewer.is_admin:
            return None
        async with info.context.services.db.read_session() as session:
            rows = await list_revisions(session, self.db_id)
        return [MessageRevisionNode.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, message: Message) -> MessageNode:
        return cls(
            id=to_global_id(TYPE_NAME, message.id),
            body=message.body,
            version=message.version,
            seq=message.seq,
            created_at=message.created_at,
            edited_at=message.edited_at,
            deleted_at=message.deleted_at,
            reply_count=message.reply_count,
            last_reply_at=message.last_reply_at,
            db_id=message.id,
            thread_db_id=message.thread_id,
            channel_db_id=message.channel_id,
            author_db_id=message.author_id,
        )
