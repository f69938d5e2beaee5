"""Short-lived access tokens: HS256 only; issuer, audience, expiry and type always checked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from workchat.db.base import utcnow
from workchat.settings import Settings

ALGORITHM = "HS256"
ACCESS_TYPE = "access"


class InvalidAccessToken(Exception):
    """The token is not one we issued, or no longer valid; the reason is for logs only."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    org_id: uuid.UUID
    session_id: uuid.UUID  # the refresh-token family: logging out ends the session
    expires_at: datetime


def issue_access_token(
    settings: Settings, *, user_id: uuid.UUID, org_id: uuid.UUID, session_id: uuid.UUID
) -> tuple[str, datetime]:
    now = utcnow()
    expires_at = now + timedelta(seconds=settings.access_token_ttl_seconds)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "org": str(org_id),
        "sid": str(session_id),
        "typ": ACCESS_TYPE,
        "iat": now,
        "exp": expires_at,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), expires_at


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],  # pinned: 'none' and RS/ES confusion are refused
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "typ"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidAccessToken(str(exc)) from None
    if claims.get("typ") != ACCESS_TYPE:
        raise InvalidAccessToken("not an access token")
    try:
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            org_id=uuid.UUID(claims["org"]),
            session_id=uuid.UUID(claims["sid"]),
            expires_at=datetime.fromtimestamp(claims["exp"], tz=utcnow().tzinfo),
        )
    except (KeyError, ValueError, TypeError):
        raise InvalidAccessToken("malformed claims") from None
