"""SQLite connections run in WAL with foreign keys, a busy timeout and the configured sync."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from workchat.db.engine import normalize_url
from workchat.db.models import Org, User
from workchat.services import Services


def test_normalize_url_picks_async_drivers() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalize_url("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite:///x.db"


async def test_sqlite_pragmas(services: Services, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite only")
    # temp_store: 2 (MEMORY) for writers, whose statement journals are small and were a
    # temp file per post; 0 (the default: files) for readers, whose sorts may be large.
    for open_session, temp_store in (
        (services.db.read_session, 0),
        (services.db.write_session, 2),
    ):
        async with open_session() as session:
            pragmas = {
                name: (await session.execute(text(f"PRAGMA {name}"))).scalar()
                for name in (
                    "journal_mode",
                    "foreign_keys",
                    "busy_timeout",
                    "synchronous",
                    "temp_store",
                )
            }
        assert pragmas == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": services.settings.sqlite_busy_timeout_ms,
            "synchronous": 1,  # NORMAL
            "temp_store": temp_store,
        }


async def test_foreign_keys_are_enforced(services: Services) -> None:
    with pytest.raises(IntegrityError):
        async with services.db.write_session() as session, session.begin():
            session.add(
                User(org_id=uuid.uuid4(), email="x@example.com", display_name="X", role="member")
            )


async def test_concurrent_writers_queue_instead_of_failing(services: Services) -> None:
    """Writers take the lock up front (BEGIN IMMEDIATE on SQLite): none fails to upgrade."""

    async def write(index: int) -> None:
        async with services.db.write_session() as session, session.begin():
            await session.execute(text("SELECT count(*) FROM orgs"))
            await asyncio.sleep(0)
            session.add(Org(name=f"org-{index}"))

    await asyncio.gather(*(write(i) for i in range(20)))
    async with services.db.read_session() as session:
        assert (await session.execute(text("SELECT count(*) FROM orgs"))).scalar() == 20


async def test_role_check_constraint(services: Services) -> None:
    async with services.db.write_session() as session, session.begin():
        org = Org(name="Check")
        session.add(org)
    with pytest.raises((IntegrityError, DBAPIError)):
        async with services.db.write_session() as session, session.begin():
            session.add(User(org_id=org.id, email="y@example.com", display_name="Y", role="owner"))
