"""Engines and sessions. SQLite gets WAL and a separate writer engine that begins IMMEDIATE."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from workchat import metrics
from workchat.db.group_commit import AFTER_COMMIT, GroupCommitter, run_hooks
from workchat.db.sqlite_one_hop import use_one_hop_cursors
from workchat.settings import Settings


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite:///`` URLs and pick the async drivers."""
    for plain, async_ in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(plain):
            return async_ + url[len(plain) :]
    return url


def _watch_pool(engine: AsyncEngine) -> int:
    """Count checked-out connections in the pool gauges; returns the pool's size."""

    @event.listens_for(engine.sync_engine, "checkout")
    def on_checkout(*_: Any) -> None:
        metrics.DB_POOL_IN_USE.inc()

    @event.listens_for(engine.sync_engine, "checkin")
    def on_checkin(*_: Any) -> None:
        metrics.DB_POOL_IN_USE.dec()

    size = getattr(engine.pool, "size", None)
    return int(size()) if callable(size) else 0


def _configure_sqlite(engine: AsyncEngine, settings: Settings, *, writer: bool) -> None:
    # A writer's transaction takes the write lock up front, so writers queue on busy_timeout
    # instead of failing to upgrade a read lock.
    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself so writers can take the lock up front.
        dbapi_connection.isolation_level = None
        use_one_hop_cursors(dbapi_connection)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute(f"PRAGMA synchronous={settings.sqlite_synchronous}")
        if writer:
            # A writer's savepoint keeps its undo pages in a statement journal: on disk that
            # was a temp file created, unlinked and closed again on every post (strace).
            # Writers' journals are as small as their actions; readers keep spilling big
            # sorts to disk.
            cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        defer = getattr(conn.connection.dbapi_connection, "defer_begin", None)
        if defer is not None:
            # The BEGIN travels with the first statement (one trip to aiosqlite's thread
            # instead of two). A deferred BEGIN takes no lock before it anyway; a BEGIN
            # IMMEDIATE takes the write lock then, still before that statement reads.
            defer(begin)
        else:
            conn.exec_driver_sql(begin)


class Database:
    """Owns the engines. ``read_session`` for queries, ``write_session`` for actions.

    On SQLite a write transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock
    before reading, so two writers queue on ``busy_timeout`` instead of failing to upgrade.
    On PostgreSQL both share one engine.
    """

    def __init__(self, settings: Settings, url: str | None = None) -> None:
        self.settings = settings
        self.url = normalize_url(url or settings.database_url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            # Readers run side by side in WAL. The default pool (5 + 10 overflow) closed
            # each connection over five on return and opened a new one (a thread, a connect
            # and the PRAGMAs below) per request at 32 clients: that showed in the profile.
            self.engine = create_async_engine(self.url, pool_size=20, max_overflow=20)
            _configure_sqlite(self.engine, settings, writer=False)
            self.write_engine = create_async_engine(self.url)
            _configure_sqlite(self.write_engine, settings, writer=True)
        else:
            # Sized for a busy process: connections over pool_size are opened and closed per
            # checkout (on PostgreSQL with a TLS attempt each), which showed in the profile.
            self.engine = create_async_engine(self.url, pool_size=20, max_overflow=20)
            self.write_engine = self.engine
        engines = {self.engine, self.write_engine}
        self._pool_size = sum(_watch_pool(engine) for engine in engines)
        metrics.DB_POOL_SIZE.inc(self._pool_size)
        # SQLite has one writer: this process's writers share transactions (group commit).
        self._group = GroupCommitter(self.write_engine) if self.is_sqlite else None
        self._reader = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = async_sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session:
            yield session

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        """A session for one action's writes: use it as ``async with db.write_session() as
        session, session.begin():``. Hooks registered with ``group_commit.after_commit`` run
        once the writes are committed, before this returns; after an exception, never.

        On SQLite the session is a SAVEPOINT in a transaction shared with this process's
        other writers, committed once for all of them (``workchat.db.group_commit``)."""
        if self._group is not None:
            async with self._group.session() as session:
                yield session
            return
        async with self._writer() as session:
            yield session
            hooks = session.info.get(AFTER_COMMIT, [])
        await run_hooks(hooks)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        metrics.DB_POOL_SIZE.dec(self._pool_size)
        self._pool_size = 0
        if self._group is not None:
            await self._group.close()
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()
