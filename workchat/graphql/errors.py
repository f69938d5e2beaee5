"""How errors reach clients: ``UserError`` data in payloads, coded top-level errors, and
masking of everything unexpected to INTERNAL with a request id."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from workchat.errors import ActionError, RequestError
from workchat.errors import ErrorCode as DomainErrorCode

log = logging.getLogger("workchat.graphql")

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="Stable error codes.")

# How Strawberry's limiters word their validation errors (pinned by tests).
LIMIT_MESSAGES = ("exceeds maximum operation depth", "aliases found. Allowed")


@strawberry.type(description="An expected failure of a mutation; nothing was changed.")
class UserError:
    code: ErrorCode  # type: ignore[valid-type]
    message: str
    field: str | None = None

    @classmethod
    def from_action_error(cls, error: ActionError) -> UserError:
        return cls(code=error.code, message=error.message, field=error.field)


def _code_for(error: GraphQLError) -> tuple[DomainErrorCode, str | None]:
    """The code for a top-level error, and a replacement message when it must be masked."""
    original = error.original_error
    if isinstance(original, RequestError):
        return original.code, original.message
    if isinstance(original, ActionError):
        return original.code, original.message
    if original is None:
        if isinstance(error, GraphQLSyntaxError):
            if "tokens" in error.message and "more than" in error.message:
                return DomainErrorCode.QUERY_TOO_COMPLEX, None
            return DomainErrorCode.GRAPHQL_PARSE_FAILED, None
        if any(marker in error.message for marker in LIMIT_MESSAGES):
            return DomainErrorCode.QUERY_TOO_COMPLEX, None
        code = (error.extensions or {}).get("code")
        if code:
            return DomainErrorCode(code), None
        return DomainErrorCode.GRAPHQL_VALIDATION_FAILED, None
    if isinstance(original, GraphQLError):  # e.g. variable coercion
        return DomainErrorCode.GRAPHQL_VALIDATION_FAILED, None
    return DomainErrorCode.INTERNAL, "Internal server error."


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
        result.errors = [self._coded(error, request_id) for error in errors]  # type: ignore[attr-defined]

    def _coded(self, error: GraphQLError, request_id: str | None) -> GraphQLError:
        code, message = _code_for(error)
        extensions: dict[str, object] = {"code": code.value}
        original = error.original_error
        if code is DomainErrorCode.INTERNAL:
            log.error("unexpected error (request %s)", request_id, exc_info=original)
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
