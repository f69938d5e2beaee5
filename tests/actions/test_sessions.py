"""Login, refresh rotation with reuse detection, and logout."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.auth import outlive_refresh_grace
from tests.support.db import audit_entries, events, snapshot
from tests.support.personas import Personas
from tests.support.settings import PASSWORD
from workchat.actions.sessions import login, logout, refresh
from workchat.auth.authenticate import AuthenticationFailed, authenticate
from workchat.auth.jwt import decode_access_token
from workchat.auth.viewer import anonymous
from workchat.db.models import RefreshToken
from workchat.errors import ActionError, ErrorCode
from workchat.services import Services


async def test_login_issues_tokens_and_audits(services: Services, personas: Personas) -> None:
    issued = await login(services, anonymous(), "  ALICE@example.com ", PASSWORD)
    claims = decode_access_token(services.settings, issued.access_token)
    assert (claims.user_id, claims.org_id) == (personas.alice.id, personas.alice.org_id)
    async with services.db.read_session() as session:
        row = await session.scalar(
            select(RefreshToken).where(RefreshToken.user_id == personas.alice.id)
        )
    assert row is not None and row.family_id == claims.session_id
    assert issued.refresh_token not in row.token_hash  # stored hashed
    entry = (await audit_entries(services, personas.alice.org_id))[-1]
    assert (entry.action, entry.target_id) == ("auth.login", str(personas.alice.id))


async def test_failed_login_is_audited_without_the_password(
    services: Services, personas: Personas
) -> None:
    with pytest.raises(ActionError) as caught:
        await login(services, anonymous(), personas.bob.email, "wrong password!")
    assert caught.value.code is ErrorCode.INVALID_CREDENTIALS
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert entry.action == "auth.login_failed"
    assert entry.diff["after"] == {
        "email": personas.bob.email,
        "reason": "bad_password",
        "failures_in_window": 1,
    }
    assert "wrong password" not in str(entry.diff)
    assert await _refresh_rows(services) == 0


async def test_unknown_email_writes_nothing(services: Services, personas: Personas) -> None:
    before = await snapshot(services)
    with pytest.raises(ActionError) as caught:
        await login(services, anonymous(), "nobody@example.com", PASSWORD)
    assert caught.value.code is ErrorCode.INVALID_CREDENTIALS
    assert await snapshot(services) == before


async def _refresh_rows(services: Services) -> int:
    async with services.db.read_session() as session:
        return len(list(await session.scalars(select(RefreshToken))))


async def test_refresh_rotates(services: Services, personas: Personas) -> None:
    first = await login(services, anonymous(), personas.alice.email, PASSWORD)
    second = await refresh(services, anonymous(), first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert (
        decode_access_token(services.settings, second.access_token).session_id
        == decode_access_token(services.settings, first.access_token).session_id
    )
    with pytest.raises(ActionError) as caught:  # the old one is spent...
        await refresh(services, anonymous(), "wcr_not-a-token")
    assert caught.value.code is ErrorCode.INVALID_TOKEN
    third = await refresh(services, anonymous(), second.refresh_token)  # ...the new one works
    assert third.user.id == personas.alice.id
    assert (await audit_entries(services, personas.alice.org_id))[-1].action == "auth.refresh"


async def test_reuse_of_a_rotated_token_revokes_the_family(
    services: Services, personas: Personas
) -> None:
    first = await login(services, anonymous(), personas.alice.email, PASSWORD)
    second = await refresh(services, anonymous(), first.refresh_token)
    await outlive_refresh_grace(services)
    with pytest.raises(ActionError) as caught:
        await refresh(services, anonymous(), first.refresh_token)  # replay: stolen copy
    assert caught.value.code is ErrorCode.INVALID_TOKEN
    with pytest.raises(ActionError):
        await refresh(services, anonymous(), second.refresh_token)  # the legitimate one too
    with pytest.raises(AuthenticationFailed):
        await authenticate(services.db, services.settings, second.access_token)
    actions = [e.action for e in await audit_entries(services, personas.alice.org_id)]
    assert actions[-1] == "auth.refresh_reuse"
    event = (await events(services, personas.alice.org_id))[-1]
    assert (event.type, event.user_id) == ("session.revoked", personas.alice.id)


async def test_logout_ends_the_session(services: Services, personas: Personas) -> None:
    issued = await login(services, anonymous(), personas.bob.email, PASSWORD)
    other = await login(services, anonymous(), personas.bob.email, PASSWORD)
    viewer = await authenticate(services.db, services.settings, issued.access_token)
    assert await logout(services, viewer) == 1
    with pytest.raises(AuthenticationFailed):
        await authenticate(services.db, services.settings, issued.access_token)
    with pytest.raises(ActionError) as caught:
        await refresh(services, anonymous(), issued.refresh_token)
    assert caught.value.code is ErrorCode.INVALID_TOKEN
    # The other session lives on until logout(all_sessions=True).
    other_viewer = await authenticate(services.db, services.settings, other.access_token)
    assert await logout(services, other_viewer, all_sessions=True) == 1
    with pytest.raises(AuthenticationFailed):
        await authenticate(services.db, services.settings, other.access_token)
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert entry.action == "auth.logout"


async def test_expired_refresh_token_is_refused(services: Services, personas: Personas) -> None:
    from dataclasses import replace

    services.settings = replace(services.settings, refresh_token_ttl_seconds=-1)
    issued = await login(services, anonymous(), personas.alice.email, PASSWORD)
    with pytest.raises(ActionError) as caught:
        await refresh(services, anonymous(), issued.refresh_token)
    assert caught.value.code is ErrorCode.INVALID_TOKEN
