"""The append-only audit trail: one entry per action, hash-chained per org
(docs/adr/0006-audit-trail.md)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ScalarSelect, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.auth.viewer import Viewer
from workchat.db.base import table_of, utcnow
from workchat.db.direct_write import execute_write
from workchat.db.models import AuditEntry

GENESIS_HASH = "0" * 64


def json_patch(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """RFC 6902 operations turning ``before`` into ``after`` (top-level fields)."""
    ops: list[dict[str, Any]] = []
    for key in sorted(set(before) | set(after)):
        path = "/" + key.replace("~", "~0").replace("/", "~1")
        if key not in after:
            ops.append({"op": "remove", "path": path})
        elif key not in before:
            ops.append({"op": "add", "path": path, "value": after[key]})
        elif before[key] != after[key]:
            ops.append({"op": "replace", "path": path, "value": after[key]})
    return ops


def make_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stored change: the JSON Patch plus the before/after values of changed fields."""
    before = dict(before or {})
    after = dict(after or {})
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    return {
        "patch": json_patch(before, after),
        "before": {k: before[k] for k in sorted(changed) if k in before},
        "after": {k: after[k] for k in sorted(changed) if k in after},
    }


# The recorded fields, in the order they are hashed (the JSON is key-sorted anyway).
HASHED_FIELDS = (
    "org_id",
    "seq",
    "actor_id",
    "via",
    "operation",
    "action",
    "target_type",
    "target_id",
    "diff",
    "request_id",
    "at",
    "prev_hash",
)


def canonical_bytes(values: Mapping[str, Any]) -> bytes:
    """The bytes that are hashed, from an entry's column values: every recorded field, in
    one fixed JSON spelling. Any change here breaks every stored chain."""
    fields = {
        "org_id": str(values["org_id"]),
        "seq": values["seq"],
        "actor_id": str(values["actor_id"]) if values["actor_id"] else None,
        "via": values["via"],
        "operation": values["operation"],
        "action": values["action"],
        "target_type": values["target_type"],
        "target_id": values["target_id"],
        "diff": values["diff"],
        "request_id": values["request_id"],
        "at": values["at"].isoformat(),
        "prev_hash": values["prev_hash"],
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_form(entry: AuditEntry) -> bytes:
    """The bytes that are hashed for a stored entry."""
    return canonical_bytes({name: getattr(entry, name) for name in HASHED_FIELDS})


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical_form(entry)).hexdigest()


async def lock_org_chain(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Serialize appends per org so concurrent transactions never fork the chain.

    SQLite writers already hold the database lock (BEGIN IMMEDIATE); PostgreSQL takes a
    transaction-scoped advisory lock keyed by the org.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(org_id.bytes[:8], "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What an action wants recorded; the chain fields are filled in at commit."""

    org_id: uuid.UUID
    action: str
    target_type: str
    target_id: str | None
    diff: dict[str, Any]


# The latest (seq, hash) of an org's chain: (0, GENESIS_HASH) before its first entry.
ChainHead = tuple[int, str]


def audit_head_sql(org_id: Any) -> tuple[ScalarSelect[int], ScalarSelect[str]]:
    """The seq and hash of the org's latest entry, as scalar subqueries (NULL if none)."""

    def newest(column: Any) -> ScalarSelect[Any]:
        query = select(column).where(AuditEntry.org_id == org_id)
        return query.order_by(AuditEntry.seq.desc()).limit(1).scalar_subquery()

    return newest(AuditEntry.seq), newest(AuditEntry.hash)


def chain_head(seq: int | None, hash_: str | None) -> ChainHead:
    return (seq, hash_) if seq is not None and hash_ is not None else (0, GENESIS_HASH)


# Built once: the statement's cache key is computed once, not per action.
_INSERT_ENTRIES = insert(table_of(AuditEntry))


async def append_entries(
    session: AsyncSession,
    viewer: Viewer,
    records: list[AuditRecord],
    heads: dict[uuid.UUID, ChainHead],
) -> None:
    """Chain ``records`` and insert them in one statement. ``heads`` holds each org's chain
    head (``audit_head_sql``) and is moved on to the entries inserted; the caller holds
    the org lock (``lock_org_chain``) until commit."""
    if not records:
        return
    at = utcnow()
    rows: list[dict[str, Any]] = []
    for record in records:
        seq, prev_hash = heads[record.org_id]
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "org_id": record.org_id,
            "seq": seq + 1,
            "actor_id": viewer.user_id,
            "via": viewer.via,
            "operation": viewer.operation,
            "action": record.action,
            "target_type": record.target_type,
            "target_id": record.target_id,
            "diff": record.diff,
            "request_id": viewer.request_id,
            "at": at,
            "prev_hash": prev_hash,
        }
        values["hash"] = hashlib.sha256(canonical_bytes(values)).hexdigest()
        heads[record.org_id] = (values["seq"], values["hash"])
        rows.append(values)
    await execute_write(session, _INSERT_ENTRIES, rows)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    org_id: uuid.UUID
    checked: int
    first_bad: AuditEntry | None
    reason: str | None


async def verify_chain(session: AsyncSession, org_id: uuid.UUID) -> ChainCheck:
    """Recompute the org's chain in order; report the first entry that does not match."""
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    result = await session.stream_scalars(
        select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.seq)
    )
    async for entry in result:
        reason = None
        if entry.seq != expected_seq:
            reason = f"expected seq {expected_seq}, found {entry.seq}"
        elif entry.prev_hash != prev_hash:
            reason = "prev_hash does not match the previous entry"
        elif entry.hash != entry_hash(entry):
            reason = "hash does not match the entry's contents"
        if reason:
            return ChainCheck(org_id, checked, entry, reason)
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    return ChainCheck(org_id, checked, None, None)
