"""Cursors are opaque, bound to their org, and decode to explicit outcomes."""

from __future__ import annotations

import base64
import uuid

import pytest

from workchat.events.cursor import CursorOutcome, decode_cursor, encode_cursor


def test_round_trip() -> None:
    org = uuid.uuid4()
    for seq in (0, 1, 42, 2**62):
        decoded = decode_cursor(encode_cursor(org, seq), org)
        assert (decoded.outcome, decoded.seq, decoded.is_valid) == (CursorOutcome.VALID, seq, True)


def test_cursor_is_opaque_and_url_safe() -> None:
    cursor = encode_cursor(uuid.uuid4(), 12345)
    assert "12345" not in cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_another_orgs_cursor_is_refused_without_its_position() -> None:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    decoded = decode_cursor(encode_cursor(theirs, 7), mine)
    assert decoded.outcome is CursorOutcome.OTHER_ORG
    assert decoded.seq is None
    assert not decoded.is_valid


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("raw", "suffix"),
    [
        (None, ""),  # empty
        ("e2:{org}:5", ""),  # unknown version
        ("e1:{org}:-5", ""),
        ("e1:{org}:5:6", ""),
        ("e1:{org}:x", ""),
        ("e1:nothex:5", ""),
        ("e1:{org}:007", ""),  # not the one spelling of 7
        ("e1:{org}:5", "=="),  # padded
        ("e1:{org}:\u0665", ""),  # a non-ASCII digit
    ],
)
def test_malformed_cursors(raw: str | None, suffix: str) -> None:
    org = uuid.uuid4()
    cursor = "" if raw is None else _b64(raw.replace("{org}", org.hex)) + suffix
    decoded = decode_cursor(cursor, org)
    assert decoded.outcome is CursorOutcome.MALFORMED
    assert decoded.seq is None


@pytest.mark.parametrize("cursor", ["not a cursor", "%%%", "A" * 500, "ZTE6"])
def test_garbage_is_malformed(cursor: str) -> None:
    assert decode_cursor(cursor, uuid.uuid4()).outcome is CursorOutcome.MALFORMED
