"""Permission checks and ``access_*`` fetchers: another org's object is simply NOT_FOUND."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from workchat.auth.viewer import Viewer
from workchat.db.models import ApiToken, User
from workchat.errors import Forbidden, Unauthenticated, not_found


def require_user(viewer: Viewer) -> uuid.UUID:
    if viewer.user_id is None or viewer.org_id is None:
        raise Unauthenticated("authentication required")
    return viewer.user_id


def require_admin(viewer: Viewer) -> None:
    """Admins of their org (with an admin-scoped credential), or the operator at the CLI."""
    if viewer.user_id is None and viewer.via == "cli" and viewer.is_admin:
        return
    require_user(viewer)
    if not viewer.is_admin:
        raise Forbidden("only an admin may do this")


def in_viewer_org(viewer: Viewer, org_id: uuid.UUID) -> bool:
    if viewer.user_id is None and viewer.via == "cli":
        return True
    return viewer.org_id == org_id


async def access_user(
    session: AsyncSession, viewer: Viewer, user_id: uuid.UUID, *, for_update: bool = False
) -> User:
    user = await session.get(User, user_id, with_for_update=for_update)
    if user is None or not in_viewer_org(viewer, user.org_id):
        raise not_found("user", field="userId")
    return user


async def access_api_token(session: AsyncSession, viewer: Viewer, token_id: uuid.UUID) -> ApiToken:
    token = await session.get(ApiToken, token_id)
    owner = await session.get(User, token.user_id) if token else None
    if token is None or owner is None or not in_viewer_org(viewer, owner.org_id):
        raise not_found("API token", field="tokenId")
    return token
