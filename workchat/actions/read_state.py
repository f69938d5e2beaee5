"""Read markers: they only move forward; unread and mention counts are derived from them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.access import access_channel
from workchat.actions.channels import require_member
from workchat.actions.unit import unit_of_work
from workchat.auth.viewer import Viewer
from workchat.db.models import Membership, Mention, Message
from workchat.errors import ActionError, ErrorCode
from workchat.events import catalogue as ev
from workchat.services import Services


async def mark_channel_read(
    services: Services, viewer: Viewer, *, channel_id: uuid.UUID, up_to_message_id: uuid.UUID
) -> Membership:
    async with unit_of_work(services, viewer) as unit:
        channel = await access_channel(unit.session, viewer, channel_id)
        membership = await require_member(unit.session, viewer, channel)
        message = await unit.session.get(Message, up_to_message_id)
        if message is None or message.channel_id != channel.id:
            raise ActionError(
                ErrorCode.NOT_FOUND, "message not found in this channel", field="upToMessageId"
            )
        if message.seq <= membership.last_read_seq:
            return membership  # markers never move backwards
        before = {"last_read_seq": membership.last_read_seq}
        membership.last_read_seq = message.seq
        unit.audit(
            channel.org_id,
            "read.mark",
            "channel",
            channel.id,
            before=before,
            after={"last_read_seq": message.seq},
        )
        unit.emit(
            ev.UnreadChanged(
                org_id=channel.org_id,
                user_id=membership.user_id,
                channel_id=channel.id,
                last_read_seq=message.seq,
            )
        )
    return membership


@dataclass(frozen=True, slots=True)
class UnreadState:
    unread: int
    mentions: int


async def unread_states(
    session: AsyncSession, viewer: Viewer, channel_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, UnreadState]:
    """For the viewer's memberships among ``channel_ids``: messages after the marker not by
    the viewer (and not deleted), and how many of those mention them. One statement."""
    rows = await session.execute(
        select(Membership.channel_id, func.count(Message.id), func.count(Mention.user_id))
        .join(
            Message,
            and_(
                Message.channel_id == Membership.channel_id,
                Message.seq > Membership.last_read_seq,
                Message.author_id != viewer.user_id,
                Message.deleted_at.is_(None),
            ),
            isouter=True,
        )
        .join(
            Mention,
            and_(Mention.message_id == Message.id, Mention.user_id == viewer.user_id),
            isouter=True,
        )
        .where(Membership.user_id == viewer.user_id, Membership.channel_id.in_(channel_ids))
        .group_by(Membership.channel_id)
    )
    return {
        channel_id: UnreadState(int(unread), int(mentions)) for channel_id, unread, mentions in rows
    }
