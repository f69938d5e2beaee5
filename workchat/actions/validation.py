"""Input checks shared by actions; each failure is an INVALID_INPUT naming the field."""

from __future__ import annotations

import re

from workchat.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from workchat.errors import ActionError, ErrorCode

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = ("admin", "member")


def invalid(field: str, message: str) -> ActionError:
    return ActionError(ErrorCode.INVALID_INPUT, message, field=field)


def clean_text(value: str, field: str, *, min_len: int = 1, max_len: int) -> str:
    """Trim and length-check; control characters are refused."""
    cleaned = value.strip()
    if not min_len <= len(cleaned) <= max_len:
        raise invalid(field, f"{field} must be {min_len}-{max_len} characters")
    if any(ord(ch) < 32 and ch not in "\t\n" for ch in cleaned):
        raise invalid(field, f"{field} contains control characters")
    return cleaned


def clean_email(value: str, field: str = "email") -> str:
    email = value.strip().lower()
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
