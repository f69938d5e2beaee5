"""User actions: create, change role, deactivate (which also ends every session and token)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.access import access_user, can_read_org, readable_users_sql, require_admin
from workchat.actions.channels import join_system_channels
from workchat.actions.mentions import mention_key
from workchat.actions.unit import Unit, unit_of_work
from workchat.actions.validation import check_password, check_role, clean_email, clean_text
from workchat.audit import lock_org_chain
from workchat.auth.viewer import Viewer
from workchat.db.base import utcnow
from workchat.db.models import ApiToken, Org, RefreshToken, User
from workchat.errors import ActionError, ErrorCode, not_found
from workchat.events import catalogue as ev
from workchat.services import Services


def user_snapshot(user: User) -> dict[str, Any]:
    """The audited view of a user; never the password hash."""
    return {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "is_active": user.is_active,
    }


@dataclass(frozen=True, slots=True)
class NewUser:
    """A user's validated details, password already hashed (hashing is slow: do it before
    the transaction)."""

    email: str
    display_name: str
    role: str
    password_hash: str


async def prepare_user(
    services: Services, *, email: str, display_name: str, password: str, role: str = "member"
) -> NewUser:
    return NewUser(
        email=clean_email(email),
        display_name=clean_text(display_name, "displayName", max_len=80),
        role=check_role(role),
        password_hash=await services.passwords.hash(check_password(password)),
    )


def _email_taken() -> ActionError:
    return ActionError(ErrorCode.EMAIL_TAKEN, "this email is in use", field="email")


async def insert_user(unit: Unit, org_id: uuid.UUID, new: NewUser) -> User:
    """Add a user to an org inside an action's transaction: row, #general, audit, event."""
    # Per org: an address used in another org is not this org's business (ADR 0016).
    taken = select(User.id).where(User.org_id == org_id, User.email == new.email)
    if await unit.session.scalar(taken):
        raise _email_taken()
    user = User(
        org_id=org_id,
        email=new.email,
        display_name=new.display_name,
        mention_key=mention_key(new.display_name),
        role=new.role,
        password_hash=new.password_hash,
        is_active=True,
    )
    unit.session.add(user)
    await unit.session.flush()
    await join_system_channels(unit, org_id, user.id)  # everyone is in #general
    unit.audit(org_id, "user.create", "user", user.id, after=user_snapshot(user))
    unit.emit(ev.UserCreated(org_id=org_id, user_id=user.id))
    return user


async def create_user(
    services: Services,
    viewer: Viewer,
    *,
    org_id: uuid.UUID,
    email: str,
    display_name: str,
    password: str,
    role: str = "member",
) -> User:
    require_admin(viewer)
    if not can_read_org(viewer, org_id):
        raise not_found("org", field="orgId")
    new = await prepare_user(
        services, email=email, display_name=display_name, password=password, role=role
    )
    try:
        async with unit_of_work(services, viewer) as unit:
            if await unit.session.get(Org, org_id) is None:
                raise not_found("org", field="orgId")
            user = await insert_user(unit, org_id, new)
    except IntegrityError:
        # A concurrent request took the email between our check and the insert.
        raise _email_taken() from None
    return user


async def _active_admins(session: AsyncSession, org_id: uuid.UUID) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.org_id == org_id, User.role == "admin", User.is_active.is_(True))
        )
        or 0
    )


async def update_user_role(
    services: Services, viewer: Viewer, user_id: uuid.UUID, role: str
) -> User:
    require_admin(viewer)
    role = check_role(role)
    async with unit_of_work(services, viewer) as unit:
        user = await access_user(unit.session, viewer, user_id, for_update=True)
        if user.role == role:
            return user
        await lock_org_chain(unit.session, user.org_id)  # serializes last-admin checks
        if (
            user.role == "admin"
            and user.is_active
            and await _active_admins(unit.session, user.org_id) <= 1
        ):
            raise ActionError(ErrorCode.LAST_ADMIN, "an org needs at least one admin")
        before = user_snapshot(user)
        user.role = role
        unit.audit(
            user.org_id,
            "user.role_change",
            "user",
            user.id,
            before=before,
            after=user_snapshot(user),
        )
        unit.emit(ev.UserUpdated(org_id=user.org_id, user_id=user.id, role=role))
    return user


async def revoke_all_credentials(session: AsyncSession, user_id: uuid.UUID) -> None:
    """End every refresh-token family and API token of a user (part of a larger action)."""
    now = utcnow()
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def deactivate_user(services: Services, viewer: Viewer, user_id: uuid.UUID) -> User:
    require_admin(viewer)
    async with unit_of_work(services, viewer) as unit:
        user = await access_user(unit.session, viewer, user_id, for_update=True)
        if not user.is_active:
            return user
        await lock_org_chain(unit.session, user.org_id)
        if user.role == "admin" and await _active_admins(unit.session, user.org_id) <= 1:
            raise ActionError(ErrorCode.LAST_ADMIN, "an org needs at least one active admin")
        before = user_snapshot(user)
        user.is_active = False
        await revoke_all_credentials(unit.session, user.id)
        unit.audit(
            user.org_id,
            "user.deactivate",
            "user",
            user.id,
            before=before,
            after=user_snapshot(user),
        )
        unit.emit(ev.UserDeactivated(org_id=user.org_id, user_id=user.id))
    return user


async def list_users(
    session: AsyncSession,
    viewer: Viewer,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    query: str | None = None,
) -> tuple[list[User], bool]:
    """The viewer's org's users by (created_at, id); returns one page and whether more exist."""
    stmt = select(User).where(readable_users_sql(viewer))
    if query and query.strip():
        pattern = (
            "%"
            + query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        stmt = stmt.where(
            func.lower(User.display_name).like(pattern, escape="\\")
            | User.email.like(pattern, escape="\\")
        )
    if after is not None:
        created_at, last_id = after
        stmt = stmt.where(
            (User.created_at > created_at) | ((User.created_at == created_at) & (User.id > last_id))
        )
    rows = list(await session.scalars(stmt.order_by(User.created_at, User.id).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


async def count_users(session: AsyncSession, viewer: Viewer) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(User).where(readable_users_sql(viewer))
        )
        or 0
    )
