"""Who is acting, through which entry point, with which scopes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from workchat.db.models import User

Via = Literal["graphql", "mcp", "cli"]
Role = Literal["admin", "member"]

SCOPE_READ = "read"
SCOPE_WRITE = "write"
SCOPE_ADMIN = "admin"
ALL_SCOPES = frozenset({SCOPE_READ, SCOPE_WRITE, SCOPE_ADMIN})


@dataclass(frozen=True, slots=True)
class Viewer:
    """The acting principal. ``user_id`` is None for the anonymous caller and the CLI."""

    user_id: uuid.UUID | None
    org_id: uuid.UUID | None
    role: Role | None = None
    scopes: frozenset[str] = field(default=frozenset())
    via: Via = "graphql"
    operation: str | None = None
    request_id: str | None = None
    session_id: uuid.UUID | None = None
    api_token_id: uuid.UUID | None = None
    # When the presented credential stops being valid (access tokens); None: no expiry.
    expires_at: datetime | None = None
    # The user's row as the credential check read it, so ``viewer`` needs no second read.
    # It is as fresh as the cached credential it comes with: every change to a user row
    # (a role change, a deactivation) ends the user's cached credentials. A socket's viewer
    # lives as long as the socket and does not keep it (``without_row``).
    user_row: User | None = field(default=None, compare=False, repr=False)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" and SCOPE_ADMIN in self.scopes

    def can(self, scope: str) -> bool:
        return scope in self.scopes

    def without_row(self) -> Viewer:
        return replace(self, user_row=None) if self.user_row is not None else self

    def with_request(
        self, *, via: Via | None = None, operation: str | None = None, request_id: str | None = None
    ) -> Viewer:
        return replace(
            self,
            via=via or self.via,
            operation=operation if operation is not None else self.operation,
            request_id=request_id if request_id is not None else self.request_id,
        )


def anonymous(via: Via = "graphql", request_id: str | None = None) -> Viewer:
    return Viewer(user_id=None, org_id=None, via=via, request_id=request_id)


def system(via: Via = "cli", operation: str | None = None) -> Viewer:
    """The operator at the command line: may act in any org, recorded with no actor."""
    return Viewer(
        user_id=None, org_id=None, role="admin", scopes=ALL_SCOPES, via=via, operation=operation
    )
