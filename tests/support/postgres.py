"""Creating and dropping databases on the test PostgreSQL server."""

from __future__ import annotations

import os

import asyncpg

from tests.support.settings import POSTGRES_URL

# Per run, so concurrent runs on one server never drop each other's template.
TEMPLATE_DB = f"workchat_test_template_{os.getpid()}"


def pg_url(database: str) -> str:
    assert POSTGRES_URL is not None
    base = POSTGRES_URL.rsplit("/", 1)[0]
    return f"{base}/{database}"


def asyncpg_dsn(database: str) -> str:
    return pg_url(database).replace("postgresql+asyncpg://", "postgresql://")


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(POSTGRES_URL.rsplit("/", 1)[1]))  # type: ignore[union-attr]
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
