"""``viewerEvents``: what changes for the viewer across the org, derived from the log.

Unread and mention counts are recomputed (through the event's fresh loaders) after any post,
delete or read in a channel the viewer is in, and sent only when they changed, so reads made
on the viewer's other devices arrive too. A channel the viewer is in that is renamed, made
private, updated or archived arrives as ``MembershipChanged``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from workchat.events import catalogue as ev
from workchat.events.cursor import encode_cursor
from workchat.events.log import CommittedEvent
from workchat.events.signals import PRESENCE_CHANGED, Signal
from workchat.graphql.context import Context
from workchat.graphql.events import types as gql
from workchat.graphql.users.types import Presence

KIND_TO_CHANGE = {
    ev.MembershipKind.JOINED: gql.MembershipChange.JOINED,
    ev.MembershipKind.INVITED: gql.MembershipChange.INVITED,
    ev.MembershipKind.LEFT: gql.MembershipChange.LEFT,
}


def _update_change(changes: tuple[str, ...]) -> gql.MembershipChange:
    if "is_private" in changes:
        return gql.MembershipChange.MADE_PRIVATE
    if "name" in changes:
        return gql.MembershipChange.RENAMED
    return gql.MembershipChange.UPDATED


@dataclass
class ViewerStream:
    """Per subscription: the counts last sent for each channel."""

    viewer_id: uuid.UUID
    counts: dict[uuid.UUID, tuple[int, int]] = field(default_factory=dict)

    async def translate(
        self, context: Context, committed: CommittedEvent
    ) -> list[gql.ViewerEventType]:
        event = committed.event
        cursor = encode_cursor(committed.org_id, committed.seq)
        out: list[gql.ViewerEventType] = []
        match event:
            case ev.MembershipChanged() if event.user_id == self.viewer_id:
                out.append(
                    gql.MembershipChanged(
                        cursor=cursor,
                        channel_db_id=event.channel_id,
                        change=KIND_TO_CHANGE[event.kind],
                    )
                )
                if event.kind is ev.MembershipKind.LEFT:
                    self.counts.pop(event.channel_id, None)
                else:
                    out.extend(await self._counts(context, cursor, event.channel_id))
            case ev.ChannelUpdated() | ev.ChannelArchived():
                if await self._is_member(context, event.channel_id):
                    change = (
                        gql.MembershipChange.ARCHIVED
                        if isinstance(event, ev.ChannelArchived)
                        else _update_change(event.changes)
                    )
                    out.append(
                        gql.MembershipChanged(
                            cursor=cursor, channel_db_id=event.channel_id, change=change
                        )
                    )
            case ev.MessagePosted():
                if await self._is_member(context, event.channel_id):
                    if self.viewer_id in event.mentions:
                        out.append(
                            gql.MentionReceived(cursor=cursor, message_db_id=event.message_id)
                        )
                    out.extend(await self._counts(context, cursor, event.channel_id))
            case ev.MessageDeleted():
                if await self._is_member(context, event.channel_id):
                    out.extend(await self._counts(context, cursor, event.channel_id))
            case ev.UnreadChanged() if event.user_id == self.viewer_id:
                out.extend(await self._counts(context, cursor, event.channel_id))
        return out

    async def _is_member(self, context: Context, channel_id: uuid.UUID) -> bool:
        membership = await context.loaders.viewer_membership_by_channel.load(channel_id)
        return membership is not None

    async def _counts(
        self, context: Context, cursor: str, channel_id: uuid.UUID
    ) -> list[gql.ViewerEventType]:
        state = await context.loaders.unread_state_by_channel.load(channel_id)
        counts = (state.unread, state.mentions)
        if self.counts.get(channel_id) == counts:
            return []
        self.counts[channel_id] = counts
        return [
            gql.UnreadCountChanged(
                cursor=cursor,
                channel_db_id=channel_id,
                unread_count=state.unread,
                mention_count=state.mentions,
            )
        ]


def presence_changed(signal: Signal, viewer_id: uuid.UUID | None) -> gql.PresenceChanged | None:
    """Someone else's presence change (one's own connecting is no news to oneself)."""
    if signal.type != PRESENCE_CHANGED:
        return None
    user_id = uuid.UUID(signal.payload["user_id"])
    if user_id == viewer_id:
        return None
    return gql.PresenceChanged(
        user_db_id=user_id,
        presence=Presence(signal.payload["presence"]),
    )
