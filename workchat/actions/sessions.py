"""Login, refresh-token rotation and logout.

Refresh tokens are opaque and stored hashed. Each login starts a family; every refresh
revokes the presented token and issues its replacement in the same family. Presenting a
token that was already rotated means it leaked: the whole family is revoked — except within
a short grace (``refresh_reuse_grace_seconds``) after its rotation while its replacement is
still unused, which is what two tabs refreshing the same token at once look like: the late
one gets a fresh pair of the same family (ADR 0017).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from workchat.access import require_user
from workchat.actions.unit import Unit, unit_of_work
from workchat.auth.jwt import issue_access_token
from workchat.auth.secrets import REFRESH_PREFIX, new_token, token_hash
from workchat.auth.viewer import Viewer
from workchat.db.base import utcnow
from workchat.db.models import Org, RefreshToken, User
from workchat.errors import ActionError, ErrorCode
from workchat.events import catalogue as ev
from workchat.ratelimit import account_key
from workchat.services import Services


@dataclass(frozen=True, slots=True)
class IssuedSession:
    user: User
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime


def _invalid_credentials() -> ActionError:
    # One message for every case: it must not tell which part was wrong.
    return ActionError(
        ErrorCode.INVALID_CREDENTIALS,
        "email or password is wrong (with accounts in several orgs, also give the org)",
    )


def _invalid_token() -> ActionError:
    return ActionError(
        ErrorCode.INVALID_TOKEN, "refresh token is invalid or expired", field="refreshToken"
    )


def _issue(
    unit: Unit, services: Services, user: User, family_id: uuid.UUID
) -> tuple[RefreshToken, IssuedSession]:
    settings = services.settings
    secret = new_token(REFRESH_PREFIX)
    row = RefreshToken(
        id=uuid.uuid4(),
        user_id=user.id,
        family_id=family_id,
        token_hash=token_hash(secret),
        issued_at=utcnow(),
        expires_at=utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds),
    )
    unit.session.add(row)
    access, access_expires = issue_access_token(
        settings, user_id=user.id, org_id=user.org_id, session_id=family_id
    )
    return row, IssuedSession(user, access, access_expires, secret, row.expires_at)


def _audited_failure(count: int) -> bool:
    """1, 10, 100, ...: the first failure in the window and each tenfold of it."""
    while count % 10 == 0:
        count //= 10
    return count == 1


async def _account_for_login(services: Services, email: str, org_slug: str | None) -> User | None:
    """The one account a login names, or None. Without an org the address must belong to
    exactly one account: an address in several orgs logs in only with its org."""
    query = select(User).where(User.email == email)
    if org_slug is not None:
        query = query.join(Org, Org.id == User.org_id).where(Org.slug == org_slug.strip().lower())
    async with services.db.read_session() as session:
        accounts = list((await session.scalars(query.limit(2))).all())
    return accounts[0] if len(accounts) == 1 else None


async def login(
    services: Services,
    viewer: Viewer,
    email: str,
    password: str,
    *,
    org_slug: str | None = None,
) -> IssuedSession:
    """Exchange e-mail and password (and optionally the org's slug) for a session.

    Every refusal is the same INVALID_CREDENTIALS after exactly one password verification
    (against a dummy hash when no single account matches), so neither the answer nor its
    cost tells whether, or in which orgs, an address exists (ADR 0016).
    """
    email = email.strip().lower()
    user = await _account_for_login(services, email, org_slug)
    ok = await services.passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        # Audited (never with the attempted password), then refused. Anyone can fail a
        # login, so only the first failure of an account per window is written (then the
        # 10th, 100th, ... with the count): the audit log cannot be grown at will.
        # Unknown e-mails are counted too, so both paths take the same time.
        failures = await services.ratelimit.count_failed_login(account_key(email, org_slug))
        if user is not None and _audited_failure(failures):
            async with unit_of_work(services, viewer, requires_write=False) as unit:
                reason = "inactive" if ok else "bad_password"
                unit.audit(
                    user.org_id,
                    "auth.login_failed",
                    "user",
                    user.id,
                    after={"email": email, "reason": reason, "failures_in_window": failures},
                )
        raise _invalid_credentials()
    async with unit_of_work(services, viewer, requires_write=False) as unit:
        family_id = uuid.uuid4()
        _row, issued = _issue(unit, services, user, family_id)
        await unit.session.flush()
        unit.audit(user.org_id, "auth.login", "user", user.id, after={"session_id": str(family_id)})
    return issued


async def _revoke_family(unit: Unit, family_id: uuid.UUID) -> None:
    await unit.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def _within_grace(unit: Unit, services: Services, row: RefreshToken) -> bool:
    """Whether a revoked ``row`` is the immediately previous token of its family, presented
    again within the grace: rotated (not logged out) recently, and its replacement unused."""
    grace = timedelta(seconds=services.settings.refresh_reuse_grace_seconds)
    if row.replaced_by is None or row.revoked_at is None or utcnow() - row.revoked_at > grace:
        return False
    replacement = await unit.session.get(RefreshToken, row.replaced_by)
    return replacement is not None and replacement.revoked_at is None


async def refresh(services: Services, viewer: Viewer, refresh_token: str) -> IssuedSession:
    reused = False
    async with unit_of_work(services, viewer, requires_write=False) as unit:
        row = await unit.session.scalar(
            select(RefreshToken)
            .where(RefreshToken.token_hash == token_hash(refresh_token))
            .with_for_update()
        )
        if row is None or row.expires_at <= utcnow():
            raise _invalid_token()
        user = await unit.session.get(User, row.user_id)
        if user is None or not user.is_active:
            raise _invalid_token()
        if row.revoked_at is not None and await _within_grace(unit, services, row):
            # The concurrent twin of the refresh that rotated it: a sibling of its replacement.
            _sibling, issued = _issue(unit, services, user, row.family_id)
            await unit.session.flush()
            unit.audit(
                user.org_id,
                "auth.refresh",
                "session",
                row.family_id,
                after={"reuse_within_grace": True},
            )
        elif row.revoked_at is not None:
            if row.replaced_by is None:
                raise _invalid_token()  # logged out or revoked: nothing more to do
            # A rotated token came back: someone holds a copy. End the whole session.
            await _revoke_family(unit, row.family_id)
            unit.audit(
                user.org_id,
                "auth.refresh_reuse",
                "session",
                row.family_id,
                after={"user_id": str(user.id)},
            )
            unit.emit(
                ev.SessionRevoked(org_id=user.org_id, user_id=user.id, session_id=row.family_id)
            )
            reused = True
        else:
            new_row, issued = _issue(unit, services, user, row.family_id)
            await unit.session.flush()
            row.revoked_at = utcnow()
            row.replaced_by = new_row.id
            unit.audit(user.org_id, "auth.refresh", "session", row.family_id)
    if reused:
        raise _invalid_token()
    return issued


async def logout(
    services: Services,
    viewer: Viewer,
    *,
    refresh_token: str | None = None,
    all_sessions: bool = False,
) -> int:
    """End the viewer's current session (or all of them); returns how many were ended."""
    user_id = require_user(viewer)
    assert viewer.org_id is not None
    async with unit_of_work(services, viewer, requires_write=False) as unit:
        query = select(RefreshToken.family_id).where(
            RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
        )
        if not all_sessions:
            families: set[uuid.UUID] = set()
            if viewer.session_id is not None:
                families.add(viewer.session_id)
            if refresh_token:
                presented = await unit.session.scalar(
                    select(RefreshToken.family_id).where(
                        RefreshToken.token_hash == token_hash(refresh_token),
                        RefreshToken.user_id == user_id,
                    )
                )
                if presented is not None:
                    families.add(presented)
            query = query.where(RefreshToken.family_id.in_(families))
        ended = sorted(set((await unit.session.scalars(query)).all()))
        for family_id in ended:
            await _revoke_family(unit, family_id)
        unit.audit(
            viewer.org_id,
            "auth.logout",
            "user",
            user_id,
            after={"sessions_ended": [str(f) for f in ended]},
        )
        for family_id in ended:
            unit.emit(
                ev.SessionRevoked(org_id=viewer.org_id, user_id=user_id, session_id=family_id)
            )
    return len(ended)
