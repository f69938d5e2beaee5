"""Signed checkpoints that anchor each org's audit chain outside the database
(docs/adr/0013-audit-checkpoints.md).

The hash chain (``workchat.audit``) shows that entries were changed, unless whoever changed
them also recomputed every later hash, or simply deleted the newest entries: both leave a
chain that verifies. A checkpoint is a line kept elsewhere that says "org O's chain had
entry ``seq`` with ``hash`` at time T", signed with HMAC-SHA256 under a key that is not in
the database. Verifying against checkpoints turns both attacks into visible breaks.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.audit import GENESIS_HASH
from workchat.db.base import utcnow
from workchat.db.engine import Database
from workchat.db.models import AuditEntry, Org
from workchat.settings import MIN_SECRET_BYTES, PREFIX, Settings

log = logging.getLogger(__name__)

VERSION = "wcap1"  # bump when the signed fields change


class CheckpointError(ValueError):
    """No usable key, or a line that is not a checkpoint."""


def checkpoint_key(settings: Settings) -> bytes:
    """The signing key: ``WORKCHAT_AUDIT_CHECKPOINT_KEY``, else the key file's contents."""
    if settings.audit_checkpoint_key:
        key = settings.audit_checkpoint_key.encode()
    elif settings.audit_checkpoint_key_file is not None:
        try:
            key = settings.audit_checkpoint_key_file.read_bytes().strip()
        except OSError as exc:
            raise CheckpointError(
                f"cannot read {PREFIX}AUDIT_CHECKPOINT_KEY_FILE: {exc.strerror}"
            ) from None
    else:
        raise CheckpointError(
            f"set {PREFIX}AUDIT_CHECKPOINT_KEY or {PREFIX}AUDIT_CHECKPOINT_KEY_FILE "
            "(a secret kept outside the database)"
        )
    if len(key) < MIN_SECRET_BYTES:
        raise CheckpointError(f"the audit checkpoint key must be at least {MIN_SECRET_BYTES} bytes")
    return key


