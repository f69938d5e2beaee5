"""The append-only audit trail: one entry per action, hash-chained per org
(docs/adr/0006-audit-trail.md)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.auth.viewer import Viewer
from workchat.db.base import utcnow
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


def canonical_form(entry: AuditEntry) -> bytes:
    """The bytes that are hashed: every recorded field, in one fixed JSON spelling."""
    fields = {
        "org_id": str(entry.org_id),
        "seq": entry.seq,
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "via": entry.via,
        "operation": entry.operation,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "diff": entry.diff,
        "request_id": entry.request_id,
        "at": entry.at.isoformat(),
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


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


async def append_entries(
    session: AsyncSession, viewer: Viewer, records: list[AuditRecord]
) -> list[AuditEntry]:
    """Chain and insert ``records``; the caller holds the org lock (``lock_org_chain``)."""
    entries: list[AuditEntry] = []
    heads: dict[uuid.UUID, tuple[int, str]] = {}
    for record in records:
        if record.org_id not in heads:
            row = (
                await session.execute(
                    select(AuditEntry.seq, AuditEntry.hash)
                    .where(AuditEntry.org_id == record.org_id)
                    .order_by(AuditEntry.seq.desc())
                    .limit(1)
                )
            ).first()
            heads[record.org_id] = (row.seq, row.hash) if row else (0, GENESIS_HASH)
        seq, prev_hash = heads[record.org_id]
        entry = AuditEntry(
            id=uuid.uuid4(),
            org_id=record.org_id,
            seq=seq + 1,
            actor_id=viewer.user_id,
            via=viewer.via,
            operation=viewer.operation,
            action=record.action,
            target_type=record.target_type,
            target_id=record.target_id,
            diff=record.diff,
            request_id=viewer.request_id,
            at=utcnow(),
            prev_hash=prev_hash,
        )
        entry.hash = entry_hash(entry)
        heads[record.org_id] = (entry.seq, entry.hash)
        session.add(entry)
        entries.append(entry)
    return entries


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
