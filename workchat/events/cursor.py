"""Event cursors: the opaque strings clients pass back as ``after`` to resume a subscription.

A cursor names one position (an event ``seq``) in one org's log. It is the URL-safe base64 of
a versioned string, ``e1:<org id hex>:<seq>``, without padding::

    cursor = encode_cursor(org_id, event.seq)
    decoded = decode_cursor(cursor, viewer_org_id)
    if decoded.outcome is not CursorOutcome.VALID:
        ...  # one error for both MALFORMED and OTHER_ORG: never reveal which
    replay_after = decoded.seq

A cursor from another org is reported separately only so that a caller can log it; clients
must see it exactly like a malformed one.
"""

from __future__ import annotations

import base64
import binascii
import enum
import uuid
from dataclasses import dataclass

VERSION = "e1"
# Audit cursors name a position in the org's audit chain (``AuditEntry.seq``): another
# prefix, so an event cursor is never mistaken for one.
AUDIT_VERSION = "a1"


class CursorOutcome(enum.Enum):
    VALID = "valid"
    MALFORMED = "malformed"
    OTHER_ORG = "other_org"


@dataclass(frozen=True, slots=True)
class DecodedCursor:
    outcome: CursorOutcome
    # The position after which to resume; only set when the outcome is VALID.
    seq: int | None = None

    @property
    def is_valid(self) -> bool:
        return self.outcome is CursorOutcome.VALID


MALFORMED = DecodedCursor(CursorOutcome.MALFORMED)


def encode_cursor(org_id: uuid.UUID, seq: int, *, version: str = VERSION) -> str:
    raw = f"{version}:{org_id.hex}:{seq}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, org_id: uuid.UUID, *, version: str = VERSION) -> DecodedCursor:
    """Decode ``cursor`` for a viewer of ``org_id``; never raises."""
    if not cursor or len(cursor) > 128:
        return MALFORMED
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return MALFORMED
    parts = raw.split(":")
    if len(parts) != 3 or parts[0] != version or not parts[2].isdigit():
        return MALFORMED
    try:
        cursor_org = uuid.UUID(hex=parts[1])
    except ValueError:
        return MALFORMED
    # Re-encoding must give the same string: one spelling per position (no "007", no padding).
    if encode_cursor(cursor_org, int(parts[2]), version=version) != cursor:
        return MALFORMED
    if cursor_org != org_id:
        return DecodedCursor(CursorOutcome.OTHER_ORG)
    return DecodedCursor(CursorOutcome.VALID, int(parts[2]))


def encode_audit_cursor(org_id: uuid.UUID, seq: int) -> str:
    return encode_cursor(org_id, seq, version=AUDIT_VERSION)


def decode_audit_cursor(cursor: str, org_id: uuid.UUID) -> DecodedCursor:
    return decode_cursor(cursor, org_id, version=AUDIT_VERSION)
