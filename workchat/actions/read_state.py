"""Read markers: they only move forward; unread and mention counts are derived from them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from workchat.access import access_channel, preload_channel_and_membership
from workchat.actions.channels import require_member
from workchat.actions.unit import unit_of_work
from workchat.auth.viewer import Viewer
from workchat.db.base import table_of
from workchat.db.direct_write import execute_write
from workchat.db.models import Membership, Mention, Message
from workchat.errors import ActionError, ErrorCode
from workchat.events import catalogue as ev
from workchat.services import Services

# The message's seq if it is a message of this channel (None otherwise): it rides along with
# the channel-and-membership preload.
_SEQ_IN_CHANNEL = (
    select(Message.seq)
    .where(Message.id == bindparam("message_id"), Message.channel_id == bindparam("channel_id"))
    .scalar_subquery()
)
_MEMBERSHIPS = table_of(Membership)
# Forward only in SQL too: two devices marking at once never move the marker back.
_MOVE_MARKER = (
    update(_MEMBERSHIPS)
    .where(
        _MEMBERSHIPS.c.channel_id == bindparam("channel"),
        _MEMBERSHIPS.c.user_id == bindparam("user"),
        _MEMBERSHIPS.c.last_read_seq < bindparam("seq"),
    )
    .values(last_read_seq=bindparam("seq"))
    .returning(_MEMBERSHIPS.c.last_read_seq)
)


async def mark_channel_read(
    services: Services, viewer: Viewer, *, channel_id: uuid.UUID, up_to_message_id: uuid.UUID
) -> Membership:
    async with unit_of_work(services, viewer) as unit:
        session = unit.session
        seq = await preload_channel_and_membership(
            session,
            viewer,
            channel_id,
            also=_SEQ_IN_CHANNEL,
            params={"message_id": up_to_message_id},
        )
        channel = await access_channel(session, viewer, channel_id)
        membership = await require_member(session, viewer, channel)
        if seq is None:
            raise ActionError(
                ErrorCode.NOT_FOUND, "message not found in this channel", field="upToMessageId"
            )
        before = membership.last_read_seq
        if seq <= before:
            return membership  # markers never move backwards
        params = {"channel": channel.id, "user": membership.user_id, "seq": seq}
        if not await execute_write(session, _MOVE_MARKER, params):
            return membership  # another mark of this member went further meanwhile
        set_committed_value(membership, "last_read_seq", seq)
        unit.audit(
            channel.org_id,
            "read.mark",
            "channel",
            channel.id,
            before={"last_read_seq": before},
            after={"last_read_seq": seq},
        )
        unit.emit(
            ev.UnreadChanged(
                org_id=channel.org_id,
                user_id=membership.user_id,
                channel_id=channel.id,
                last_read_seq=seq,
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
