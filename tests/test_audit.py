"""The audit trail is append-only in the database and hash-chained per org."""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.support.db import audit_entries
from tests.support.personas import Personas
from tests.support.settings import PASSWORD
from workchat.actions.users import create_user
from workchat.audit import (
    GENESIS_HASH,
    AuditRecord,
    append_entries,
    entry_hash,
    json_patch,
    make_diff,
    verify_chain,
)
from workchat.auth.viewer import Viewer, system
from workchat.db.models import AuditEntry
from workchat.services import Services


def test_json_patch_is_rfc6902() -> None:
    before = {"a": 1, "b": "x", "gone": True, "a/b": 1}
    after = {"a": 2, "b": "x", "new": [1], "a/b": 2}
    assert json_patch(before, after) == [
        {"op": "replace", "path": "/a", "value": 2},
        {"op": "replace", "path": "/a~1b", "value": 2},
        {"op": "remove", "path": "/gone"},
        {"op": "add", "path": "/new", "value": [1]},
    ]


def test_make_diff_keeps_only_changed_fields() -> None:
    diff = make_diff({"role": "member", "email": "a@x.io"}, {"role": "admin", "email": "a@x.io"})
    assert diff == {
        "patch": [{"op": "replace", "path": "/role", "value": "admin"}],
        "before": {"role": "member"},
        "after": {"role": "admin"},
    }


# Two entries and their hashes as the first release of the chain computed them: every
# stored chain depends on these exact bytes.
KNOWN_ENTRIES = [
    (
        {
            "org_id": uuid.UUID("0b7c4a52-3f7e-4a8e-9c1d-2f7a8e9b6c11"),
            "seq": 42,
            "actor_id": uuid.UUID("5d4c3b2a-1908-4f7e-8d6c-5b4a39281706"),
            "via": "api",
            "operation": "postMessage",
            "action": "message.post",
            "target_type": "message",
            "target_id": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
            "diff": make_diff(
                None,
                {
                    "body": "héllo “wörld” 👋 \n\t<&>",
                    "channel_id": "c",
                    "n": 3,
                    "flag": True,
                    "none": None,
                },
            ),
            "request_id": "req-123",
            "at": datetime(2026, 12, 3, 7, 8, 9, 123456, tzinfo=UTC),
            "prev_hash": "ab" * 32,
        },
        "f343ac1efa1bd3dd5182f5dc52a523ce4ad85ce1cd90c0d497fb75c186c02a83",
    ),
    (
        {
            "org_id": uuid.UUID(int=1),
            "seq": 1,
            "actor_id": None,
            "via": "cli",
            "operation": None,
            "action": "org.create",
            "target_type": "org",
            "target_id": None,
            "diff": make_diff({"a": 1}, {}),
            "request_id": None,
            "at": datetime(2026, 1, 1, tzinfo=UTC),
            "prev_hash": GENESIS_HASH,
        },
        "5446c59cdf5861f6417ca5cca4b13eef91f99cdac9a2796a0eeee49e1511b7e0",
    ),
]


@pytest.mark.parametrize(("values", "expected"), KNOWN_ENTRIES)
def test_the_hash_of_a_known_entry_never_changes(values: dict[str, Any], expected: str) -> None:
    assert entry_hash(AuditEntry(**values)) == expected


class _Capture:
    """Stands in for the session: keeps the rows ``append_entries`` inserts."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.info: dict[str, Any] = {}  # no group-commit writer: the plain execute path

    async def execute(self, _statement: object, rows: list[dict[str, Any]]) -> Any:
        self.rows.extend(rows)
        return SimpleNamespace(returns_rows=False)


@pytest.mark.parametrize(("values", "expected"), KNOWN_ENTRIES)
async def test_appending_hashes_the_bytes_verification_hashes(
    values: dict[str, Any], expected: str
) -> None:
    """The append path hashes the values it inserts, verification the stored row: given the
    known entry's fields, the inserted row carries the known hash."""
    org_id = values["org_id"]
    viewer = Viewer(
        user_id=values["actor_id"],
        org_id=org_id,
        via=values["via"],
        operation=values["operation"],
        request_id=values["request_id"],
    )
    record = AuditRecord(
        org_id=org_id,
        action=values["action"],
        target_type=values["target_type"],
        target_id=values["target_id"],
        diff=values["diff"],
    )
    heads = {org_id: (values["seq"] - 1, values["prev_hash"])}
    session = _Capture()
    with mock.patch("workchat.audit.utcnow", return_value=values["at"]):
        await append_entries(session, viewer, [record], heads)  # type: ignore[arg-type]
    [row] = session.rows
    assert {name: row[name] for name in values} == values
    assert row["hash"] == expected
    assert heads[org_id] == (values["seq"], expected)


