"""Who may see what: each visibility rule lives here, once.

Per kind of object there is one pure predicate on rows already loaded (``can_read_*``: the
GraphQL loaders use it, and so can code that has no session, such as event delivery), its SQL
form where lists are filtered in the database (``readable_*_sql``), and the ``access_*``
fetchers for actions, which load the row or raise NOT_FOUND. Another org's object is
indistinguishable from a missing one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.auth.viewer import Viewer
from workchat.db.models import ApiToken, Channel, Membership, Message, User
from workchat.errors import Forbidden, Unauthenticated, not_found

# --- the viewer ------------------------------------------------------------------------------


def require_user(viewer: Viewer) -> uuid.UUID:
    if viewer.user_id is None or viewer.org_id is None:
        raise Unauthenticated("authentication required")
    return viewer.user_id


def require_admin(viewer: Viewer) -> None:
    """Admins of their org (with an admin-scoped credential), or the operator at the CLI."""
    if viewer.user_id is None and viewer.via == "cli" and viewer.is_admin:
        return
    require_user(viewer)
    if not viewer.is_admin:
        raise Forbidden("only an admin may do this")


def _is_operator(viewer: Viewer) -> bool:
    """The command line acts without a user, on behalf of whoever runs the server."""
    return viewer.user_id is None and viewer.via == "cli"


# --- orgs ------------------------------------------------------------------------------------


def can_read_org(viewer: Viewer, org_id: uuid.UUID) -> bool:
    """Users see their own org; the operator at the CLI sees every org."""
    return _is_operator(viewer) or viewer.org_id == org_id


# --- users -----------------------------------------------------------------------------------


def can_read_user(viewer: Viewer, user: User) -> bool:
    return can_read_org(viewer, user.org_id)


def readable_users_sql(viewer: Viewer) -> ColumnElement[bool]:
    """SQL form of ``can_read_user``."""
    if _is_operator(viewer):
        return true()
    return User.org_id == viewer.org_id


async def access_user(
    session: AsyncSession, viewer: Viewer, user_id: uuid.UUID, *, for_update: bool = False
) -> User:
    user = await session.get(User, user_id, with_for_update=for_update)
    if user is None or not can_read_user(viewer, user):
        raise not_found("user", field="userId")
    return user


# --- API tokens ------------------------------------------------------------------------------


def can_read_api_token(viewer: Viewer, token: ApiToken, owner: User | None) -> bool:
    """Tokens are an admin's business: admins see those of their org's users."""
    return (
        viewer.is_admin
        and owner is not None
        and owner.id == token.user_id
        and can_read_user(viewer, owner)
    )


async def access_api_token(session: AsyncSession, viewer: Viewer, token_id: uuid.UUID) -> ApiToken:
    token = await session.get(ApiToken, token_id)
    owner = await session.get(User, token.user_id) if token else None
    if token is None or not can_read_api_token(viewer, token, owner):
        raise not_found("API token", field="tokenId")
    return token


# --- channels --------------------------------------------------------------------------------


def can_read_channel(viewer: Viewer, channel: Channel, *, is_member: bool) -> bool:
    """A user reads their org's public channels, and the private ones they are a member of."""
    return (
        viewer.user_id is not None
        and viewer.org_id == channel.org_id
        and (is_member or not channel.is_private)
    )


def membership_matters(channel: Channel) -> bool:
    """Whether ``can_read_channel`` depends on membership: callers skip the lookup if not."""
    return channel.is_private


def readable_channels_sql(viewer: Viewer) -> ColumnElement[bool]:
    """SQL form of ``can_read_channel``, a condition on ``Channel``."""
    if viewer.user_id is None or viewer.org_id is None:
        return false()
    member = select(Membership.channel_id).where(Membership.user_id == viewer.user_id)
    return and_(
        Channel.org_id == viewer.org_id,
        or_(Channel.is_private.is_(False), Channel.id.in_(member)),
    )


async def get_membership(
    session: AsyncSession, channel_id: uuid.UUID, user_id: uuid.UUID | None
) -> Membership | None:
    if user_id is None:
        return None
    return await session.get(Membership, (channel_id, user_id))


async def _is_member(session: AsyncSession, viewer: Viewer, channel: Channel) -> bool:
    """Membership for ``can_read_channel``, looked up only where it decides."""
    return membership_matters(channel) and (
        await get_membership(session, channel.id, viewer.user_id) is not None
    )


