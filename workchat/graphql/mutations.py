"""What every mutation shares: the payload shape, the one path a mutation runs
(viewer -> acting -> action -> payload), and the error codes each mutation can return."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import strawberry
from strawberry.types import Info

from workchat.actions.catalogue import required_scopes
from workchat.auth.viewer import Viewer
from workchat.errors import ActionError, ErrorCode, Forbidden, not_found
from workchat.graphql.context import Context
from workchat.graphql.errors import UserError
from workchat.graphql.ids import decode_id
from workchat.graphql.throttle import check_mutation
from workchat.services import Services

T = TypeVar("T")
P = TypeVar("P", bound="Payload")

# The UserError codes each mutation can return, in the order the SDL lists them. Read off
# the actions (request-level failures such as FORBIDDEN are top-level errors, not listed).
# It builds each mutation's description, and a test triggers every code it lists.
MUTATION_ERRORS: dict[str, tuple[ErrorCode, ...]] = {
    "login": (ErrorCode.INVALID_CREDENTIALS,),
    "refreshToken": (ErrorCode.INVALID_TOKEN,),
    "logout": (),
    "createUser": (ErrorCode.INVALID_INPUT, ErrorCode.EMAIL_TAKEN),
    "updateUserRole": (ErrorCode.NOT_FOUND, ErrorCode.LAST_ADMIN),
    "deactivateUser": (ErrorCode.NOT_FOUND, ErrorCode.LAST_ADMIN),
    "createApiToken": (ErrorCode.NOT_FOUND, ErrorCode.INVALID_INPUT),
    "revokeApiToken": (ErrorCode.NOT_FOUND,),
    "createChannel": (ErrorCode.INVALID_INPUT, ErrorCode.NAME_TAKEN, ErrorCode.NAME_CONFUSABLE),
    "updateChannel": (
        ErrorCode.NOT_FOUND,
        ErrorCode.CHANNEL_ARCHIVED,
        ErrorCode.SYSTEM_CHANNEL,
        ErrorCode.INVALID_INPUT,
        ErrorCode.NAME_TAKEN,
        ErrorCode.NAME_CONFUSABLE,
    ),
    "archiveChannel": (ErrorCode.NOT_FOUND, ErrorCode.SYSTEM_CHANNEL),
    "joinChannel": (ErrorCode.NOT_FOUND, ErrorCode.CHANNEL_ARCHIVED),
    "leaveChannel": (ErrorCode.NOT_FOUND, ErrorCode.SYSTEM_CHANNEL),
    "inviteToChannel": (
        ErrorCode.NOT_FOUND,
        ErrorCode.NOT_A_MEMBER,
        ErrorCode.CHANNEL_ARCHIVED,
        ErrorCode.INVALID_INPUT,
    ),
    "markChannelRead": (ErrorCode.NOT_FOUND, ErrorCode.NOT_A_MEMBER),
    "setTyping": (
        ErrorCode.NOT_FOUND,
        ErrorCode.NOT_A_MEMBER,
        ErrorCode.CHANNEL_ARCHIVED,
        ErrorCode.THREAD_NOT_FOUND,
    ),
    "postMessage": (
        ErrorCode.NOT_FOUND,
        ErrorCode.NOT_A_MEMBER,
        ErrorCode.CHANNEL_ARCHIVED,
        ErrorCode.THREAD_NOT_FOUND,
        ErrorCode.INVALID_INPUT,
    ),
    "editMessage": (
        ErrorCode.NOT_FOUND,
        ErrorCode.VERSION_CONFLICT,
        ErrorCode.MESSAGE_DELETED,
        ErrorCode.INVALID_INPUT,
        ErrorCode.CHANNEL_ARCHIVED,
    ),
    "deleteMessage": (ErrorCode.NOT_FOUND, ErrorCode.CHANNEL_ARCHIVED),
    "addReaction": (
        ErrorCode.NOT_FOUND,
        ErrorCode.NOT_A_MEMBER,
        ErrorCode.CHANNEL_ARCHIVED,
        ErrorCode.MESSAGE_DELETED,
        ErrorCode.INVALID_EMOJI,
    ),
    "removeReaction": (
        ErrorCode.NOT_FOUND,
        ErrorCode.NOT_A_MEMBER,
        ErrorCode.CHANNEL_ARCHIVED,
        ErrorCode.MESSAGE_DELETED,
        ErrorCode.INVALID_EMOJI,
    ),
}


# The one argument of every mutation.
INPUT = strawberry.argument(description="What to change; see the input type's fields.")


def described(mutation: str, text: str) -> str:
    """A mutation's description: what it does, then the codes its ``errors`` can hold."""
    codes = MUTATION_ERRORS[mutation]
    listed = ", ".join(code.value for code in codes) if codes else "none"
    return f"{text} Errors: {listed}."


@strawberry.type
class Payload:
    client_mutation_id: str | None = strawberry.field(
        default=None, description="The input's clientMutationId, echoed."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing changed; empty on success. The codes are in the mutation's "
        "description.",
    )


class MutationInput(Protocol):
    @property
    def client_mutation_id(self) -> str | None: ...


Action = Callable[[Services, Viewer], Awaitable[T]]


async def mutate(
    info: Info[Context, None],
    input: MutationInput,
    action: Action[T],
    payload: Callable[[T | None], P],
    *,
    alongside_error: Callable[[ActionError], Awaitable[T | None]] | None = None,
    allow_anonymous: bool = False,
) -> P:
    """Run one mutation: require a viewer (unless ``allow_anonymous``, for login and
    refreshToken), act as them under this operation's name, and build the payload.

    An ActionError becomes ``errors`` (nothing was written); ``alongside_error`` may still
    give the payload an object, such as the current message on VERSION_CONFLICT. Request
    failures (RequestError: not logged in, a token without the scopes the mutation
    declares, not allowed) propagate as top-level errors.
    """
    if not allow_anonymous:
        info.context.require_viewer()
    await check_mutation(info.context)  # each root mutation field counts once
    viewer = info.context.acting(info.field_name)
    # The one place token scopes are enforced for every mutation (declared per mutation in
    # the catalogue); an anonymous caller was refused above where a viewer is needed.
    missing = required_scopes(info.field_name) - viewer.scopes
    if missing and viewer.is_authenticated:
        raise Forbidden(f"this token lacks the scope(s): {', '.join(sorted(missing))}")
    try:
        result: T | None = await action(info.context.services, viewer)
        errors: list[UserError] = []
    except ActionError as error:
        result = await alongside_error(error) if alongside_error else None
        errors = [UserError.from_action_error(error)]
    built = payload(result)
    built.client_mutation_id = input.client_mutation_id
    built.errors = errors
    return built


def require_id(global_id: str, type_name: str, field: str) -> uuid.UUID:
    """Decode an input ID; a malformed or wrong-typed one is just NOT_FOUND."""
    decoded = decode_id(global_id, type_name)
    if decoded is None:
        raise not_found(type_name.lower(), field=field)
    return decoded


def optional_id(global_id: str | None, type_name: str, field: str) -> uuid.UUID | None:
    return None if global_id is None else require_id(global_id, type_name, field)


def client_mutation_id_field() -> Any:
    """The ``clientMutationId`` input field every mutation takes (declared last, by hand,
    so each input keeps its field order)."""
    return strawberry.field(default=None, description="Any string; echoed in the payload.")
