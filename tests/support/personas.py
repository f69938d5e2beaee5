"""The named personas: alice (admin) and bob (member) of Acme, eve (admin of Evil Corp), and
acting as them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tests.support.settings import PASSWORD
from workchat.actions.orgs import create_org
from workchat.actions.users import create_user
from workchat.auth.viewer import ALL_SCOPES, SCOPE_ADMIN, Viewer, system
from workchat.services import Services


@dataclass(frozen=True)
class Persona:
    name: str
    id: uuid.UUID
    org_id: uuid.UUID
    email: str
    role: str
    password: str = PASSWORD


@dataclass(frozen=True)
class Personas:
    alice: Persona
    bob: Persona
    eve: Persona


async def create_personas(services: Services) -> Personas:
    """The orgs Acme and Evil Corp, with alice and bob in Acme and eve in Evil Corp."""
    operator = system(operation="test-setup")
    acme = await create_org(services, operator, "Acme")
    evil = await create_org(services, operator, "Evil Corp")

    async def make(name: str, org_id: uuid.UUID, role: str) -> Persona:
        email = f"{name}@example.com"
        user = await create_user(
            services,
            operator,
            org_id=org_id,
            email=email,
            display_name=name.title(),
            password=PASSWORD,
            role=role,
        )
        return Persona(name, user.id, org_id, email, role)

    return Personas(
        alice=await make("alice", acme.id, "admin"),
        bob=await make("bob", acme.id, "member"),
        eve=await make("eve", evil.id, "admin"),
    )


def as_user(persona: Persona, *, scopes: frozenset[str] | None = None) -> Viewer:
    """The persona as an action sees them (admins hold the admin scope)."""
    if scopes is None:
        scopes = ALL_SCOPES if persona.role == "admin" else ALL_SCOPES - {SCOPE_ADMIN}
    return Viewer(
        user_id=persona.id,
        org_id=persona.org_id,
        role=persona.role,  # type: ignore[arg-type]
        scopes=scopes,
        operation="test",
        request_id="req-1",
    )


async def new_member(services: Services, org_id: uuid.UUID, name: str) -> Viewer:
    """A fresh member of the org, acting."""
    user = await create_user(
        services,
        system(),
        org_id=org_id,
        email=f"{name}@example.com",
        display_name=name.title(),
        password=PASSWORD,
    )
    return Viewer(
        user_id=user.id,
        org_id=org_id,
        role="member",
        scopes=ALL_SCOPES - {SCOPE_ADMIN},
        operation="test",
        request_id="req-2",
    )


async def another_member(services: Services, personas: Personas, name: str) -> Persona:
    """A fresh Acme member who can log in like the fixture personas."""
    viewer = await new_member(services, personas.alice.org_id, name)
    assert viewer.user_id is not None and viewer.org_id is not None
    return Persona(name, viewer.user_id, viewer.org_id, f"{name}@example.com", "member")
