"""Opaque tokens (refresh and API tokens): random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

REFRESH_PREFIX = "wcr_"
API_TOKEN_PREFIX = "wct_"


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # The token has 256 bits of entropy, so a fast unsalted hash is enough to store it.
    return hashlib.sha256(token.encode()).hexdigest()
