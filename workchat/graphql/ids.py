"""Opaque Relay global IDs: base64("Type:uuid")."""

from __future__ import annotations

import base64
import binascii
import uuid

import strawberry


def to_global_id(type_name: str, id_: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{id_}".encode()).decode())


def from_global_id(global_id: str) -> tuple[str, uuid.UUID] | None:
    """Decode, or None for anything malformed (treated like a missing object)."""
    try:
        raw = base64.urlsafe_b64decode(global_id.encode() + b"=" * (-len(global_id) % 4))
        type_name, _, raw_id = raw.decode().partition(":")
        return type_name, uuid.UUID(raw_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def decode_id(global_id: str, expected_type: str) -> uuid.UUID | None:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != expected_type:
        return None
    return decoded[1]
