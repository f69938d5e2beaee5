"""The hand-managed parts of the search index, as of the newest migration (Alembic's
autogenerate ignores search_* tables and indexes, and the search_vector column).

Used by the migrations that change them and by the bulk seeder, which turns the index off
while it loads (``index_off``/``index_on``). Earlier migrations keep their own copy of the DDL
they ran.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from workchat.db.models import SEARCH_VECTOR_COLUMN

SQLITE_FTS_TABLE = """CREATE VIRTUAL TABLE search_messages USING fts5(
    search_text, content='messages', content_rowid='search_key',
    tokenize='unicode61 remove_diacritics 0', prefix='2 3')"""
# Keep the FTS5 table in step with messages.search_text and search_key (its rowid).
SQLITE_FTS_UPDATE_TRIGGER = """CREATE TRIGGER search_messages_au
    AFTER UPDATE OF search_text, search_key ON messages BEGIN
        INSERT INTO search_messages(search_messages, rowid, search_text)
        VALUES ('delete', old.search_key, old.search_text);
        INSERT INTO search_messages(rowid, search_text) VALUES (new.search_key, new.search_text);
    END"""
SQLITE_FTS_TRIGGERS = (
    """CREATE TRIGGER search_messages_ai AFTER INSERT ON messages BEGIN
        INSERT INTO search_messages(rowid, search_text) VALUES (new.search_key, new.search_text);
    END""",
    """CREATE TRIGGER search_messages_ad AFTER DELETE ON messages BEGIN
        INSERT INTO search_messages(search_messages, rowid, search_text)
        VALUES ('delete', old.search_key, old.search_text);
    END""",
    SQLITE_FTS_UPDATE_TRIGGER,
)
SQLITE_FTS_TRIGGER_NAMES = ("search_messages_ai", "search_messages_ad", "search_messages_au")
SQLITE_FTS_REBUILD = "INSERT INTO search_messages(search_messages) VALUES ('rebuild')"

# PostgreSQL: each message's words parsed once, when written, into a stored tsvector; matching
# a walked row then reads it instead of re-parsing search_text (phrases, prefixes, ranking).
POSTGRES_VECTOR_COLUMN = SEARCH_VECTOR_COLUMN
POSTGRES_VECTOR_ADD = (
    f"ALTER TABLE messages ADD COLUMN {SEARCH_VECTOR_COLUMN} tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
)
POSTGRES_VECTOR_DROP = f"ALTER TABLE messages DROP COLUMN IF EXISTS {SEARCH_VECTOR_COLUMN}"
POSTGRES_GIN_INDEX = "CREATE INDEX search_messages_vector ON messages USING gin (search_vector)"
POSTGRES_GIN_DROP = "DROP INDEX IF EXISTS search_messages_vector"
# The walk newest first along search_key: the columns that the filters test (all but
# has:link's body and has:reaction, which walks its own index). Not the tsvector: a B-tree
# entry holds at most 2,704 bytes, and a message of a few hundred distinct words has a
# larger one (its INSERT failed); the match reads it from the table (migration 0010).
_WALK_COLUMNS = "channel_id, deleted_at, created_at, author_id, id, thread_id, reply_count"
POSTGRES_WALK_INDEX = (
    f"CREATE INDEX search_messages_walk ON messages (search_key) INCLUDE ({_WALK_COLUMNS})"
)
POSTGRES_WALK_DROP = "DROP INDEX IF EXISTS search_messages_walk"
# The same for has:reaction, over the reacted messages only (about one in twelve).
POSTGRES_REACTED_INDEX = (
    "CREATE INDEX search_messages_reacted ON messages (search_key) "
    f"INCLUDE ({_WALK_COLUMNS}) WHERE reaction_count > 0"
)
POSTGRES_REACTED_DROP = "DROP INDEX IF EXISTS search_messages_reacted"


async def index_off(conn: AsyncConnection) -> None:
    """Stop maintaining the search index (bulk loads): SQLite drops the FTS5 triggers,
    PostgreSQL the indexes. ``index_on`` rebuilds it; both run in the caller's transaction."""
    if conn.dialect.name == "sqlite":
        for name in SQLITE_FTS_TRIGGER_NAMES:
            await conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    else:
        await conn.execute(text(POSTGRES_GIN_DROP))
        await conn.execute(text(POSTGRES_WALK_DROP))
        await conn.execute(text(POSTGRES_REACTED_DROP))


async def index_on(conn: AsyncConnection) -> None:
    """Recreate what ``index_off`` dropped and index every row once."""
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_FTS_TRIGGERS:
            await conn.execute(text(statement))
        await conn.execute(text(SQLITE_FTS_REBUILD))
    else:
        await conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
        await conn.execute(text(POSTGRES_GIN_INDEX))
        await conn.execute(text(POSTGRES_WALK_INDEX))
        await conn.execute(text(POSTGRES_REACTED_INDEX))
