"""Orgs are created by the operator; each creation is audited and emits an event."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.db import audit_entries, events, snapshot, typed
from tests.support.personas import Personas
from workchat.actions.orgs import create_org
from workchat.auth.viewer import Viewer, system
from workchat.db.models import Channel, Membership, Org
from workchat.errors import ActionError, ErrorCode, Forbidden
from workchat.events import catalogue as ev
from workchat.services import Services


async def test_create_org_writes_row_audit_and_event(services: Services) -> None:
    org = await create_org(services, system(operation="create-org"), "  Initech  ")
    assert org.name == "Initech"
    async with services.db.read_session() as session:
        assert (await session.get(Org, org.id)) is not None
    [entry] = await audit_entries(services, org.id)
    assert (entry.action, entry.target_type, entry.target_id) == ("org.create", "org", str(org.id))
    assert (entry.via, entry.operation, entry.actor_id) == ("cli", "create-org", None)
    async with services.db.read_session() as session:
        general = await session.scalar(select(Channel).where(Channel.org_id == org.id))
    assert general is not None
    assert (general.name, general.is_system, general.is_private) == ("general", True, False)
    assert entry.diff["after"] == {"name": "Initech", "general_channel_id": str(general.id)}
    assert [(e.type, e.channel_id) for e in await events(services, org.id)] == [
        ("org.created", None),
        ("channel.created", general.id),
    ]
    assert [typed(e) for e in await events(services, org.id)] == [
        ev.OrgCreated(org_id=org.id, name="Initech"),
        ev.ChannelCreated(org_id=org.id, channel_id=general.id),
    ]


async def test_new_users_join_general_and_cannot_leave(
    services: Services, personas: Personas
) -> None:
    from tests.support.personas import as_user
    from workchat.actions.channels import leave_channel

    async with services.db.read_session() as session:
        general = await session.scalar(
            select(Channel).where(Channel.org_id == personas.bob.org_id, Channel.is_system)
        )
        assert general is not None
        members = set(
            await session.scalars(
                select(Membership.user_id).where(Membership.channel_id == general.id)
            )
        )
    assert members == {personas.alice.id, personas.bob.id}
    before = await snapshot(services)
    with pytest.raises(ActionError) as caught:
        await leave_channel(services, as_user(personas.bob), general.id)
    assert caught.value.code is ErrorCode.SYSTEM_CHANNEL
    assert await snapshot(services) == before


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Acme", ErrorCode.NAME_TAKEN),
        ("   ", ErrorCode.INVALID_INPUT),
        ("x" * 101, ErrorCode.INVALID_INPUT),
    ],
)
async def test_create_org_failures_change_nothing(
    services: Services, personas: Personas, name: str, code: ErrorCode
) -> None:
    before = await snapshot(services)
    with pytest.raises(ActionError) as caught:
        await create_org(services, system(), name)
    assert caught.value.code is code
    assert caught.value.field == "name"
    assert await snapshot(services) == before


async def test_org_users_cannot_create_orgs(services: Services, personas: Personas) -> None:
    alice = Viewer(
        user_id=personas.alice.id,
        org_id=personas.alice.org_id,
        role="admin",
        scopes=frozenset({"read", "write", "admin"}),
    )
    before = await snapshot(services)
    with pytest.raises(Forbidden):
        await create_org(services, alice, "Sneaky")
    assert await snapshot(services) == before
