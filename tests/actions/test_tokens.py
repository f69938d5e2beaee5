"""API tokens: hashed, scoped, revocable; only admins manage them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.db import audit_entries, events, snapshot, typed
from tests.support.personas import Personas, as_user
from workchat.actions.tokens import create_api_token, revoke_api_token
from workchat.auth.authenticate import AuthenticationFailed, authenticate
from workchat.db.models import ApiToken
from workchat.errors import ActionError, ErrorCode, Forbidden
from workchat.events import catalogue as ev
from workchat.services import Services


async def test_create_and_use_and_revoke(services: Services, personas: Personas) -> None:
    created = await create_api_token(
        services,
        as_user(personas.alice),
        user_id=personas.bob.id,
        name=" ci bot ",
        scopes=["write", "read"],
    )
    assert created.secret.startswith("wct_")
    async with services.db.read_session() as session:
        row = await session.scalar(select(ApiToken))
    assert row is not None and created.secret not in row.token_hash
    assert (row.name, row.scopes) == ("ci bot", ["read", "write"])
    viewer = await authenticate(services.db, services.settings, created.secret, via="mcp")
    assert (viewer.user_id, viewer.scopes, viewer.via) == (
        personas.bob.id,
        frozenset({"read", "write"}),
        "mcp",
    )
    entry = (await audit_entries(services, personas.alice.org_id))[-1]
    assert (entry.action, entry.target_type) == ("token.create", "api_token")
    assert created.secret not in str(entry.diff)

    await revoke_api_token(services, as_user(personas.alice), created.token.id)
    with pytest.raises(AuthenticationFailed):
        await authenticate(services.db, services.settings, created.secret)
    entry = (await audit_entries(services, personas.alice.org_id))[-1]
    assert (entry.action, entry.diff["after"]) == ("token.revoke", {"revoked": True})
    event = (await events(services, personas.alice.org_id))[-1]
    assert (event.type, event.user_id) == ("api_token.revoked", personas.bob.id)
    assert typed(event) == ev.ApiTokenRevoked(
        org_id=personas.alice.org_id, user_id=personas.bob.id, token_id=created.token.id
    )


@pytest.mark.parametrize(
    ("scopes", "name"), [([], "x"), (["root"], "x"), (["admin"], "x"), (["read"], " ")]
)
async def test_invalid_tokens_are_refused(
    services: Services, personas: Personas, scopes: list[str], name: str
) -> None:
    before = await snapshot(services)
    with pytest.raises(ActionError) as caught:
        await create_api_token(
            services, as_user(personas.alice), user_id=personas.bob.id, name=name, scopes=scopes
        )
    assert caught.value.code is ErrorCode.INVALID_INPUT
    assert await snapshot(services) == before


async def test_only_admins_of_the_same_org(services: Services, personas: Personas) -> None:
    created = await create_api_token(
        services, as_user(personas.alice), user_id=personas.bob.id, name="bot", scopes=["read"]
    )
    before = await snapshot(services)
    with pytest.raises(Forbidden):
        await create_api_token(
            services, as_user(personas.bob), user_id=personas.bob.id, name="mine", scopes=["read"]
        )
    with pytest.raises(Forbidden):
        await revoke_api_token(services, as_user(personas.bob), created.token.id)
    for attempt in (
        create_api_token(
            services, as_user(personas.eve), user_id=personas.bob.id, name="x", scopes=["read"]
        ),
        revoke_api_token(services, as_user(personas.eve), created.token.id),
    ):
        with pytest.raises(ActionError) as caught:
            await attempt
        assert caught.value.code is ErrorCode.NOT_FOUND
    assert await snapshot(services) == before


async def test_admin_scope_is_dropped_when_the_owner_is_demoted(
    services: Services, personas: Personas
) -> None:
    from workchat.actions.users import create_user, update_user_role
    from workchat.auth.viewer import system

    second_admin = await create_user(
        services,
        system(),
        org_id=personas.alice.org_id,
        email="root@example.com",
        display_name="Root",
        password="long enough",
        role="admin",
    )
    created = await create_api_token(
        services,
        as_user(personas.alice),
        user_id=second_admin.id,
        name="ops",
        scopes=["read", "write", "admin"],
    )
    await update_user_role(services, as_user(personas.alice), second_admin.id, "member")
    viewer = await authenticate(services.db, services.settings, created.secret)
    assert not viewer.is_admin
    assert viewer.scopes == frozenset({"read", "write"})
