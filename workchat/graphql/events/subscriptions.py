"""Subscriptions over the durable event log, and ``eventCursor`` to start them without a gap.

Each stream follows the org's log (``workchat.events.feed.follow``): with ``after`` it replays
the events after that cursor, then goes on live with no gap and no duplicate; without it, it
starts live from the moment the server handles the subscription (graphql-transport-ws has no
acknowledgement for that: a client that needs everything since a query asks ``eventCursor``
with the query and subscribes with ``after`` set to it). A cursor that is malformed, from
another org or older than the log's retention gets one ``ResyncRequired`` and the stream ends.
Each event is resolved through fresh DataLoaders (built only if the event needs them), so it
shows the current state and current permissions.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated

import strawberry
from starlette.websockets import WebSocket
from strawberry.types import Info

from workchat.auth.viewer import Viewer
from workchat.errors import not_found
from workchat.events.cursor import decode_cursor, encode_cursor
from workchat.events.feed import CaughtUp, follow
from workchat.events.feed import ResyncRequired as LogResync
from workchat.events.hub import SubscriberTooSlow
from workchat.events.log import CommittedEvent
from workchat.events.reads import EVERYTHING, EventFilter, head_seq
from workchat.events.signals import Signal
from workchat.graphql.channels.loaders import load_visible_channel
from workchat.graphql.channels.types import TYPE_NAME as CHANNEL
from workchat.graphql.context import Context
from workchat.graphql.events import types as gql
from workchat.graphql.events.channel_stream import (
    ACCESS_CHANGING,
    channel_event,
    is_about,
    typing_started,
)
from workchat.graphql.events.delivery import GroupDelivery, group_delivery
from workchat.graphql.events.viewer_stream import ViewerStream, presence_changed
from workchat.graphql.ids import decode_id
from workchat.graphql.throttle import check_subscription

AFTER = "Resume right after this event `cursor` (or an `eventCursor`)."
INVALID_CURSOR = "the cursor is not valid here; reload and subscribe without `after`"


async def _events(
    context: Context,
    viewer: Viewer,
    after: str | None,
    where: EventFilter,
    delivery: GroupDelivery | None = None,
) -> AsyncGenerator[CommittedEvent | Signal | gql.ResyncRequired, None]:
    """The org's events for one subscription; ResyncRequired (at most once) ends it. With
    ``delivery``, once caught up the subscription is delivered by its group's task, which
    hands back only what needs this subscriber (``workchat.graphql.events.delivery``)."""
    assert viewer.org_id is not None
    after_seq: int | None = None
    if after is not None:
        decoded = decode_cursor(after, viewer.org_id)
        if not decoded.is_valid:
            yield gql.ResyncRequired(reason=INVALID_CURSOR)
            return
        after_seq = decoded.seq
    # What the subscribe-time checks loaded is not kept while the stream waits.
    context.drop_loaders()
    events = follow(
        context.services.hub,
        viewer.org_id,
        after_seq=after_seq,
        where=where,
        caught_up=delivery is not None,
    )
    try:
        async with aclosing(events):  # type: ignore[type-var]
            async for item in events:
                if isinstance(item, CaughtUp):
                    if delivery is not None and await delivery.join(item):
                        # The group delivers from here; the listener goes (and with it
                        # everything it held: nothing here may keep the CaughtUp).
                        del item
                        break
                    continue
                if isinstance(item, LogResync):
                    yield gql.ResyncRequired(reason=item.reason)
                    return
                context.drop_loaders()
                yield item
        del events  # closed: nothing of the listener's stream is kept while parked
        if delivery is not None and delivery.member is not None:
            while True:
                handed = await delivery.next()
                context.drop_loaders()
                yield handed
    except SubscriberTooSlow as slow:
        await _close(context, slow.close_code, "too slow to keep up; resume with your cursor")
    finally:
        if delivery is not None:
            delivery.leave()


async def _close(context: Context, code: int, reason: str) -> None:
    if isinstance(context.request, WebSocket):
        with contextlib.suppress(RuntimeError):  # already closed
            await context.request.close(code=code, reason=reason)


@strawberry.type
class EventQueries:
    @strawberry.field(
        description="A cursor at the head of the org's event log. Ask for it together with "
        "the data you show, then subscribe with `after` set to it: nothing committed in "
        "between is missed (an event already reflected in your data may arrive once more)."
    )
    async def event_cursor(self, info: Info[Context, None]) -> str:
        viewer = info.context.require_viewer()
        assert viewer.org_id is not None
        async with info.context.services.db.read_session() as session:
            seq = await head_seq(session, viewer.org_id)
        return encode_cursor(viewer.org_id, seq)


@strawberry.type
class EventSubscriptions:
    @strawberry.subscription(
        description="A channel's events: messages, reactions, members, channel changes and "
        "typing. For anyone who may read the channel (its members; for a public channel, "
        "everyone in the org). Pass `after` (an event's `cursor`, or `eventCursor`) to "
        "resume exactly after it. Errors: NOT_FOUND."
    )
    async def channel_events(
        self,
        info: Info[Context, None],
        channel_id: Annotated[strawberry.ID, strawberry.argument(description="The channel.")],
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[gql.ChannelEvent, None]:
        context = info.context
        # The resolver's frame lives as long as the subscription: not the resolve info.
        del info
        viewer = context.require_viewer()
        await check_subscription(context)
        db_id = decode_id(channel_id, CHANNEL)
        channel = await load_visible_channel(context.loaders, viewer, db_id) if db_id else None
        if channel is None:
            raise not_found("channel", field="channelId")
        # The id only: the loaded row (and its ORM state) is not kept while the stream waits.
        channel_uuid, channel = channel.id, None
        delivery = group_delivery(context, channel_uuid)
        where = EventFilter(channel_id=channel_uuid)
        # Closed here, not left to the collector: it takes the subscription out of its group.
        async with aclosing(_events(context, viewer, after, where, delivery)) as items:
            async for item in items:
                if isinstance(item, gql.ResyncRequired):
                    yield item
                    return
                if isinstance(item, Signal):
                    typing = typing_started(item, viewer.user_id)
                    if typing is not None:
                        yield typing
                    continue
                if isinstance(item.event, ACCESS_CHANGING) and not await _still_readable(
                    context, viewer, channel_uuid
                ):
                    if is_about(item, viewer.user_id):
                        node = channel_event(item)
                        if node is not None:
                            yield node
                    return
                node = channel_event(item)
                if node is not None:
                    yield node

    @strawberry.subscription(
        description="What changes for the viewer: unread and mention counts (also from "
        "reads on other devices), mentions, and the channels they are in. Pass `after` to "
        "resume exactly after an event's `cursor`."
    )
    async def viewer_events(
        self,
        info: Info[Context, None],
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[gql.ViewerEvent, None]:
        context = info.context
        viewer = context.require_viewer()
        await check_subscription(context)
        assert viewer.user_id is not None
        state = ViewerStream(viewer.user_id)
        async for item in _events(context, viewer, after, EVERYTHING):
            if isinstance(item, gql.ResyncRequired):
                yield item
                return
            if isinstance(item, Signal):
                presence = presence_changed(item, viewer.user_id)
                if presence is not None:
                    yield presence
                continue
            for node in await state.translate(context, item):
                yield node

    @strawberry.subscription(
        description="Every durable event of all the channels the viewer is in (messages, "
        "replies, edits, deletions, reactions, members, channel changes), in log order: one "
        "stream instead of one channelEvents per channel, for bots and agents (the MCP tool "
        "get_updates long-polls it). Membership is checked as each event is delivered, so a "
        "replay after joining includes the channel's events since `after`. No typing. Pass "
        "`after` (an event's `cursor`, or `eventCursor`) to resume exactly after it."
    )
    async def joined_channel_events(
        self,
        info: Info[Context, None],
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[gql.ChannelEvent, None]:
        context = info.context
        viewer = context.require_viewer()
        await check_subscription(context)
        async for item in _events(context, viewer, after, EVERYTHING):
            if isinstance(item, gql.ResyncRequired):
                yield item
                return
            if isinstance(item, Signal) or item.channel_id is None:
                continue
            # Membership as of delivery, through loaders fresh for this event; one's own
            # leaving is still shown (it explains why the channel's events stop).
            if await _is_joined(context, viewer, item.channel_id) or is_about(item, viewer.user_id):
                node = channel_event(item)
                if node is not None:
                    yield node


async def _is_joined(context: Context, viewer: Viewer, channel_id: uuid.UUID) -> bool:
    channel = await load_visible_channel(context.loaders, viewer, channel_id)
    if channel is None:
        return False
    # viewer_is_member skips the lookup where membership does not decide readability.
    membership = await context.loaders.viewer_membership_by_channel.load(channel.id)
    return membership is not None


async def _still_readable(context: Context, viewer: Viewer, channel_id: uuid.UUID) -> bool:
    return await load_visible_channel(context.loaders, viewer, channel_id) is not None