def _hold(session: AsyncSession, *rows: object) -> None:
    """Keep preloaded rows alive as long as the session: its identity map holds them only
    weakly, and the checks that follow look them up there instead of asking again."""
    session.info.setdefault("workchat.preloaded", []).extend(row for row in rows if row)


_CHANNEL_AND_MEMBERSHIP = (
    select(Channel, Membership)
    .outerjoin(
        Membership,
        and_(Membership.channel_id == Channel.id, Membership.user_id == bindparam("user_id")),
    )
    .where(Channel.id == bindparam("channel_id"))
)
# The statement with each ``also`` its callers pass (module-level subqueries, so few): built
# once each, like the one above.
_CHANNEL_AND_MEMBERSHIP_AND: dict[ScalarSelect[Any], Any] = {}


async def preload_channel_and_membership(
    session: AsyncSession,
    viewer: Viewer,
    channel_id: uuid.UUID,
    *,
    also: ScalarSelect[Any] | None = None,
    params: Mapping[str, Any] | None = None,
) -> Any:
    """Load the channel and the viewer's membership of it in one statement, into the
    session (the post hot path): the ``access_channel`` and membership checks that follow
    find both there instead of asking the database twice. The checks still decide; this
    only loads. ``also``, a scalar subquery (with its ``params``), rides along in the same
    statement: its value is returned (None without a user or a channel)."""
    if viewer.user_id is None:
        return None
    query: Any = _CHANNEL_AND_MEMBERSHIP
    if also is not None:
        if also not in _CHANNEL_AND_MEMBERSHIP_AND:
            _CHANNEL_AND_MEMBERSHIP_AND[also] = _CHANNEL_AND_MEMBERSHIP.add_columns(also)
        query = _CHANNEL_AND_MEMBERSHIP_AND[also]
    values = {"channel_id": channel_id, "user_id": viewer.user_id, **(params or {})}
    row = (await session.execute(query, values)).first()
    if row is None:
        return None
    _hold(session, row[0], row[1])
    return row[2] if also is not None else None


async def access_channel(
    session: AsyncSession, viewer: Viewer, channel_id: uuid.UUID, *, field: str = "channelId"
) -> Channel:
    """The channel if the viewer may see it; NOT_FOUND otherwise (other org, private)."""
    require_user(viewer)
    channel = await session.get(Channel, channel_id)
    if channel is None or not can_read_channel(
        viewer, channel, is_member=await _is_member(session, viewer, channel)
    ):
        raise not_found("channel", field=field)
    return channel


# --- messages --------------------------------------------------------------------------------


def can_read_message(
    viewer: Viewer, message: Message, channel: Channel, *, is_member: bool
) -> bool:
    """A message is as readable as its channel (``is_member``: of that channel)."""
    return message.channel_id == channel.id and can_read_channel(
        viewer, channel, is_member=is_member
    )


def _message_context(*, for_update: bool) -> Select[Message, Channel, Membership]:
    query = (
        select(Message, Channel, Membership)
        .join(Channel, Channel.id == Message.channel_id)
        .outerjoin(
            Membership,
            and_(Membership.channel_id == Channel.id, Membership.user_id == bindparam("user_id")),
        )
        .where(Message.id == bindparam("message_id"))
    )
    if for_update:
        # As Session.get(with_for_update=True): lock the message row, and refresh it if the
        # session had loaded it before.
        return query.with_for_update(of=Message).execution_options(populate_existing=True)
    return query


# Built once each: their cache keys are computed once, not per action.
_MESSAGE_CONTEXT = {flag: _message_context(for_update=flag) for flag in (False, True)}


async def access_message(
    session: AsyncSession,
    viewer: Viewer,
    message_id: uuid.UUID,
    *,
    field: str = "messageId",
    for_update: bool = False,
) -> tuple[Message, Channel]:
    """The message and its channel if the viewer may read them; NOT_FOUND otherwise. One
    statement loads both and the viewer's membership of the channel (kept in the session
    for the membership checks that follow)."""
    user_id = require_user(viewer)
    params = {"message_id": message_id, "user_id": user_id}
    row = (await session.execute(_MESSAGE_CONTEXT[for_update], params)).first()
    if row is None:
        raise not_found("message", field=field)
    message, channel, membership = row
    _hold(session, membership)
    is_member = membership_matters(channel) and membership is not None
    if not can_read_message(viewer, message, channel, is_member=is_member):
        raise not_found("message", field=field)
    return message, channel