async def test_chain_links_every_entry(services: Services, personas: Personas) -> None:
    entries = await audit_entries(services, personas.alice.org_id)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == GENESIS_HASH
    for previous, entry in itertools.pairwise(entries):
        assert entry.prev_hash == previous.hash
    async with services.db.read_session() as session:
        check = await verify_chain(session, personas.alice.org_id)
    assert check.first_bad is None
    assert check.checked == len(entries)


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"]
)
async def test_database_refuses_update_and_delete(
    services: Services, personas: Personas, statement: str
) -> None:
    before = await audit_entries(services, personas.alice.org_id)
    with pytest.raises(DBAPIError, match="append-only"):
        async with services.db.write_session() as session, session.begin():
            await session.execute(text(statement))
    after = await audit_entries(services, personas.alice.org_id)
    assert [(e.id, e.action) for e in after] == [(e.id, e.action) for e in before]


async def test_postgres_refuses_truncate(
    services: Services, personas: Personas, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    with pytest.raises(DBAPIError, match="append-only"):
        async with services.db.write_session() as session, session.begin():
            await session.execute(text("TRUNCATE audit_entries CASCADE"))
    assert await audit_entries(services, personas.alice.org_id)


async def _tamper(services: Services, backend: str, entry_id: object, field: str) -> None:
    """Change one stored entry behind the triggers' back: drop, edit, restore."""
    async with services.db.write_session() as session, session.begin():
        if backend == "sqlite":
            await session.execute(text("DROP TRIGGER audit_entries_no_update"))
        else:
            await session.execute(
                text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change")
            )
        id_value = entry_id.hex if backend == "sqlite" else entry_id  # type: ignore[attr-defined]
        if field == "action":
            await session.execute(
                text("UPDATE audit_entries SET action = 'forged' WHERE id = :id"), {"id": id_value}
            )
        else:
            await session.execute(
                text("UPDATE audit_entries SET request_id = 'forged' WHERE id = :id"),
                {"id": id_value},
            )
        if backend == "sqlite":
            await session.execute(
                text(
                    "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
                    "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"
                )
            )
        else:
            await session.execute(
                text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_change")
            )


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_verify_names_the_tampered_entry(
    services: Services, personas: Personas, backend: str, seed: int
) -> None:
    operator = system()
    for index in range(6):
        await create_user(
            services,
            operator,
            org_id=personas.alice.org_id,
            email=f"u{index}@example.com",
            display_name=f"U{index}",
            password=PASSWORD,
        )
    entries = await audit_entries(services, personas.alice.org_id)
    victim = random.Random(seed).choice(entries)
    await _tamper(
        services, backend, victim.id, random.Random(seed).choice(["action", "request_id"])
    )
    async with services.db.read_session() as session:
        check = await verify_chain(session, personas.alice.org_id)
        other_org = await verify_chain(session, personas.eve.org_id)
    assert check.first_bad is not None
    assert check.first_bad.id == victim.id
    assert check.checked == victim.seq - 1
    assert other_org.first_bad is None


async def test_concurrent_appends_never_fork_the_chain(
    services: Services, personas: Personas
) -> None:
    operator = system()
    await asyncio.gather(
        *(
            create_user(
                services,
                operator,
                org_id=personas.alice.org_id,
                email=f"c{i}@example.com",
                display_name=f"C{i}",
                password=PASSWORD,
            )
            for i in range(12)
        )
    )
    entries = await audit_entries(services, personas.alice.org_id)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    async with services.db.read_session() as session:
        assert (await verify_chain(session, personas.alice.org_id)).first_bad is None
