"""Error codes shared by every layer; GraphQL and MCP only translate these."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    # Business failures: returned as data in a payload's ``errors``.
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    NAME_TAKEN = "NAME_TAKEN"
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
    INVALID_QUERY = "INVALID_QUERY"
    # Whole-request failures: top-level GraphQL errors with ``extensions.code``.
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    RATE_LIMITED = "RATE_LIMITED"
    BAD_REQUEST = "BAD_REQUEST"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    INTERNAL = "INTERNAL"


class ActionError(Exception):
    """An expected business failure; nothing was written."""

    def __init__(
        self, code: ErrorCode, message: str, *, field: str | None = None, **details: Any
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details


class RequestError(Exception):
    """A failure of the whole request (not logged in, not allowed, over a limit)."""

    code: ErrorCode = ErrorCode.BAD_REQUEST

    def __init__(
        self, message: str, code: ErrorCode | None = None, **extensions: str | int
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extensions = extensions  # extra, client-visible details (e.g. a position)


class Unauthenticated(RequestError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(RequestError):
    code = ErrorCode.FORBIDDEN


def not_found(what: str = "object", field: str | None = None) -> ActionError:
    """The one error for both 'missing' and 'another org's' — they must look the same."""
    return ActionError(ErrorCode.NOT_FOUND, f"{what} not found", field=field)
