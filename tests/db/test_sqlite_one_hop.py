"""SQLite statements make one trip to aiosqlite's worker thread each, and still answer what
SQLAlchemy reads back: rows, rowcount, lastrowid, and the DBAPI's errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.statements import sqlite_statement_threads
from workchat.db import sqlite_one_hop
from workchat.services import Services


@pytest.fixture(autouse=True)
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite only")


@contextmanager
def counting_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every function aiosqlite runs on a connection's worker thread while inside."""
    trips: list[Any] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(fn)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield trips


async def test_a_statement_is_one_trip(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    async with services.db.read_session() as session:
        await session.execute(text("SELECT 1"))  # BEGIN and a pooled connection, first
        with counting_trips(monkeypatch) as trips:
            rows = (await session.execute(text("SELECT 1 UNION ALL SELECT 2"))).all()
        assert [tuple(row) for row in rows] == [(1,), (2,)]
        assert len(trips) == 1


async def test_rowcount_lastrowid_and_errors(services: Services) -> None:
    async with services.db.write_session() as session, session.begin():
        await session.execute(text("CREATE TEMP TABLE hop (id INTEGER PRIMARY KEY, v TEXT)"))
        inserted = await session.execute(text("INSERT INTO hop (v) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await session.execute(text("INSERT INTO hop (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}])
        updated = await session.execute(text("UPDATE hop SET v = 'z' WHERE id > 1"))
        assert updated.rowcount == 2
        returned = await session.execute(text("DELETE FROM hop WHERE id = 3 RETURNING v"))
        assert returned.scalar_one() == "z"
        values = (await session.execute(text("SELECT v FROM hop ORDER BY id"))).scalars()
        assert list(values) == ["a", "z"]
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await session.execute(text("INSERT INTO hop (id, v) VALUES (1, 'again')"))
        assert (await session.execute(text("SELECT count(*) FROM hop"))).scalar_one() == 2
        await session.execute(text("DROP TABLE temp.hop"))


async def test_a_read_session_is_two_trips(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BEGIN travels with the first statement; ROLLBACK once, not again on return to the
    pool. The old path made four trips: BEGIN, SELECT, ROLLBACK, ROLLBACK."""
    async with services.db.read_session() as session:
        await session.execute(text("SELECT 1"))  # a pooled connection, first
    with counting_trips(monkeypatch) as trips:
        async with services.db.read_session() as session:
            await session.execute(text("SELECT 1"))
            assert len(trips) == 1
            raw = await (await session.connection()).get_raw_connection()
            assert raw.driver_connection is not None
            assert raw.driver_connection._conn.in_transaction
            await session.execute(text("SELECT 2"))
    assert len(trips) == 3


async def _count(session: AsyncSession, streamed: bool) -> int:
    query = text("SELECT count(*) FROM hop_snap")
    if streamed:
        return int((await (await session.stream_scalars(query)).all())[0])
    return int((await session.execute(query)).scalar_one())


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_read_transaction_sees_one_snapshot(services: Services, streamed: bool) -> None:
    """The deferred BEGIN still opens the transaction: a read sees no write committed after
    its first statement, also through a server-side (streamed) cursor."""
    async with services.db.write_session() as session, session.begin():
        await session.execute(text("CREATE TABLE hop_snap (v INTEGER)"))
    async with services.db.read_session() as reader:
        assert await _count(reader, streamed) == 0
        async with services.db.write_session() as session, session.begin():
            await session.execute(text("INSERT INTO hop_snap VALUES (1)"))
        assert await _count(reader, streamed) == 0
    async with services.db.read_session() as reader:
        assert await _count(reader, streamed) == 1


async def test_a_write_batch_runs_its_statements_on_the_event_loop_thread(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the batch holds the write lock its statements skip the trip to the worker thread;
    the BEGIN IMMEDIATE travels (it may wait for another process), and the COMMIT is a trip
    of its own (it may checkpoint)."""
    async with services.db.write_session() as session, session.begin():
        await session.execute(text("CREATE TABLE hop_inline (v INTEGER)"))
    commits: list[bool] = []
    original_commit = aiosqlite.Connection.commit

    async def commit(self: aiosqlite.Connection) -> None:
        commits.append(self.__dict__.get(sqlite_one_hop._INLINE, False))
        await original_commit(self)

    monkeypatch.setattr(aiosqlite.Connection, "commit", commit)
    with sqlite_statement_threads(monkeypatch) as seen:
        async with services.db.write_session() as session, session.begin():
            await session.execute(text("INSERT INTO hop_inline VALUES (1)"))
            await session.execute(text("UPDATE hop_inline SET v = 2"))
    assert commits == [False]  # the COMMIT went to the worker thread, inline switched off
    assert seen[0] == (False, "PRAGMA")  # with the deferred BEGIN IMMEDIATE: a trip
    assert seen[1:] == [(True, "SAVEPOINT"), (True, "INSERT"), (True, "UPDATE"), (True, "RELEASE")]
    async with services.db.read_session() as session:
        await session.execute(text("SELECT 1"))  # a pooled connection, first
    with sqlite_statement_threads(monkeypatch) as seen:
        async with services.db.read_session() as session:
            assert (await session.execute(text("SELECT v FROM hop_inline"))).scalar_one() == 2
    assert seen == [(False, "SELECT")]


async def test_a_failed_inline_statement_rolls_back_only_its_writer(services: Services) -> None:
    """An error raised on the event loop's thread is the DBAPI's error as before: the
    writer's savepoint rolls back, the batch and the next writer go on."""
    async with services.db.write_session() as session, session.begin():
        await session.execute(text("CREATE TABLE hop_fail (id INTEGER PRIMARY KEY)"))
        await session.execute(text("INSERT INTO hop_fail VALUES (1)"))
    with pytest.raises(IntegrityError):
        async with services.db.write_session() as session, session.begin():
            await session.execute(text("INSERT INTO hop_fail VALUES (2)"))
            await session.execute(text("INSERT INTO hop_fail VALUES (1)"))
    async with services.db.write_session() as session, session.begin():
        await session.execute(text("INSERT INTO hop_fail VALUES (3)"))
    async with services.db.read_session() as session:
        ids = (await session.execute(text("SELECT id FROM hop_fail ORDER BY id"))).scalars()
        assert list(ids) == [1, 3]
