"""API tokens for bots and agents: long-lived, scoped, revocable, stored hashed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from workchat.access import access_api_token, access_user, require_admin
from workchat.actions.unit import unit_of_work
from workchat.actions.validation import clean_text, invalid
from workchat.auth.secrets import API_TOKEN_PREFIX, new_token, token_hash
from workchat.auth.viewer import ALL_SCOPES, SCOPE_ADMIN, Viewer
from workchat.db.base import utcnow
from workchat.db.models import ApiToken
from workchat.errors import ActionError, ErrorCode
from workchat.events import catalogue as ev
from workchat.services import Services


@dataclass(frozen=True, slots=True)
class CreatedApiToken:
    token: ApiToken
    secret: str  # shown once; only its hash is stored


def _snapshot(token: ApiToken) -> dict[str, Any]:
    return {
        "name": token.name,
        "user_id": str(token.user_id),
        "scopes": sorted(token.scopes),
        "revoked": token.revoked_at is not None,
    }


def _clean_scopes(scopes: list[str]) -> list[str]:
    unknown = set(scopes) - ALL_SCOPES
    if unknown or not scopes:
        raise invalid("scopes", f"scopes must be a non-empty subset of {sorted(ALL_SCOPES)}")
    return sorted(set(scopes))


async def create_api_token(
    services: Services, viewer: Viewer, *, user_id: uuid.UUID, name: str, scopes: list[str]
) -> CreatedApiToken:
    require_admin(viewer)
    name = clean_text(name, "name", max_len=80)
    scopes = _clean_scopes(scopes)
    async with unit_of_work(services, viewer) as unit:
        user = await access_user(unit.session, viewer, user_id)
        if not user.is_active:
            raise ActionError(ErrorCode.INVALID_INPUT, "user is deactivated", field="userId")
        if SCOPE_ADMIN in scopes and user.role != "admin":
            raise invalid("scopes", "only an admin's token may carry the admin scope")
        secret = new_token(API_TOKEN_PREFIX)
        token = ApiToken(
            id=uuid.uuid4(),
            user_id=user.id,
            name=name,
            token_hash=token_hash(secret),
            scopes=scopes,
            created_at=utcnow(),
        )
        unit.session.add(token)
        await unit.session.flush()
        unit.audit(user.org_id, "token.create", "api_token", token.id, after=_snapshot(token))
    return CreatedApiToken(token, secret)


async def revoke_api_token(services: Services, viewer: Viewer, token_id: uuid.UUID) -> ApiToken:
    require_admin(viewer)
    async with unit_of_work(services, viewer) as unit:
        token = await access_api_token(unit.session, viewer, token_id)
        if token.revoked_at is not None:
            return token
        before = _snapshot(token)
        token.revoked_at = utcnow()
        org_id = viewer.org_id or (await access_user(unit.session, viewer, token.user_id)).org_id
        unit.audit(
            org_id, "token.revoke", "api_token", token.id, before=before, after=_snapshot(token)
        )
        unit.emit(ev.ApiTokenRevoked(org_id=org_id, user_id=token.user_id, token_id=token.id))
    return token