@dataclass(frozen=True, slots=True)
class Checkpoint:
    org_id: uuid.UUID
    seq: int
    hash: str
    at: datetime
    signature: str = ""
    source: str = ""  # where the line came from, for reports

    def signed_text(self) -> bytes:
        return f"{VERSION}|{self.org_id}|{self.seq}|{self.hash}|{self.at.isoformat()}".encode()

    def line(self) -> str:
        return (
            f"{VERSION} org={self.org_id} seq={self.seq} hash={self.hash} "
            f"at={self.at.isoformat()} sig={self.signature}"
        )

    def signed(self, key: bytes) -> Checkpoint:
        signature = hmac.new(key, self.signed_text(), hashlib.sha256).hexdigest()
        return Checkpoint(self.org_id, self.seq, self.hash, self.at, signature, self.source)

    def signature_ok(self, key: bytes) -> bool:
        expected = hmac.new(key, self.signed_text(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.signature)


def parse_line(line: str, source: str = "") -> Checkpoint:
    """A checkpoint line as ``line()`` writes it; anything else is a CheckpointError."""
    parts = line.split()
    if not parts or parts[0] != VERSION:
        raise CheckpointError(f"{source or 'line'}: not a {VERSION} checkpoint")
    fields = dict(part.partition("=")[::2] for part in parts[1:])
    try:
        checkpoint = Checkpoint(
            org_id=uuid.UUID(fields["org"]),
            seq=int(fields["seq"]),
            hash=fields["hash"],
            at=datetime.fromisoformat(fields["at"]),
            signature=fields["sig"],
            source=source,
        )
    except (KeyError, ValueError):
        raise CheckpointError(f"{source or 'line'}: malformed checkpoint") from None
    if checkpoint.seq < 0 or len(checkpoint.hash) != 64:
        raise CheckpointError(f"{source or 'line'}: malformed checkpoint")
    return checkpoint


def read_file(path: Path) -> list[Checkpoint]:
    """Every checkpoint in a file; blank lines and ``#`` comments are skipped."""
    checkpoints: list[Checkpoint] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.strip() and not raw.lstrip().startswith("#"):
            checkpoints.append(parse_line(raw, f"{path}:{number}"))
    return checkpoints


def append(path: Path, checkpoints: Iterable[Checkpoint]) -> None:
    """Append lines and fsync: a checkpoint only counts once it is on disk."""
    text = "".join(checkpoint.line() + "\n" for checkpoint in checkpoints)
    if not text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


async def heads(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Checkpoint]:
    """Each org's chain head now (seq 0 and the genesis hash for an empty chain), unsigned."""
    now = utcnow()
    result: dict[uuid.UUID, Checkpoint] = {}
    for org_id in org_ids:
        row = (
            await session.execute(
                select(AuditEntry.seq, AuditEntry.hash)
                .where(AuditEntry.org_id == org_id)
                .order_by(AuditEntry.seq.desc())
                .limit(1)
            )
        ).first()
        seq, head = (row.seq, row.hash) if row else (0, GENESIS_HASH)
        result[org_id] = Checkpoint(org_id, seq, head, now)
    return result


async def take_checkpoints(
    db: Database, key: bytes, org_ids: Iterable[uuid.UUID] | None = None
) -> list[Checkpoint]:
    """Signed checkpoints of the given orgs' heads (every org when None)."""
    async with db.read_session() as session:
        if org_ids is None:
            org_ids = list(await session.scalars(select(Org.id).order_by(Org.name)))
        return [head.signed(key) for head in (await heads(session, org_ids)).values()]


# Verifying ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: the org it concerns (None for a checkpoint that names no known org or
    whose signature fails) and what is wrong."""

    org_id: uuid.UUID | None
    message: str


async def check_against(
    session: AsyncSession, org_id: uuid.UUID, checkpoints: list[Checkpoint]
) -> list[Finding]:
    """Compare an org's chain with its (already authenticated) checkpoints, oldest first;
    checkpoints of other orgs are ignored.

    - the chain ends below a checkpoint's seq: newest entries were deleted;
    - the entry at a checkpoint's seq has another hash: entries up to it were rewritten
      (edited, reordered, inserted or deleted, and the chain recomputed);
    - a later checkpoint with a lower seq than an earlier one: the chain was cut back
      between the two, and has grown again since.
    """
    findings: list[Finding] = []
    ordered = sorted((c for c in checkpoints if c.org_id == org_id), key=lambda c: c.at)
    head = (
        await session.execute(
            select(AuditEntry.seq)
            .where(AuditEntry.org_id == org_id)
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        )
    ).scalar_one_or_none() or 0
    wanted = {c.seq for c in ordered if 0 < c.seq <= head}
    stored = dict(
        (
            await session.execute(
                select(AuditEntry.seq, AuditEntry.hash).where(
                    AuditEntry.org_id == org_id, AuditEntry.seq.in_(wanted)
                )
            )
        ).all()
    )
    highest: Checkpoint | None = None
    for checkpoint in ordered:
        taken = checkpoint.at.isoformat(timespec="seconds")
        if highest is not None and checkpoint.seq < highest.seq:
            findings.append(
                Finding(
                    org_id,
                    f"checkpoint of {taken} has seq {checkpoint.seq}, below seq {highest.seq} "
                    "of an earlier one: the chain was cut back in between",
                )
            )
        if highest is None or checkpoint.seq > highest.seq:
            highest = checkpoint
        if checkpoint.seq > head:
            findings.append(
                Finding(
                    org_id,
                    f"chain ends at seq {head}, but the checkpoint of {taken} vouches for "
                    f"seq {checkpoint.seq}: entries were deleted",
                )
            )
        elif checkpoint.seq == 0:
            continue
        elif stored.get(checkpoint.seq) != checkpoint.hash:
            findings.append(
                Finding(
                    org_id,
                    f"entry seq={checkpoint.seq} does not have the hash the checkpoint of "
                    f"{taken} recorded: entries up to it were rewritten",
                )
            )
    return findings


def authenticate(
    checkpoints: Iterable[Checkpoint], key: bytes
) -> tuple[list[Checkpoint], list[Finding]]:
    """Split checkpoints into those the key signed and findings for the forged ones."""
    good: list[Checkpoint] = []
    forged: list[Finding] = []
    for checkpoint in checkpoints:
        if checkpoint.signature_ok(key):
            good.append(checkpoint)
        else:
            where = checkpoint.source or "a checkpoint"
            forged.append(
                Finding(
                    None,
                    f"FORGED checkpoint ({where}, org {checkpoint.org_id}, seq "
                    f"{checkpoint.seq}): its signature does not match",
                )
            )
    return good, forged


# The server's periodic checkpointer -------------------------------------------------------


async def run_checkpointer(db: Database, settings: Settings, key: bytes) -> None:
    """Append checkpoints of heads that moved, every interval, until cancelled."""
    assert settings.audit_checkpoint_file is not None
    last: dict[uuid.UUID, tuple[int, str]] = {}
    while True:
        try:
            last = await checkpoint_changed(db, key, settings.audit_checkpoint_file, last)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("writing audit checkpoints failed; retrying next interval")
        await asyncio.sleep(settings.audit_checkpoint_interval_seconds)


async def checkpoint_changed(
    db: Database, key: bytes, path: Path, last: dict[uuid.UUID, tuple[int, str]]
) -> dict[uuid.UUID, tuple[int, str]]:
    """Append a checkpoint for each org whose head differs from ``last``; returns the
    heads now recorded (so a quiet org adds no lines)."""
    taken = await take_checkpoints(db, key)
    moved = [c for c in taken if last.get(c.org_id) != (c.seq, c.hash)]
    await asyncio.to_thread(append, path, moved)
    return {c.org_id: (c.seq, c.hash) for c in taken}
