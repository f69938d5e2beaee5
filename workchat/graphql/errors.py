"""How errors reach clients: ``UserError`` data in payloads, coded top-level errors, and
masking of everything unexpected to INTERNAL with a request id."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from enum import Enum

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from workchat.errors import ActionError, RequestError, RequestErrorCode
from workchat.errors import ErrorCode as DomainErrorCode

log = logging.getLogger("workchat.graphql")

# What each code means, for the SDL. Every business code needs one: a missing entry fails at
# import, so a new code cannot reach clients undocumented.
CODE_DESCRIPTIONS: dict[DomainErrorCode, str] = {
    DomainErrorCode.INVALID_INPUT: "An input field is malformed or out of range; `field` names it.",
    DomainErrorCode.NOT_FOUND: "The object does not exist or the viewer may not see it.",
    DomainErrorCode.NAME_TAKEN: "Another channel of the org already has this name.",
    DomainErrorCode.NAME_CONFUSABLE: "The name looks like another channel's name of the org "
    "(the same after folding look-alike characters, Unicode TR39).",
    DomainErrorCode.EMAIL_TAKEN: "Another user already has this email address.",
    DomainErrorCode.VERSION_CONFLICT: "The message changed since `expectedVersion`; the "
    "payload holds the current message.",
    DomainErrorCode.INVALID_CREDENTIALS: "The email or password is wrong, or the user is "
    "deactivated.",
    DomainErrorCode.INVALID_TOKEN: "The refresh token is unknown, expired, revoked or "
    "already used.",
    DomainErrorCode.LAST_ADMIN: "The change would leave the org without an active admin.",
    DomainErrorCode.NOT_A_MEMBER: "The viewer must be a member of the channel first.",
    DomainErrorCode.THREAD_NOT_FOUND: "`threadId` is not a live root message of this channel.",
    DomainErrorCode.CHANNEL_ARCHIVED: "The channel is archived, so it is read-only.",
    DomainErrorCode.SYSTEM_CHANNEL: "#general cannot be renamed, made private, archived or left.",
    DomainErrorCode.MESSAGE_DELETED: "The message was deleted.",
    DomainErrorCode.INVALID_EMOJI: "The emoji is neither a Unicode emoji nor a `:short_name:`.",
}

# Only the codes a UserError can carry. Request-level codes (UNAUTHENTICATED, FORBIDDEN, ...)
# are words in a top-level error's ``extensions.code`` and never values of this enum.
_codes: type[Enum] = Enum(  # type: ignore[misc]
    "ErrorCode",
    {
        code.name: strawberry.enum_value(code.value, description=CODE_DESCRIPTIONS[code])
        for code in DomainErrorCode
    },
)
ErrorCode = strawberry.enum(
    _codes,
    name="ErrorCode",
    description="Why a mutation failed: the code of a `UserError`. Stable: match on it.",
)


@strawberry.type(description="An expected failure of a mutation; nothing was changed.")
class UserError:
    code: ErrorCode = strawberry.field(  # type: ignore[valid-type]
        description="What went wrong, as a stable code."
    )
    message: str = strawberry.field(description="What went wrong, for people; may change.")
    field: str | None = strawberry.field(
        default=None, description="The input field at fault (camelCase), if one is."
    )

    @classmethod
    def from_action_error(cls, error: ActionError) -> UserError:
        return cls(code=ErrorCode[error.code.name], message=error.message, field=error.field)


def _code_for(error: GraphQLError) -> tuple[RequestErrorCode | DomainErrorCode, str | None]:
    """The code for a top-level error, and a replacement message when it must be masked."""
    original = error.original_error
    if isinstance(original, RequestError):
        return original.code, original.message
    if isinstance(original, ActionError):
        return original.code, original.message
    if original is None:
        if isinstance(error, GraphQLSyntaxError):
            if "tokens" in error.message and "more than" in error.message:
                return RequestErrorCode.QUERY_TOO_COMPLEX, None
            return RequestErrorCode.GRAPHQL_PARSE_FAILED, None
        code = (error.extensions or {}).get("code")
        if code:
            return RequestErrorCode(code), None
        return RequestErrorCode.GRAPHQL_VALIDATION_FAILED, None
    if isinstance(original, GraphQLError):  # e.g. variable coercion
        return RequestErrorCode.GRAPHQL_VALIDATION_FAILED, None
    return RequestErrorCode.INTERNAL, "Internal server error."


SUGGESTION_RE = re.compile(r"\s*Did you mean [^?]*\?")


class ErrorCodes(SchemaExtension):
    """Give every top-level error an ``extensions.code``; mask unexpected exceptions.

    Runs on HTTP results (``on_operation``) and on every result of a WebSocket stream
    (``on_stream_result``), so both transports show clients the same errors.
    """

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        self.hide_suggestions = hide_suggestions
        self._streamed = False

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        if not self._streamed:
            self._process(self.execution_context.result)

    def on_stream_result(self, result: object) -> Iterator[None]:
        self._streamed = True
        self._process(result)
        yield None

    def _process(self, result: object) -> None:
        errors = getattr(result, "errors", None)
        if not errors:
            return
        request_id = getattr(self.execution_context.context, "request_id", None)
        client_id = getattr(self.execution_context.context, "client_request_id", None)
        result.errors = [self._coded(error, request_id, client_id) for error in errors]  # type: ignore[attr-defined]

    def _coded(
        self, error: GraphQLError, request_id: str | None, client_id: str | None = None
    ) -> GraphQLError:
        code, message = _code_for(error)
        extensions: dict[str, object] = {"code": code.value}
        original = error.original_error
        if code is RequestErrorCode.INTERNAL:
            log.error(
                "unexpected error (request %s, client request id %s)",
                request_id,
                client_id or "-",
                exc_info=original,
            )
            extensions["requestId"] = request_id or ""
        elif isinstance(original, ActionError) and original.field:
            extensions["field"] = original.field
        elif isinstance(original, RequestError):
            extensions.update(original.extensions)
        text = message or error.message
        if self.hide_suggestions:
            text = SUGGESTION_RE.sub("", text)
        return GraphQLError(
            message=text,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=extensions,
        )
