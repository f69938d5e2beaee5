"""What subscriptions deliver: the ``ChannelEvent`` and ``ViewerEvent`` unions.

Every durable member carries ``cursor`` (pass it back as ``after:`` to resume right after it);
ephemeral ones (``TypingStarted``, ``PresenceChanged``) carry none. Objects are resolved when
the event is delivered, through loaders fresh for that event, so a client sees the current
state of what the event is about (a replayed ``MessagePosted`` of a message edited since shows
the edited body).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from workchat.graphql.channels.types import ChannelNode
from workchat.graphql.context import Context
from workchat.graphql.ids import to_global_id
from workchat.graphql.messages.types import TYPE_NAME as MESSAGE
from workchat.graphql.messages.types import MessageNode
from workchat.graphql.users.types import Presence, UserNode


async def _message(info: Info[Context, None], message_id: uuid.UUID) -> MessageNode:
    message = await info.context.loaders.message_by_id.load(message_id)
    assert message is not None  # messages are soft-deleted: the row outlives its events
    return MessageNode.from_model(message)


async def _channel(info: Info[Context, None], channel_id: uuid.UUID) -> ChannelNode:
    # Not a visibility check: the stream decided the viewer may receive this event (a
    # member who just left a private channel still learns which channel it was).
    channel = await info.context.loaders.channel_by_id.load(channel_id)
    assert channel is not None  # channels are archived, never deleted
    return ChannelNode.from_model(channel)


async def _user(info: Info[Context, None], user_id: uuid.UUID) -> UserNode:
    user = await info.context.loaders.user_by_id.load(user_id)
    assert user is not None  # users are deactivated, never deleted
    return UserNode.from_model(user)


@strawberry.type(description="A message event: posted, edited or deleted.")
class MessageEventBase:
    cursor: str = strawberry.field(description="Resume right after this event with `after:`.")
    message_db_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The message as it is now.")
    async def message(self, info: Info[Context, None]) -> MessageNode:
        return await _message(info, self.message_db_id)


@strawberry.type(description="A message or thread reply was posted (`message.isReply`).")
class MessagePosted(MessageEventBase):
    pass


@strawberry.type(description="A message's body was edited (`message.version` grew).")
class MessageEdited(MessageEventBase):
    pass


@strawberry.type(description="A message was deleted (`message.isDeleted`).")
class MessageDeleted(MessageEventBase):
    pass


@strawberry.type(description="Someone reacted to a message.")
class ReactionEventBase(MessageEventBase):
    emoji: str = strawberry.field(description="The emoji added or removed.")
    user_db_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Who reacted.")
    async def user(self, info: Info[Context, None]) -> UserNode:
        return await _user(info, self.user_db_id)


@strawberry.type(description="A reaction was added; `message.reactions` has the new counts.")
class ReactionAdded(ReactionEventBase):
    pass


@strawberry.type(description="A reaction was removed; `message.reactions` has the new counts.")
class ReactionRemoved(ReactionEventBase):
    pass


@strawberry.type(description="A channel event about one member.")
class MemberEventBase:
    cursor: str = strawberry.field(description="Resume right after this event with `after:`.")
    channel_db_id: strawberry.Private[uuid.UUID]
    user_db_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The channel.")
    async def channel(self, info: Info[Context, None]) -> ChannelNode:
        return await _channel(info, self.channel_db_id)

    @strawberry.field(description="The member.")
    async def user(self, info: Info[Context, None]) -> UserNode:
        return await _user(info, self.user_db_id)


@strawberry.type(description="Someone joined the channel (or was invited in).")
class MemberJoined(MemberEventBase):
    pass


@strawberry.type(description="Someone left the channel.")
class MemberLeft(MemberEventBase):
    pass


@strawberry.type(description="A channel event about the channel itself.")
class ChannelEventBase:
    cursor: str = strawberry.field(description="Resume right after this event with `after:`.")
    channel_db_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The channel as it is now.")
    async def channel(self, info: Info[Context, None]) -> ChannelNode:
        return await _channel(info, self.channel_db_id)


@strawberry.type(description="The channel's name, description or privacy changed.")
class ChannelUpdated(ChannelEventBase):
    changes: list[str] = strawberry.field(
        description="Which fields changed: name, description, is_private."
    )


@strawberry.type(description="The channel was archived: it is read-only from now on.")
class ChannelArchived(ChannelEventBase):
    pass


@strawberry.type(description="Someone is typing (ephemeral: no cursor, never replayed).")
class TypingStarted:
    user_db_id: strawberry.Private[uuid.UUID]
    thread_db_id: strawberry.Private[uuid.UUID | None]
    expires_at: datetime = strawberry.field(
        description="Show the indicator until then unless another TypingStarted extends it."
    )

    @strawberry.field(description="Who is typing.")
    async def user(self, info: Info[Context, None]) -> UserNode:
        return await _user(info, self.user_db_id)

    @strawberry.field(description="The thread they type in; null for the channel itself.")
    def thread_id(self) -> strawberry.ID | None:
        return to_global_id(MESSAGE, self.thread_db_id) if self.thread_db_id else None


@strawberry.type(
    description="The server cannot resume from the given cursor (malformed, from another "
    "org, or older than the event log's retention). Refetch what you show, then subscribe "
    "again without `after`. The stream ends after this event."
)
class ResyncRequired:
    reason: str = strawberry.field(description="Why, for logs; not meant for end users.")


ChannelEventType = (
    MessagePosted
    | MessageEdited
    | MessageDeleted
    | ReactionAdded
    | ReactionRemoved
    | MemberJoined
    | MemberLeft
    | ChannelUpdated
    | ChannelArchived
    | TypingStarted
    | ResyncRequired
)
ChannelEvent = Annotated[
    ChannelEventType,
    strawberry.union("ChannelEvent", description="What `channelEvents` delivers."),
]


@strawberry.type(description="The viewer's unread and mention counts of a channel changed.")
class UnreadCountChanged(ChannelEventBase):
    unread_count: int = strawberry.field(description="Messages after the viewer's read marker.")
    mention_count: int = strawberry.field(description="Of those, the ones mentioning the viewer.")


@strawberry.type(description="Someone in the org came online, went away or went offline.")
class PresenceChanged:
    user_db_id: strawberry.Private[uuid.UUID]
    presence: Presence = strawberry.field(description="Their presence now.")

    @strawberry.field(description="Whose presence changed.")
    async def user(self, info: Info[Context, None]) -> UserNode:
        return await _user(info, self.user_db_id)


@strawberry.enum(description="How the viewer's relation to a channel changed.")
class MembershipChange(Enum):
    JOINED = strawberry.enum_value("joined", description="The viewer joined the channel.")
    LEFT = strawberry.enum_value("left", description="The viewer left the channel.")
    INVITED = strawberry.enum_value("invited", description="Another member added the viewer.")
    RENAMED = strawberry.enum_value("renamed", description="The channel was renamed.")
    MADE_PRIVATE = strawberry.enum_value(
        "made_private", description="The channel's privacy changed."
    )
    UPDATED = strawberry.enum_value("updated", description="Its description changed.")
    ARCHIVED = strawberry.enum_value("archived", description="The channel became read-only.")


@strawberry.type(
    description="The viewer joined, left or was invited to a channel, or a "
    "channel they are in was renamed, made private, updated or archived."
)
class MembershipChanged(ChannelEventBase):
    change: MembershipChange = strawberry.field(description="What happened.")


@strawberry.type(description="A message mentions the viewer.")
class MentionReceived(MessageEventBase):
    pass


ViewerEventType = (
    UnreadCountChanged | PresenceChanged | MembershipChanged | MentionReceived | ResyncRequired
)
ViewerEvent = Annotated[
    ViewerEventType,
    strawberry.union("ViewerEvent", description="What `viewerEvents` delivers."),
]
