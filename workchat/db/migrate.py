"""Run Alembic from code (the CLI and the tests), without an ``alembic.ini``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from workchat.db.base import Base
from workchat.db.engine import normalize_url
from workchat.db.models import SEARCH_VECTOR_COLUMN

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = normalize_url(url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking: call from sync code or ``asyncio.to_thread`` (env.py runs its own loop)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Search indexes (FTS5 virtual tables, their shadow tables, PostgreSQL's GIN index and
    stored tsvector) are managed by hand in migrations: autogenerate must not drop them."""
    if type_ == "column":
        return name != SEARCH_VECTOR_COLUMN
    return not (type_ in ("table", "index") and name is not None and name.startswith("search_"))


async def pending_model_changes(url: str) -> list[object]:
    """What autogenerate would still emit: empty when migrations match the models."""
    from workchat.db import models  # noqa: F401

    def compare(conn: Connection) -> list[object]:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        return list(compare_metadata(context, Base.metadata))

    engine = create_async_engine(normalize_url(url), poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()
