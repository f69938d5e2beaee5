"""``channelEvents``: a channel's durable events as GraphQL union members.

Who may subscribe is who may read the channel (members; for a public channel, anyone in the
org), re-checked on the events that can change it: a viewer who leaves a private channel gets
their own ``MemberLeft`` and then the stream ends.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from workchat.events import catalogue as ev
from workchat.events.cursor import encode_cursor
from workchat.events.log import CommittedEvent
from workchat.events.signals import TYPING_STARTED, Signal
from workchat.graphql.events import types as gql

# Events that can take the channel away from a viewer who could read it before.
ACCESS_CHANGING = (ev.MemberLeft, ev.ChannelUpdated)


def channel_event(committed: CommittedEvent) -> gql.ChannelEventType | None:
    """The union member for a channel's event; None for events the stream does not show."""
    event = committed.event
    cursor = encode_cursor(committed.org_id, committed.seq)
    match event:
        case ev.MessagePosted():
            return gql.MessagePosted(cursor=cursor, message_db_id=event.message_id)
        case ev.MessageEdited():
            return gql.MessageEdited(cursor=cursor, message_db_id=event.message_id)
        case ev.MessageDeleted():
            return gql.MessageDeleted(cursor=cursor, message_db_id=event.message_id)
        case ev.ReactionAdded():
            return gql.ReactionAdded(
                cursor=cursor,
                message_db_id=event.message_id,
                emoji=event.emoji,
                user_db_id=event.user_id,
            )
        case ev.ReactionRemoved():
            return gql.ReactionRemoved(
                cursor=cursor,
                message_db_id=event.message_id,
                emoji=event.emoji,
                user_db_id=event.user_id,
            )
        case ev.MemberJoined():
            return gql.MemberJoined(
                cursor=cursor, channel_db_id=event.channel_id, user_db_id=event.user_id
            )
        case ev.MemberLeft():
            return gql.MemberLeft(
                cursor=cursor, channel_db_id=event.channel_id, user_db_id=event.user_id
            )
        case ev.ChannelUpdated():
            return gql.ChannelUpdated(
                cursor=cursor, channel_db_id=event.channel_id, changes=list(event.changes)
            )
        case ev.ChannelArchived():
            return gql.ChannelArchived(cursor=cursor, channel_db_id=event.channel_id)
    return None


def is_about(committed: CommittedEvent, user_id: uuid.UUID | None) -> bool:
    """Whether the event is the viewer's own leaving (delivered even though it ends access)."""
    event = committed.event
    return isinstance(event, ev.MemberLeft) and event.user_id == user_id


def typing_started(signal: Signal, viewer_id: uuid.UUID | None) -> gql.TypingStarted | None:
    """Someone else's typing signal as TypingStarted (one's own typing is not echoed)."""
    if signal.type != TYPING_STARTED:
        return None
    user_id = uuid.UUID(signal.payload["user_id"])
    if user_id == viewer_id:
        return None
    thread = signal.payload.get("thread_id")
    return gql.TypingStarted(
        user_db_id=user_id,
        thread_db_id=uuid.UUID(thread) if thread else None,
        expires_at=datetime.fromisoformat(signal.payload["expires_at"]),
    )
