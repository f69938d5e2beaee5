"""The refresh-token reuse grace (docs/adr/0017-refresh-reuse-grace.md): two tabs refreshing
the same token at once both keep the session; a token presented again after the grace, or an
older token of the family, is still theft and ends the session, audited.

The concurrent calls go through two ``Services`` (two engines, as two server processes):
on PostgreSQL the two refreshes really run at once and meet at the row lock.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sqlalchemy import select

from tests.support.auth import outlive_refresh_grace
from tests.support.db import audit_entries, count_rows, events
from tests.support.personas import Personas
from tests.support.settings import PASSWORD
from workchat.actions.sessions import IssuedSession, login, refresh
from workchat.auth.authenticate import AuthenticationFailed, authenticate
from workchat.auth.jwt import decode_access_token
from workchat.auth.viewer import anonymous
from workchat.db.models import RefreshToken
from workchat.errors import ActionError, ErrorCode
from workchat.services import Services
from workchat.settings import Settings


async def _audit(services: Services, personas: Personas) -> list[str]:
    return [e.action for e in await audit_entries(services, personas.alice.org_id)]


async def _revoked_events(services: Services, personas: Personas) -> int:
    return sum(e.type == "session.revoked" for e in await events(services, personas.alice.org_id))


async def _live(services: Services, issued: IssuedSession) -> None:
    viewer = await authenticate(services.db, services.settings, issued.access_token)
    assert viewer.user_id == issued.user.id


async def test_concurrent_double_refresh_keeps_the_session(
    services: Services, second_services: Services, personas: Personas
) -> None:
    """Two tabs refresh the same token at once: both get a working pair of the same session,
    nothing is revoked, both audited as auth.refresh (one marked as a reuse within grace),
    and each new refresh token rotates normally afterwards."""
    first = await login(services, anonymous(), personas.alice.email, PASSWORD)
    sid = decode_access_token(services.settings, first.access_token).session_id
    audited = len(await _audit(services, personas))

    tab1, tab2 = await asyncio.gather(
        refresh(services, anonymous(), first.refresh_token),
        refresh(second_services, anonymous(), first.refresh_token),
    )

    assert tab1.refresh_token != tab2.refresh_token
    for tab in (tab1, tab2):
        assert decode_access_token(services.settings, tab.access_token).session_id == sid
        await _live(services, tab)
    assert await _revoked_events(services, personas) == 0
    new = (await audit_entries(services, personas.alice.org_id))[audited:]
    assert [e.action for e in new] == ["auth.refresh", "auth.refresh"]
    marked = [e for e in new if (e.diff or {}).get("after") == {"reuse_within_grace": True}]
    assert len(marked) == 1
    for tab in (tab1, tab2):
        await _live(services, await refresh(services, anonymous(), tab.refresh_token))


async def test_reuse_after_the_grace_revokes_the_family(
    services: Services, personas: Personas
) -> None:
    """The previous token presented after the grace: INVALID_TOKEN, the whole family
    (including its unused replacement) revoked, auth.refresh_reuse and SessionRevoked."""
    first = await login(services, anonymous(), personas.alice.email, PASSWORD)
    current = await refresh(services, anonymous(), first.refresh_token)
    await outlive_refresh_grace(services)

    with pytest.raises(ActionError) as caught:
        await refresh(services, anonymous(), first.refresh_token)
    assert caught.value.code is ErrorCode.INVALID_TOKEN
    await _assert_family_revoked(services, personas, current)


async def test_reuse_of_an_older_token_within_the_grace_revokes_the_family(
    services: Services, personas: Personas
) -> None:
    """Only the immediately previous token has the grace: once its replacement was used,
    presenting it (however soon) is theft."""
    first = await login(services, anonymous(), personas.alice.email, PASSWORD)
    middle = await refresh(services, anonymous(), first.refresh_token)
    current = await refresh(services, anonymous(), middle.refresh_token)

    with pytest.raises(ActionError) as caught:
        await refresh(services, anonymous(), first.refresh_token)
    assert caught.value.code is ErrorCode.INVALID_TOKEN
    await _assert_family_revoked(services, personas, current)


async def test_zero_grace_turns_it_off(settings: Settings, personas: Personas) -> None:
    """With WORKCHAT_REFRESH_REUSE_GRACE_SECONDS=0 an immediate replay is theft."""
    strict = Services.create(replace(settings, refresh_reuse_grace_seconds=0))
    await strict.start()
    try:
        first = await login(strict, anonymous(), personas.alice.email, PASSWORD)
        current = await refresh(strict, anonymous(), first.refresh_token)
        with pytest.raises(ActionError):
            await refresh(strict, anonymous(), first.refresh_token)
        await _assert_family_revoked(strict, personas, current)
    finally:
        await strict.close()


async def _assert_family_revoked(
    services: Services, personas: Personas, current: IssuedSession
) -> None:
    with pytest.raises(AuthenticationFailed):
        await authenticate(services.db, services.settings, current.access_token)
    with pytest.raises(ActionError):
        await refresh(services, anonymous(), current.refresh_token)
    sid = decode_access_token(services.settings, current.access_token).session_id
    async with services.db.read_session() as session:
        unrevoked = await session.scalars(
            select(RefreshToken.id).where(
                RefreshToken.family_id == sid, RefreshToken.revoked_at.is_(None)
            )
        )
        assert list(unrevoked) == []
    assert (await _audit(services, personas)).count("auth.refresh_reuse") == 1
    assert await _revoked_events(services, personas) == 1
    assert await count_rows(services, RefreshToken, family_id=sid) >= 2
