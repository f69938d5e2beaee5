"""Input checks shared by actions; each failure is an INVALID_INPUT naming the field."""

from __future__ import annotations

import re

from workchat.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from workchat.errors import ActionError, ErrorCode
from workchat.text import TextKind, kind_of, violation

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = ("admin", "member")


def invalid(field: str, message: str) -> ActionError:
    return ActionError(ErrorCode.INVALID_INPUT, message, field=field)


def check_text(value: str, field: str, kind: TextKind | None = None) -> str:
    """The text rule (``workchat.text``) for callers that bypass GraphQL (CLI, seeds).

    GraphQL already refused such text at its boundary; here it is a second line, so no
    entry point can store a NUL or an invisible character in a name.
    """
    reason = violation(value, kind or kind_of(field))
    if reason is not None:
        raise invalid(field, f"{field} {reason}")
    return value


def clean_text(value: str, field: str, *, min_len: int = 1, max_len: int) -> str:
    """Trim, length-check and apply the text rule for the field's kind."""
    cleaned = check_text(value.strip(), field)
    if not min_len <= len(cleaned) <= max_len:
        raise invalid(field, f"{field} must be {min_len}-{max_len} characters")
    return cleaned


def clean_email(value: str, field: str = "email") -> str:
    email = check_text(value.strip(), field, TextKind.IDENTIFIER).lower()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise invalid(field, "email is not a valid address")
    return email


def check_password(value: str, field: str = "password") -> str:
    if not MIN_PASSWORD_LENGTH <= len(value) <= MAX_PASSWORD_LENGTH:
        raise invalid(
            field,
            f"password must be {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters",
        )
    return value


def check_role(value: str, field: str = "role") -> str:
    if value not in ROLES:
        raise invalid(field, "role must be admin or member")
    return value
