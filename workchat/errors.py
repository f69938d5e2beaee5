"""Error codes shared by every layer; GraphQL and MCP only translate these.

Two kinds, two enums: ``ErrorCode`` is what a mutation's ``errors: [UserError!]!`` can
carry (an ``ActionError``); ``RequestErrorCode`` is what a whole request can fail with, and
only ever appears as a top-level error's ``extensions.code`` (a ``RequestError``).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Business failures: returned as data in a payload's ``errors``."""

    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    NAME_TAKEN = "NAME_TAKEN"
    NAME_CONFUSABLE = "NAME_CONFUSABLE"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_TOKEN = "INVALID_TOKEN"
    LAST_ADMIN = "LAST_ADMIN"
    NOT_A_MEMBER = "NOT_A_MEMBER"
    THREAD_NOT_FOUND = "THREAD_NOT_FOUND"
    CHANNEL_ARCHIVED = "CHANNEL_ARCHIVED"
    SYSTEM_CHANNEL = "SYSTEM_CHANNEL"
    MESSAGE_DELETED = "MESSAGE_DELETED"
    INVALID_EMOJI = "INVALID_EMOJI"


class RequestErrorCode(StrEnum):
    """Whole-request failures: top-level GraphQL errors with ``extensions.code``.

    The comment above each member is its documentation in docs/reference/api.md
    (scripts/gen_api_reference.py refuses a member without one)."""

    # No valid access token (or API token), and the field needs a viewer.
    UNAUTHENTICATED = "UNAUTHENTICATED"
    # The viewer may not do this (a member asking for admin data, a token without the scope).
    FORBIDDEN = "FORBIDDEN"
    # The document is over a cost limit (depth, aliases, selections, directives, repeated
    # fields, root mutation fields, tokens), checked before it runs.
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    # Over a rate limit; ``extensions.retryAfter`` says in how many seconds to try again.
    RATE_LIMITED = "RATE_LIMITED"
    # The HTTP request is not a GraphQL request this server takes (method, content type,
    # body shape, an unnamed operation where a name is needed).
    BAD_REQUEST = "BAD_REQUEST"
    # The query text does not parse as GraphQL.
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    # The document does not match the schema (unknown field, wrong argument type, ...).
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    # Something failed on the server; the details are in its log under the request id, never
    # in the response.
    INTERNAL = "INTERNAL"
    # An argument is unusable (a page size, a cursor): queries have no payload to carry a
    # UserError, so the whole request fails with the same word. Also text that breaks the
    # text rule, in any operation, refused before anything runs (``extensions.field``).
    INVALID_INPUT = "INVALID_INPUT"
    # A request over a size limit (body, headers, query text), refused before parsing.
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    # A query or mutation ran longer than the server's execution budget.
    TIMEOUT = "TIMEOUT"
    # A search string does not parse; ``extensions.position`` says where.
    INVALID_QUERY = "INVALID_QUERY"


class ActionError(Exception):
    """An expected business failure; nothing was written."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class RequestError(Exception):
    """A failure of the whole request (not logged in, not allowed, over a limit)."""

    code: RequestErrorCode = RequestErrorCode.BAD_REQUEST

    def __init__(
        self, message: str, code: RequestErrorCode | None = None, **extensions: str | int
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extensions = extensions  # extra, client-visible details (e.g. a position)


class Unauthenticated(RequestError):
    code = RequestErrorCode.UNAUTHENTICATED


class Forbidden(RequestError):
    code = RequestErrorCode.FORBIDDEN


def not_found(what: str = "object", field: str | None = None) -> ActionError:
    """The one error for both 'missing' and 'another org's' — they must look the same."""
    return ActionError(ErrorCode.NOT_FOUND, f"{what} not found", field=field)
