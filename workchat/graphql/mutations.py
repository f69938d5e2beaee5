"""What every mutation shares: the payload shape and turning ActionErrors into data."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from workchat.errors import ActionError, not_found
from workchat.graphql.errors import UserError
from workchat.graphql.ids import decode_id

T = TypeVar("T")


@strawberry.type
class Payload:
    client_mutation_id: str | None
    errors: list[UserError]


async def attempt(run: Callable[[], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Run an action; an expected failure becomes ``errors`` (and nothing was written)."""
    try:
        return await run(), []
    except ActionError as error:
        return None, [UserError.from_action_error(error)]


def require_id(global_id: str, type_name: str, field: str) -> uuid.UUID:
    """Decode an input ID; a malformed or wrong-typed one is just NOT_FOUND."""
    decoded = decode_id(global_id, type_name)
    if decoded is None:
        raise not_found(type_name.lower(), field=field)
    return decoded
