"""Channel actions: create, update, archive, join, leave, invite; and channel reads.

A private channel is invisible to non-members: every lookup treats it like a missing one.
Each org has one system channel, #general, that everyone is in and nobody leaves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.access import (
    access_channel,
    access_user,
    get_membership,
    readable_channels_sql,
    require_user,
)
from workchat.actions.unit import Unit, unit_of_work
from workchat.actions.validation import clean_text
from workchat.auth.viewer import Viewer
from workchat.db.base import utcnow
from workchat.db.models import Channel, Membership, User
from workchat.errors import ActionError, ErrorCode, Forbidden
from workchat.events import catalogue as ev
from workchat.services import Services
from workchat.text import lookalike_key

GENERAL = "general"
MAX_NAME = 80
MAX_DESCRIPTION = 1000


def name_key(name: str) -> str:
    return name.casefold()


def channel_snapshot(channel: Channel) -> dict[str, Any]:
    return {
        "name": channel.name,
        "description": channel.description,
        "is_private": channel.is_private,
        "archived": channel.archived_at is not None,
    }


def require_writable(channel: Channel) -> None:
    if channel.archived_at is not None:
        raise ActionError(ErrorCode.CHANNEL_ARCHIVED, "the channel is archived (read-only)")


async def require_member(session: AsyncSession, viewer: Viewer, channel: Channel) -> Membership:
    membership = await get_membership(session, channel.id, viewer.user_id)
    if membership is None:
        raise ActionError(ErrorCode.NOT_A_MEMBER, "join the channel first", field="channelId")
    return membership


def _require_manager(viewer: Viewer, channel: Channel) -> None:
    if not (viewer.is_admin or channel.created_by == viewer.user_id):
        raise Forbidden("only the channel's creator or an admin may do this")


def _name_taken() -> ActionError:
    return ActionError(ErrorCode.NAME_TAKEN, "a channel with this name exists", field="name")


async def _check_name_free(
    session: AsyncSession, org_id: uuid.UUID, name: str, *, except_id: uuid.UUID | None = None
) -> None:
    """NAME_TAKEN for the same name (ignoring case), NAME_CONFUSABLE for a look-alike.

    A look-alike (``#generaI`` beside ``#general``, Cyrillic letters for Latin ones) would
    let someone pose as a channel people trust. The org's names are compared in Python
    (their TR39 keys are not stored): about a millisecond per thousand names. Archived
    channels count too, as they do for NAME_TAKEN. The error never names the channel it
    resembles: that could be a private channel the viewer cannot see.
    """
    others = select(Channel.name, Channel.name_key).where(Channel.org_id == org_id)
    if except_id is not None:
        others = others.where(Channel.id != except_id)
    rows = (await session.execute(others)).all()
    key = name_key(name)
    if any(row.name_key == key for row in rows):
        raise _name_taken()
    lookalike = lookalike_key(name)
    if any(lookalike_key(row.name) == lookalike for row in rows):
        raise ActionError(
            ErrorCode.NAME_CONFUSABLE,
            "the name looks like the name of another channel",
            field="name",
        )


def _clean_name(name: str) -> str:
    cleaned = clean_text(name, "name", max_len=MAX_NAME).removeprefix("#").strip()
    if not cleaned:
        raise ActionError(ErrorCode.INVALID_INPUT, "name must not be empty", field="name")
    return cleaned


def add_member(
    unit: Unit,
    channel: Channel,
    user_id: uuid.UUID,
    kind: ev.MembershipKind = ev.MembershipKind.JOINED,
) -> Membership:
    """Add a membership row and announce it (part of a larger action)."""
    membership = Membership(
        channel_id=channel.id, user_id=user_id, joined_at=utcnow(), last_read_seq=channel.last_seq
    )
    unit.session.add(membership)
    unit.emit(ev.MemberJoined(org_id=channel.org_id, channel_id=channel.id, user_id=user_id))
    unit.emit(
        ev.MembershipChanged(
            org_id=channel.org_id, user_id=user_id, channel_id=channel.id, kind=kind
        )
    )
    return membership


def create_system_channel(unit: Unit, org_id: uuid.UUID) -> Channel:
    """#general for a new org (part of the org's creation)."""
    channel = Channel(
        id=uuid.uuid4(),
        org_id=org_id,
        name=GENERAL,
        name_key=GENERAL,
        description="Everyone in the org",
        is_private=False,
        is_system=True,
        created_at=utcnow(),
        last_seq=0,
    )
    unit.session.add(channel)
    return channel


async def join_system_channels(unit: Unit, org_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """A new user joins every system channel of their org (part of creating the user)."""
    channels = await unit.session.scalars(
        select(Channel).where(Channel.org_id == org_id, Channel.is_system.is_(True))
    )
    for channel in channels:
        add_member(unit, channel, user_id)


async def create_channel(
    services: Services,
    viewer: Viewer,
    *,
    name: str,
    description: str = "",
    is_private: bool = False,
) -> Channel:
    require_user(viewer)
    assert viewer.org_id is not None and viewer.user_id is not None
    name = _clean_name(name)
    description = clean_text(description, "description", min_len=0, max_len=MAX_DESCRIPTION)
    try:
        async with unit_of_work(services, viewer) as unit:
            await _check_name_free(unit.session, viewer.org_id, name)
            channel = Channel(
                id=uuid.uuid4(),
                org_id=viewer.org_id,
                name=name,
                name_key=name_key(name),
                description=description,
                is_private=is_private,
                is_system=False,
                created_by=viewer.user_id,
                created_at=utcnow(),
                last_seq=0,
            )
            unit.session.add(channel)
            await unit.session.flush()
            add_member(unit, channel, viewer.user_id)
            unit.audit(
                viewer.org_id,
                "channel.create",
                "channel",
                channel.id,
                after=channel_snapshot(channel),
            )
            unit.emit(ev.ChannelCreated(org_id=viewer.org_id, channel_id=channel.id))
    except IntegrityError:
        raise _name_taken() from None  # a concurrent create took the name
    return channel


async def update_channel(
    services: Services,
    viewer: Viewer,
    channel_id: uuid.UUID,
    *,
    name: str | None = None,
    description: str | None = None,
    is_private: bool | None = None,
) -> Channel:
    try:
        async with unit_of_work(services, viewer) as unit:
            channel = await access_channel(unit.session, viewer, channel_id)
            _require_manager(viewer, channel)
            require_writable(channel)
            before = channel_snapshot(channel)
            if channel.is_system and (name is not None or is_private):
                raise ActionError(
                    ErrorCode.SYSTEM_CHANNEL, "#general cannot be renamed or made private"
                )
            if name is not None:
                name = _clean_name(name)
                await _check_name_free(unit.session, channel.org_id, name, except_id=channel.id)
                channel.name, channel.name_key = name, name_key(name)
            if description is not None:
                channel.description = clean_text(
                    description, "description", min_len=0, max_len=MAX_DESCRIPTION
                )
            if is_private is not None:
                channel.is_private = is_private
            after = channel_snapshot(channel)
            changes = sorted(key for key in after if after[key] != before[key])
            if changes:
                unit.audit(
                    channel.org_id,
                    "channel.update",
                    "channel",
                    channel.id,
                    before=before,
                    after=after,
                )
                unit.emit(
                    ev.ChannelUpdated(
                        org_id=channel.org_id, channel_id=channel.id, changes=tuple(changes)
                    )
                )
    except IntegrityError:
        raise _name_taken() from None
    return channel


async def archive_channel(services: Services, viewer: Viewer, channel_id: uuid.UUID) -> Channel:
    async with unit_of_work(services, viewer) as unit:
        channel = await access_channel(unit.session, viewer, channel_id)
        _require_manager(viewer, channel)
        if channel.is_system:
            raise ActionError(ErrorCode.SYSTEM_CHANNEL, "#general cannot be archived")
        if channel.archived_at is not None:
            return channel
        before = channel_snapshot(channel)
        channel.archived_at = utcnow()
        unit.audit(
            channel.org_id,
            "channel.archive",
            "channel",
            channel.id,
            before=before,
            after=channel_snapshot(channel),
        )
        unit.emit(ev.ChannelArchived(org_id=channel.org_id, channel_id=channel.id))
    return channel


async def join_channel(services: Services, viewer: Viewer, channel_id: uuid.UUID) -> Channel:
    """Join a public channel; joining again is a no-op. Private ones need an invitation."""
    async with unit_of_work(services, viewer) as unit:
        channel = await access_channel(unit.session, viewer, channel_id)
        if await get_membership(unit.session, channel.id, viewer.user_id) is not None:
            return channel
        require_writable(channel)
        add_member(unit, channel, viewer.user_id)  # type: ignore[arg-type]
        unit.audit(
            channel.org_id,
            "channel.join",
            "channel",
            channel.id,
            after={"user_id": str(viewer.user_id)},
        )
    return channel


async def leave_channel(services: Services, viewer: Viewer, channel_id: uuid.UUID) -> Channel:
    """Leave a channel; leaving one you are not in is a no-op. Nobody leaves #general."""
    async with unit_of_work(services, viewer) as unit:
        channel = await access_channel(unit.session, viewer, channel_id)
        if channel.is_system:
            raise ActionError(ErrorCode.SYSTEM_CHANNEL, "nobody leaves #general")
        membership = await get_membership(unit.session, channel.id, viewer.user_id)
        if membership is None:
            return channel
        await unit.session.delete(membership)
        unit.audit(
            channel.org_id,
            "channel.leave",
            "channel",
            channel.id,
            before={"user_id": str(viewer.user_id)},
        )
        user_id = membership.user_id
        unit.emit(ev.MemberLeft(org_id=channel.org_id, channel_id=channel.id, user_id=user_id))
        unit.emit(
            ev.MembershipChanged(
                org_id=channel.org_id,
                user_id=user_id,
                channel_id=channel.id,
                kind=ev.MembershipKind.LEFT,
            )
        )
    return channel


async def invite_to_channel(
    services: Services, viewer: Viewer, channel_id: uuid.UUID, user_id: uuid.UUID
) -> Channel:
    """A member adds another user of the org (the way into a private channel)."""
    async with unit_of_work(services, viewer) as unit:
        channel = await access_channel(unit.session, viewer, channel_id)
        await require_member(unit.session, viewer, channel)
        require_writable(channel)
        invitee = await access_user(unit.session, viewer, user_id)
        if not invitee.is_active:
            raise ActionError(ErrorCode.INVALID_INPUT, "user is deactivated", field="userId")
        if await get_membership(unit.session, channel.id, invitee.id) is not None:
            return channel
        add_member(unit, channel, invitee.id, ev.MembershipKind.INVITED)
        unit.audit(
            channel.org_id,
            "channel.invite",
            "channel",
            channel.id,
            after={"user_id": str(invitee.id)},
        )
    return channel


# Reads ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelFilter:
    joined: bool | None = None
    include_archived: bool = False
    name_contains: str | None = None


async def list_channels(
    session: AsyncSession,
    viewer: Viewer,
    *,
    limit: int,
    after: tuple[str, uuid.UUID] | None,
    filter: ChannelFilter,
) -> tuple[list[Channel], bool]:
    """Visible channels ordered by (name_key, id); one page and whether more exist."""
    require_user(viewer)
    query = select(Channel).where(readable_channels_sql(viewer))
    if not filter.include_archived:
        query = query.where(Channel.archived_at.is_(None))
    if filter.joined is not None:
        member = select(Membership.channel_id).where(Membership.user_id == viewer.user_id)
        query = query.where(Channel.id.in_(member) if filter.joined else Channel.id.not_in(member))
    if filter.name_contains and filter.name_contains.strip():
        needle = filter.name_contains.strip().casefold()
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Channel.name_key.like(f"%{escaped}%", escape="\\"))
    if after is not None:
        key, last_id = after
        query = query.where(
            or_(Channel.name_key > key, and_(Channel.name_key == key, Channel.id > last_id))
        )
    rows = list(
        await session.scalars(query.order_by(Channel.name_key, Channel.id).limit(limit + 1))
    )
    return rows[:limit], len(rows) > limit


async def list_members(
    session: AsyncSession,
    channel: Channel,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> tuple[list[tuple[User, datetime]], bool]:
    """Members in the order they joined, with when; keyset on (joined_at, user id)."""
    query = (
        select(User, Membership.joined_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.channel_id == channel.id)
    )
    if after is not None:
        joined_at, last_id = after
        query = query.where(
            or_(
                Membership.joined_at > joined_at,
                and_(Membership.joined_at == joined_at, User.id > last_id),
            )
        )
    rows = await session.execute(query.order_by(Membership.joined_at, User.id).limit(limit + 1))
    members = [(user, joined_at) for user, joined_at in rows]
    return members[:limit], len(members) > limit
