"""User actions: create, change role, deactivate — each with one audit entry and its event."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.db import audit_entries, events, snapshot, typed
from tests.support.personas import Personas, as_user
from tests.support.settings import PASSWORD
from workchat.actions.sessions import login
from workchat.actions.tokens import create_api_token
from workchat.actions.users import create_user, deactivate_user, update_user_role
from workchat.auth.viewer import anonymous
from workchat.db.models import ApiToken, RefreshToken, User
from workchat.errors import ActionError, ErrorCode, Forbidden
from workchat.events import catalogue as ev
from workchat.services import Services


async def test_create_user(services: Services, personas: Personas) -> None:
    alice = personas.alice
    before_audit = len(await audit_entries(services, alice.org_id))
    user = await create_user(
        services,
        as_user(alice),
        org_id=alice.org_id,
        email=" Carol@Example.COM ",
        display_name=" Carol ",
        password=PASSWORD,
    )
    assert (user.email, user.display_name, user.role, user.is_active) == (
        "carol@example.com",
        "Carol",
        "member",
        True,
    )
    assert user.password_hash and PASSWORD not in user.password_hash
    entries = await audit_entries(services, alice.org_id)
    assert len(entries) == before_audit + 1
    entry = entries[-1]
    assert (entry.action, entry.actor_id, entry.target_id, entry.request_id) == (
        "user.create",
        alice.id,
        str(user.id),
        "req-1",
    )
    assert entry.diff["after"] == {
        "email": "carol@example.com",
        "display_name": "Carol",
        "role": "member",
        "is_active": True,
    }
    assert "password" not in str(entry.diff)
    event = (await events(services, alice.org_id))[-1]
    assert typed(event) == ev.UserCreated(org_id=alice.org_id, user_id=user.id)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"email": "ALICE@example.com"}, ErrorCode.EMAIL_TAKEN, "email"),
        ({"email": "not-an-email"}, ErrorCode.INVALID_INPUT, "email"),
        # The text rule holds without GraphQL too (the CLI): NUL was stored on SQLite.
        ({"email": "nul\x00@example.com"}, ErrorCode.INVALID_INPUT, "email"),
        ({"email": "rtl\u202e@example.com"}, ErrorCode.INVALID_INPUT, "email"),
        ({"display_name": "Bob\u200b"}, ErrorCode.INVALID_INPUT, "displayName"),
        ({"display_name": "  "}, ErrorCode.INVALID_INPUT, "displayName"),
        ({"display_name": "x" * 81}, ErrorCode.INVALID_INPUT, "displayName"),
        ({"password": "short"}, ErrorCode.INVALID_INPUT, "password"),
        ({"role": "owner"}, ErrorCode.INVALID_INPUT, "role"),
    ],
)
async def test_create_user_failures_change_nothing(
    services: Services, personas: Personas, changes: dict[str, str], code: ErrorCode, field: str
) -> None:
    args = {
        "email": "new@example.com",
        "display_name": "New",
        "password": PASSWORD,
        "role": "member",
    }
    args.update(changes)
    before = await snapshot(services)
    with pytest.raises(ActionError) as caught:
        await create_user(services, as_user(personas.alice), org_id=personas.alice.org_id, **args)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert await snapshot(services) == before


async def test_members_and_other_orgs_cannot_create_users(
    services: Services, personas: Personas
) -> None:
    before = await snapshot(services)
    with pytest.raises(Forbidden):
        await create_user(
            services,
            as_user(personas.bob),
            org_id=personas.bob.org_id,
            email="x@example.com",
            display_name="X",
            password=PASSWORD,
        )
    with pytest.raises(ActionError) as caught:
        await create_user(
            services,
            as_user(personas.eve),
            org_id=personas.alice.org_id,
            email="x@example.com",
            display_name="X",
            password=PASSWORD,
        )
    assert caught.value.code is ErrorCode.NOT_FOUND
    assert await snapshot(services) == before


async def test_update_role_audits_the_diff(services: Services, personas: Personas) -> None:
    user = await update_user_role(services, as_user(personas.alice), personas.bob.id, "admin")
    assert user.role == "admin"
    entry = (await audit_entries(services, personas.alice.org_id))[-1]
    assert entry.action == "user.role_change"
    assert entry.diff == {
        "patch": [{"op": "replace", "path": "/role", "value": "admin"}],
        "before": {"role": "member"},
        "after": {"role": "admin"},
    }
    event = (await events(services, personas.alice.org_id))[-1]
    assert (event.type, event.user_id) == ("user.updated", personas.bob.id)


async def test_unchanged_role_writes_nothing(services: Services, personas: Personas) -> None:
    before = await snapshot(services)
    await update_user_role(services, as_user(personas.alice), personas.bob.id, "member")
    assert await snapshot(services) == before


async def test_last_admin_cannot_be_demoted_or_deactivated(
    services: Services, personas: Personas
) -> None:
    before = await snapshot(services)
    for attempt in (
        update_user_role(services, as_user(personas.alice), personas.alice.id, "member"),
        deactivate_user(services, as_user(personas.alice), personas.alice.id),
    ):
        with pytest.raises(ActionError) as caught:
            await attempt
        assert caught.value.code is ErrorCode.LAST_ADMIN
    assert await snapshot(services) == before


async def test_other_orgs_users_are_not_found(services: Services, personas: Personas) -> None:
    before = await snapshot(services)
    for attempt in (
        update_user_role(services, as_user(personas.eve), personas.bob.id, "admin"),
        deactivate_user(services, as_user(personas.eve), personas.bob.id),
    ):
        with pytest.raises(ActionError) as caught:
            await attempt
        assert caught.value.code is ErrorCode.NOT_FOUND
    assert await snapshot(services) == before


async def test_deactivation_revokes_every_credential(
    services: Services, personas: Personas
) -> None:
    bob = personas.bob
    await login(services, anonymous(), bob.email, PASSWORD)
    await login(services, anonymous(), bob.email, PASSWORD)
    await create_api_token(
        services, as_user(personas.alice), user_id=bob.id, name="bot", scopes=["read"]
    )
    user = await deactivate_user(services, as_user(personas.alice), bob.id)
    assert not user.is_active
    async with services.db.read_session() as session:
        refresh = list(
            await session.scalars(select(RefreshToken).where(RefreshToken.user_id == bob.id))
        )
        api = list(await session.scalars(select(ApiToken).where(ApiToken.user_id == bob.id)))
        stored = await session.get(User, bob.id)
    assert len(refresh) == 2 and all(row.revoked_at is not None for row in refresh)
    assert len(api) == 1 and api[0].revoked_at is not None
    assert stored is not None and not stored.is_active
    entry = (await audit_entries(services, bob.org_id))[-1]
    assert (entry.action, entry.diff["after"]) == ("user.deactivate", {"is_active": False})
    event = (await events(services, bob.org_id))[-1]
    assert (event.type, event.user_id) == ("user.deactivated", bob.id)
    with pytest.raises(ActionError) as caught:
        await login(services, anonymous(), bob.email, PASSWORD)
    assert caught.value.code is ErrorCode.INVALID_CREDENTIALS
