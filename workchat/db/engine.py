"""Engines and sessions. SQLite gets WAL and a separate writer engine that begins IMMEDIATE."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from workchat import metrics
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


def _configure_sqlite(engine: AsyncEngine, settings: Settings, *, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself so writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute(f"PRAGMA synchronous={settings.sqlite_synchronous}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


# Set while this task holds the SQLite write lock: a nested write session must not wait on it.
_holds_write_lock: ContextVar[bool] = ContextVar("holds_write_lock", default=False)


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
            self.engine = create_async_engine(self.url)
            _configure_sqlite(self.engine, settings, begin="BEGIN")
            self.write_engine = create_async_engine(self.url)
            _configure_sqlite(self.write_engine, settings, begin="BEGIN IMMEDIATE")
        else:
            self.engine = create_async_engine(self.url, pool_size=10, max_overflow=20)
            self.write_engine = self.engine
        engines = {self.engine, self.write_engine}
        self._pool_size = sum(_watch_pool(engine) for engine in engines)
        metrics.DB_POOL_SIZE.inc(self._pool_size)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
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
        if self._write_lock is None or _holds_write_lock.get():
            async with self._writer() as session:
                yield session
            return
        # SQLite has one writer. Queueing this process's writers on an asyncio lock makes
        # them go in arrival order, instead of polling the file lock on busy_timeout (where
        # an unlucky writer can wait past the timeout while later ones get through).
        async with self._write_lock:
            token = _holds_write_lock.set(True)
            try:
                async with self._writer() as session:
                    yield session
            finally:
                _holds_write_lock.reset(token)

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
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()
