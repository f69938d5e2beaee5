"""Helpers for action tests: act as a persona."""

from __future__ import annotations

import uuid

from tests.conftest import PASSWORD, Persona
from workchat.actions.users import create_user
from workchat.auth.viewer import ALL_SCOPES, SCOPE_ADMIN, Viewer, system
from workchat.services import Services


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
