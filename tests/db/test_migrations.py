"""Migrations build the models' schema on SQLite and PostgreSQL, and undo it cleanly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.conftest import POSTGRES_URL, _pg_admin, _pg_url
from workchat.db.base import Base
from workchat.db.engine import normalize_url
from workchat.db.migrate import downgrade, pending_model_changes, upgrade


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("WORKCHAT_TEST_POSTGRES_URL is not set")
    name = f"workchat_mig_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
    yield _pg_url(name)
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(normalize_url(url), poolclass=NullPool)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        return names

    return asyncio.run(read())


def test_upgrade_matches_models_and_downgrade_removes_everything(empty_database: str) -> None:
    upgrade(empty_database)
    model_tables = {table.name for table in Base.metadata.sorted_tables}
    assert model_tables <= _tables(empty_database)
    # Autogenerate finds nothing: migrations and models agree.
    assert asyncio.run(pending_model_changes(empty_database)) == []

    downgrade(empty_database, "base")
    assert _tables(empty_database) - {"alembic_version"} == set()

    upgrade(empty_database)  # and it can be rebuilt
    assert model_tables <= _tables(empty_database)


def test_drift_is_detected(empty_database: str) -> None:
    """The drift check can fail: a model column missing from the database is reported."""
    upgrade(empty_database)
    from sqlalchemy import Column, Integer

    column = Column("drift_probe", Integer, nullable=True)
    table = Base.metadata.tables["orgs"]
    table.append_column(column)
    try:
        changes = asyncio.run(pending_model_changes(empty_database))
    finally:
        table._columns.remove(column)
    assert any("drift_probe" in repr(change) for change in changes)
