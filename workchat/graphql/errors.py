"""How errors reach clients: ``UserError`` data in payloads, coded top-level errors, and
masking of everything unexpected to INTERNAL with a request id."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from workchat.errors import ActionError, RequestError
from workchat.errors import ErrorCode as DomainErrorCode

log = logging.getLogger("workchat.graphql")

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="Stable error codes.")

LIMIT_MESSAGES = (
    "exceeds maximum operation depth",
    "maximum number of aliases",
    "more than",  # graphql-core: "Document contains more than N tokens"
)


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
        if any(marker in error.message for marker in LIMIT_MESSAGES[:2]):
            return DomainErrorCode.QUERY_TOO_COMPLEX, None
        code = (error.extensions or {}).get("code")
        if code:
            return DomainErrorCode(code), None
        return DomainErrorCode.GRAPHQL_VALIDATION_FAILED, None
    if isinstance(original, GraphQLError):  # e.g. variable coercion
        return DomainErrorCode.GRAPHQL_VALIDATION_FAILED, None
    return DomainErrorCode.INTERNAL, "Internal server error."


class ErrorCodes(SchemaExtension):
    """Give every top-level error an ``extensions.code``; mask unexpected exceptions."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        request_id = getattr(self.execution_context.context, "request_id", None)
        processed: list[GraphQLError] = []
        for error in errors:
            code, message = _code_for(error)
            extensions: dict[str, object] = {"code": code.value}
            if code is DomainErrorCode.INTERNAL:
                log.error(
                    "unexpected error (request %s)", request_id, exc_info=error.original_error
                )
                extensions["requestId"] = request_id or ""
            elif isinstance(error.original_error, ActionError) and error.original_error.field:
                extensions["field"] = error.original_error.field
            elif isinstance(error.original_error, RequestError):
                extensions.update(error.original_error.extensions)
            processed.append(
                GraphQLError(
                    message=message or error.message,
                    nodes=error.nodes,
                    source=error.source,
                    positions=error.positions,
                    path=error.path,
                    original_error=None,
                    extensions=extensions,
                )
            )
        result.errors = processed  # type: ignore[union-attr]
