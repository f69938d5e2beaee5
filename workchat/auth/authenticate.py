"""Turn a bearer credential (JWT access token or API token) into a Viewer, or refuse it.

Needs only the database and the settings (the signing key): auth sits below the bundle of
long-lived services that entry points and actions share."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import exists, select

from workchat.auth.cache import CredentialCache
from workchat.auth.jwt import InvalidAccessToken, decode_access_token
from workchat.auth.secrets import API_TOKEN_PREFIX, token_hash
from workchat.auth.viewer import ALL_SCOPES, SCOPE_ADMIN, Via, Viewer
from workchat.db.engine import Database
from workchat.db.models import ApiToken, RefreshToken, User
from workchat.settings import Settings


class AuthenticationFailed(Exception):
    """The credential was refused; the message is safe to show."""


async def authenticate(
    db: Database,
    settings: Settings,
    credential: str,
    *,
    via: Via = "graphql",
    request_id: str | None = None,
    cache: CredentialCache | None = None,
) -> Viewer:
    """The viewer ``credential`` names. With ``cache``, a credential verified less than
    ``cache.ttl`` ago and not ended since (``CredentialCache.forget_user``) is not checked
    again."""
    if cache is None:
        return await _check(db, settings, credential, via, request_id)
    cached = cache.get(credential, request_id)
    if cached is not None and cached.via == via:
        return cached
    epoch = cache.epoch
    viewer = await _check(db, settings, credential, via, request_id)
    cache.put(credential, viewer, epoch=epoch)
    return viewer


async def _check(
    db: Database, settings: Settings, credential: str, via: Via, request_id: str | None
) -> Viewer:
    if credential.startswith(API_TOKEN_PREFIX):
        return await _from_api_token(db, credential, via, request_id)
    try:
        claims = decode_access_token(settings, credential)
    except InvalidAccessToken:
        raise AuthenticationFailed("invalid or expired access token") from None
    # One query: the user is still active and their session (token family) not ended.
    session_live = exists().where(
        RefreshToken.family_id == claims.session_id,
        RefreshToken.user_id == claims.user_id,
        RefreshToken.revoked_at.is_(None),
    )
    async with db.read_session() as session:
        row = (
            await session.execute(select(User, session_live).where(User.id == claims.user_id))
        ).first()
    if row is None:
        raise AuthenticationFailed("invalid or expired access token")
    user, live = row
    if not user.is_active or not live or user.org_id != claims.org_id:
        raise AuthenticationFailed("session has ended")
    viewer = viewer_for(user, ALL_SCOPES, via=via, request_id=request_id)
    return replace(
        viewer, session_id=claims.session_id, expires_at=claims.expires_at, user_row=user
    )


async def _from_api_token(
    db: Database, credential: str, via: Via, request_id: str | None
) -> Viewer:
    async with db.read_session() as session:
        row = (
            await session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == token_hash(credential))
            )
        ).first()
    if row is None:
        raise AuthenticationFailed("invalid API token")
    token, user = row
    if token.revoked_at is not None or not user.is_active:
        raise AuthenticationFailed("API token has been revoked")
    viewer = viewer_for(user, frozenset(token.scopes), via=via, request_id=request_id)
    return replace(viewer, api_token_id=token.id, user_row=user)


def viewer_for(user: User, granted: frozenset[str], *, via: Via, request_id: str | None) -> Viewer:
    """The user's current role bounds what a credential may do: admin scope needs an admin."""
    scopes = granted if user.role == "admin" else granted - {SCOPE_ADMIN}
    return Viewer(
        user_id=user.id,
        org_id=user.org_id,
        role=user.role,  # type: ignore[arg-type]
        scopes=scopes,
        via=via,
        request_id=request_id,
    )
