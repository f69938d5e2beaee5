"""Channel loaders: by id, member counts, and the viewer's membership and unread state."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from workchat.access import can_read_channel, membership_matters
from workchat.actions.read_state import UnreadState, unread_states
from workchat.auth.viewer import Viewer
from workchat.db.models import Channel, Membership
from workchat.graphql.loaders import Loader, Loaders, ModelByIdLoader, ViewerLoader
from workchat.services import Services


class ChannelByIdLoader(ModelByIdLoader[Channel]):
    model = Channel


class MemberCountByChannelLoader(Loader[uuid.UUID, int]):
    def __init__(self, services: Services) -> None:
        self._services = services
        super().__init__(load_fn=self._load)

    async def _load(self, channel_ids: Sequence[uuid.UUID]) -> list[int]:
        async with self._services.db.read_session() as session:
            rows = await session.execute(
                select(Membership.channel_id, func.count())
                .where(Membership.channel_id.in_(channel_ids))
                .group_by(Membership.channel_id)
            )
            counts = {channel_id: int(count) for channel_id, count in rows}
        return [counts.get(channel_id, 0) for channel_id in channel_ids]


class ViewerMembershipByChannelLoader(ViewerLoader[uuid.UUID, Membership | None]):
    async def _load(self, channel_ids: Sequence[uuid.UUID]) -> list[Membership | None]:
        viewer = self._viewer()
        async with self._services.db.read_session() as session:
            rows = await session.scalars(
                select(Membership).where(
                    Membership.user_id == viewer.user_id, Membership.channel_id.in_(channel_ids)
                )
            )
            by_channel = {row.channel_id: row for row in rows}
        return [by_channel.get(channel_id) for channel_id in channel_ids]


class UnreadStateByChannelLoader(ViewerLoader[uuid.UUID, UnreadState]):
    async def _load(self, channel_ids: Sequence[uuid.UUID]) -> list[UnreadState]:
        async with self._services.db.read_session() as session:
            states = await unread_states(session, self._viewer(), channel_ids)
        none = UnreadState(0, 0)
        return [states.get(channel_id, none) for channel_id in channel_ids]


async def viewer_is_member(loaders: Loaders, channel: Channel) -> bool:
    """Membership for ``can_read_channel``, looked up only where it decides."""
    return membership_matters(channel) and (
        await loaders.viewer_membership_by_channel.load(channel.id) is not None
    )


async def load_visible_channel(
    loaders: Loaders, viewer: Viewer, channel_id: uuid.UUID
) -> Channel | None:
    """The channel through this request's loaders, or None if the viewer may not see it."""
    channel = await loaders.channel_by_id.load(channel_id)
    if channel is None:
        return None
    is_member = await viewer_is_member(loaders, channel)
    return channel if can_read_channel(viewer, channel, is_member=is_member) else None
