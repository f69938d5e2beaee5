"""Hot-path writes handed straight to SQLite inside a write batch store exactly what
SQLAlchemy would, answer RETURNING alike, raise SQLAlchemy's errors, and stay inside their
writer's savepoint; everywhere else they take the normal path."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, column, event, insert, table, text, update
from sqlalchemy.exc import IntegrityError

from tests.support.personas import Personas
from tests.support.statements import sqlite_statement_threads
from workchat.db import direct_write
from workchat.db.base import table_of
from workchat.db.direct_write import execute_write
from workchat.db.models import Channel, Event, User
from workchat.services import Services

EVENTS = table_of(Event)
CHANNELS = table_of(Channel)
INSERT_EVENT = insert(EVENTS).returning(EVENTS.c.seq)
NEXT_SEQ = (
    update(CHANNELS)
    .where(CHANNELS.c.org_id == bindparam("org"), CHANNELS.c.name == "general")
    .values(last_seq=CHANNELS.c.last_seq + 1)
    .returning(CHANNELS.c.last_seq)
)
HOP = table("hop_direct", column("id"), column("v"))
INSERT_HOP = insert(HOP)


def event_values(personas: Personas) -> dict[str, Any]:
    return {
        "org_id": personas.alice.org_id,
        "channel_id": None,
        "user_id": personas.bob.id,
        "type": "Direct",
        "payload": {"é": [1, 2.5, None], "text": "naïve \u2028 line"},
        "created_at": datetime(2026, 12, 3, 15, 30, 1, 123456, tzinfo=UTC),
    }


async def test_a_direct_row_is_stored_as_sqlalchemy_stores_it(
    backend: str, services: Services, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same values, once through execute_write and once through session.execute: the
    stored columns are identical, byte for byte (UUIDs, JSON, the datetime's format). On
    SQLite the first went direct; on PostgreSQL both took the normal path."""
    values = event_values(personas)
    with sqlite_statement_threads(monkeypatch) as seen:
        async with services.db.write_session() as session, session.begin():
            [(direct_seq,)] = await execute_write(session, INSERT_EVENT, values)
            normal_seq = (await session.execute(INSERT_EVENT, values)).scalar_one()
    if backend == "sqlite":
        # Only the session.execute one went through SQLAlchemy's cursor.
        assert [word for _, word in seen].count("INSERT") == 1
    assert isinstance(direct_seq, int) and normal_seq == direct_seq + 1
    stored = text(
        "SELECT org_id, channel_id, user_id, type, CAST(payload AS TEXT), "
        "CAST(created_at AS TEXT) FROM events WHERE seq IN (:a, :b) ORDER BY seq"
    )
    async with services.db.read_session() as session:
        direct_row, normal_row = (
            await session.execute(stored, {"a": direct_seq, "b": normal_seq})
        ).all()
    assert tuple(direct_row) == tuple(normal_row)


async def test_returning_and_several_rows(
    backend: str, services: Services, personas: Personas
) -> None:
    org_id = personas.alice.org_id
    async with services.db.write_session() as session, session.begin():
        [(first,)] = await execute_write(session, NEXT_SEQ, {"org": org_id})
        [(second,)] = await execute_write(session, NEXT_SEQ, {"org": org_id})
        rows = [event_values(personas), {**event_values(personas), "type": "Second"}]
        seqs = await execute_write(session, INSERT_EVENT, rows)
    assert second == first + 1
    assert [seq for (seq,) in seqs] == sorted(seq for (seq,) in seqs) and len(seqs) == 2
    async with services.db.read_session() as session:
        types = (
            await session.execute(
                text("SELECT type FROM events WHERE seq IN (:a, :b) ORDER BY seq"),
                {"a": seqs[0][0], "b": seqs[1][0]},
            )
        ).scalars()
        assert list(types) == ["Direct", "Second"]


async def test_a_failing_direct_statement_rolls_back_only_its_writer(
    backend: str, services: Services
) -> None:
    """Writer B's first statement is direct (the session has not opened its SAVEPOINT yet),
    its second breaks a key: B gets IntegrityError and neither of its rows stays; writer A,
    in the same batch, keeps its row."""
    if backend != "sqlite":
        pytest.skip("SQLite only: elsewhere execute_write is session.execute")
    async with services.db.write_session() as session, session.begin():
        await session.execute(text("CREATE TABLE hop_direct (id INTEGER PRIMARY KEY, v TEXT)"))
        await session.execute(text("INSERT INTO hop_direct VALUES (1, 'before')"))
    b_started = asyncio.Event()

    async def writer_a() -> None:
        await b_started.wait()
        async with services.db.write_session() as session, session.begin():
            await execute_write(session, INSERT_HOP, {"id": 10, "v": "a"})

    async def writer_b() -> None:
        async with services.db.write_session() as session, session.begin():
            b_started.set()
            await execute_write(session, INSERT_HOP, {"id": 20, "v": "b"})
            await asyncio.sleep(0)  # writer A queues behind B: the same batch
            await execute_write(session, INSERT_HOP, {"id": 1, "v": "again"})

    outcomes = await asyncio.gather(writer_b(), writer_a(), return_exceptions=True)
    assert isinstance(outcomes[0], IntegrityError) and outcomes[1] is None
    async with services.db.read_session() as session:
        stored = (await session.execute(text("SELECT id, v FROM hop_direct ORDER BY id"))).all()
    assert [tuple(row) for row in stored] == [(1, "before"), (10, "a")]


async def test_observed_statements_take_the_normal_path(
    backend: str, services: Services, personas: Personas
) -> None:
    """Whoever listens for cursor events (statement counters) sees every statement."""
    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split()[0].upper())

    engine = services.db.write_engine.sync_engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        async with services.db.write_session() as session, session.begin():
            await execute_write(session, INSERT_EVENT, event_values(personas))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert "INSERT" in seen


def test_statements_with_python_side_defaults_are_not_planned(services: Services) -> None:
    """A users INSERT without ``id`` needs SQLAlchemy's default at execution time: no plan,
    so execute_write sends it the normal way; with every column given, a plan."""
    dialect = services.db.write_engine.dialect
    users = insert(table_of(User))
    everything = frozenset(column.key for column in table_of(User).columns)
    assert direct_write._make_plan(users, everything - {"id"}, dialect) is None
    assert direct_write._make_plan(users, everything, dialect) is not None
    expanding = update(HOP).where(HOP.c.id.in_(bindparam("ids", expanding=True)))
    assert direct_write._make_plan(expanding.values(v="x"), frozenset({"ids"}), dialect) is None


async def test_a_session_past_its_turn_does_not_write_directly(
    backend: str, services: Services, personas: Personas
) -> None:
    """A writer's session kept after its turn no longer holds a transaction: while the next
    batch runs on the same sqlite3 connection, execute_write does not reach for it."""
    if backend != "sqlite":
        pytest.skip("SQLite only: elsewhere execute_write is session.execute")
    async with services.db.write_session() as session, session.begin():
        await execute_write(session, INSERT_EVENT, event_values(personas))
        kept = session
    async with services.db.write_session() as session, session.begin():
        await execute_write(session, INSERT_EVENT, event_values(personas))
        assert kept.info[direct_write.RAW_SQLITE] is session.info[direct_write.RAW_SQLITE]
        assert direct_write._direct_connection(session) is not None
        assert direct_write._direct_connection(kept) is None
