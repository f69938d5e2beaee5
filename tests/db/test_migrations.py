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

from tests.support.postgres import pg_admin, pg_url
from tests.support.settings import POSTGRES_URL
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
    asyncio.run(pg_admin(f"CREATE DATABASE {name}"))
    yield pg_url(name)
    asyncio.run(pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


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


def test_search_migration_indexes_existing_messages(empty_database: str) -> None:
    """Messages written before 0002 get keys and search text, and are found afterwards; their
    reactions are counted (0005)."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    upgrade(empty_database, "0001")
    ids = {name: uuid.uuid4() for name in ("org", "user", "channel", "message")}
    is_sqlite = empty_database.startswith("sqlite")

    def value(key: str) -> object:
        return ids[key].hex if is_sqlite else ids[key]

    async def seed_and_query() -> list[str]:
        engine = create_async_engine(normalize_url(empty_database), poolclass=NullPool)
        now = datetime.now(UTC).replace(tzinfo=None) if is_sqlite else datetime.now(UTC)
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO orgs (id, name, created_at) VALUES (:id, 'O', :now)"),
                {"id": value("org"), "now": now},
            )
            await conn.execute(
                text(
                    "INSERT INTO users (id, org_id, email, display_name, role, is_active, "
                    "created_at) VALUES (:id, :org, 'u@example.com', 'U', 'member', true, :now)"
                ),
                {"id": value("user"), "org": value("org"), "now": now},
            )
            await conn.execute(
                text(
                    "INSERT INTO channels (id, org_id, name, name_key, description, is_private, "
                    "is_system, created_at, last_seq) "
                    "VALUES (:id, :org, 'c', 'c', '', false, false, :now, 1)"
                ),
                {"id": value("channel"), "org": value("org"), "now": now},
            )
            await conn.execute(
                text(
                    "INSERT INTO messages (id, org_id, channel_id, thread_id, author_id, body, "
                    "version, seq, created_at, reply_count) VALUES (:id, :org, :channel, :id, "
                    ":user, 'Legacy Café message', 1, 1, :now, 0)"
                ),
                {
                    "id": value("message"),
                    "org": value("org"),
                    "channel": value("channel"),
                    "user": value("user"),
                    "now": now,
                },
            )
            await conn.execute(
                text(
                    "INSERT INTO reactions (message_id, user_id, emoji, created_at) "
                    "VALUES (:message, :user, :emoji, :now)"
                ),
                [
                    {"message": value("message"), "user": value("user"), "emoji": e, "now": now}
                    for e in ("👍", "🎉")
                ],
            )
        await engine.dispose()
        await asyncio.to_thread(upgrade, empty_database)
        engine = create_async_engine(normalize_url(empty_database), poolclass=NullPool)
        async with engine.connect() as conn:
            if is_sqlite:
                sql = (
                    "SELECT m.search_text FROM search_messages f JOIN messages m "
                    "ON m.search_key = f.rowid WHERE search_messages MATCH '\"café\"'"
                )
            else:
                sql = (
                    "SELECT search_text FROM messages "
                    "WHERE search_vector @@ to_tsquery('simple', 'café')"
                )
            found = list((await conn.execute(text(sql))).scalars())
            counted = await conn.scalar(text("SELECT reaction_count FROM messages"))
            found.append(f"{counted} reactions")
        await engine.dispose()
        return found

    assert asyncio.run(seed_and_query()) == ["legacy café message", "2 reactions"]


def test_0009_slugs_orgs_and_keeps_the_earliest_idempotency_key(empty_database: str) -> None:
    """0009 gives existing orgs distinct slugs and, where an author reused a key (allowed
    while it was checked within 24 hours only), keeps it on the earliest message."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    upgrade(empty_database, "0008")
    is_sqlite = empty_database.startswith("sqlite")
    orgs, user, channel = [uuid.uuid4(), uuid.uuid4()], uuid.uuid4(), uuid.uuid4()
    messages = [uuid.uuid4() for _ in range(3)]

    def v(id_: uuid.UUID) -> object:
        return id_.hex if is_sqlite else id_

    async def seed_and_read() -> tuple[list[str], list[str | None]]:
        engine = create_async_engine(normalize_url(empty_database), poolclass=NullPool)
        now = datetime.now(UTC).replace(tzinfo=None) if is_sqlite else datetime.now(UTC)
        async with engine.begin() as conn:
            for org, name in zip(orgs, ("Acme", "ACME!"), strict=True):
                await conn.execute(
                    text("INSERT INTO orgs (id, name, created_at) VALUES (:id, :name, :now)"),
                    {"id": v(org), "name": name, "now": now},
                )
            await conn.execute(
                text(
                    "INSERT INTO users (id, org_id, email, display_name, role, is_active, "
                    "created_at) VALUES (:id, :org, 'u@example.com', 'U', 'member', true, :now)"
                ),
                {"id": v(user), "org": v(orgs[0]), "now": now},
            )
            await conn.execute(
                text(
                    "INSERT INTO channels (id, org_id, name, name_key, description, is_private, "
                    "is_system, created_at, last_seq) "
                    "VALUES (:id, :org, 'c', 'c', '', false, false, :now, 3)"
                ),
                {"id": v(channel), "org": v(orgs[0]), "now": now},
            )
            for seq, (message, key) in enumerate(zip(messages, ("k", "k", "j"), strict=True), 1):
                await conn.execute(
                    text(
                        "INSERT INTO messages (id, org_id, channel_id, thread_id, author_id, "
                        "body, version, seq, created_at, reply_count, client_mutation_id, "
                        "search_key, search_text) VALUES (:id, :org, :channel, :id, :user, "
                        "'b', 1, :seq, :at, 0, :key, :seq, 'b')"
                    ),
                    {
                        "id": v(message),
                        "org": v(orgs[0]),
                        "channel": v(channel),
                        "user": v(user),
                        "seq": seq,
                        "at": now + timedelta(seconds=seq),
                        "key": key,
                    },
                )
        await engine.dispose()
        await asyncio.to_thread(upgrade, empty_database, "0009")
        engine = create_async_engine(normalize_url(empty_database), poolclass=NullPool)
        async with engine.begin() as conn:
            slugs = sorted((await conn.execute(text("SELECT slug FROM orgs"))).scalars())
            keys = list(
                (
                    await conn.execute(text("SELECT client_mutation_id FROM messages ORDER BY seq"))
                ).scalars()
            )
            # The same address may now exist in another org.
            await conn.execute(
                text(
                    "INSERT INTO users (id, org_id, email, display_name, role, is_active, "
                    "created_at) VALUES (:id, :org, 'u@example.com', 'U', 'member', true, :now)"
                ),
                {"id": v(uuid.uuid4()), "org": v(orgs[1]), "now": now},
            )
        await engine.dispose()
        return slugs, keys

    assert asyncio.run(seed_and_read()) == (["acme", "acme-2"], ["k", None, "j"])


def test_0011_backfills_mention_keys(empty_database: str) -> None:
    """0011 gives existing users the case-folded first word of their name as mention key
    ("" where no mention can start), and new users cannot go without one."""
    from datetime import UTC, datetime

    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    upgrade(empty_database, "0010")
    is_sqlite = empty_database.startswith("sqlite")
    org = uuid.uuid4()
    names = {"Émile Zola": "émile", "STRAẞE Anna": "strasse", "_bot": "", "Al": "al"}

    def v(id_: uuid.UUID) -> object:
        return id_.hex if is_sqlite else id_

    insert_user = text(
        "INSERT INTO users (id, org_id, email, display_name, role, is_active, created_at) "
        "VALUES (:id, :org, :email, :name, 'member', true, :now)"
    )

    async def seed_and_read() -> dict[str, str]:
        engine = create_async_engine(normalize_url(empty_database), poolclass=NullPool)
        now = datetime.now(UTC).replace(tzinfo=None) if is_sqlite else datetime.now(UTC)
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO orgs (id, name, slug, created_at) VALUES (:id, 'A', 'a', :now)"),
                {"id": v(org), "now": now},
            )
            for n, name in enumerate(names):
                params = {"id": v(uuid.uuid4()), "org": v(org), "name": name, "now": now}
                await conn.execute(insert_user, {**params, "email": f"u{n}@example.com"})
        await engine.dispose()
        await asyncio.to_thread(upgrade, empty_database)
        engine = create_async_engine(normalize_url(empty_database), poolclass=NullPool)
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT display_name, mention_key FROM users"))
            keys = {name: key for name, key in rows}
            params = {"id": v(uuid.uuid4()), "org": v(org), "name": "New", "now": now}
            with pytest.raises(IntegrityError):
                await conn.execute(insert_user, {**params, "email": "new@example.com"})
        await engine.dispose()
        return keys

    assert asyncio.run(seed_and_read()) == names
