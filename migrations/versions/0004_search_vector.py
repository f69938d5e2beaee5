"""search: stored tsvector on PostgreSQL; the FTS5 update trigger follows search_key too

PostgreSQL: messages.search_vector (generated, stored) replaces the GIN expression index, so
a row is parsed once when written instead of on every search that reads it. SQLite: the
update trigger re-indexes a row whose search_key changes, not only its search_text.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 03:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from workchat.search.ddl import (
    POSTGRES_GIN_DROP,
    POSTGRES_GIN_INDEX,
    POSTGRES_VECTOR_ADD,
    POSTGRES_VECTOR_DROP,
    SQLITE_FTS_UPDATE_TRIGGER,
)

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As revision 0002 created them.
SQLITE_OLD_UPDATE_TRIGGER = """CREATE TRIGGER search_messages_au
    AFTER UPDATE OF search_text ON messages BEGIN
        INSERT INTO search_messages(search_messages, rowid, search_text)
        VALUES ('delete', old.search_key, old.search_text);
        INSERT INTO search_messages(rowid, search_text) VALUES (new.search_key, new.search_text);
    END"""
POSTGRES_OLD_INDEX = (
    "CREATE INDEX search_messages_text ON messages USING gin (to_tsvector('simple', search_text))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER search_messages_au")
        op.execute(SQLITE_FTS_UPDATE_TRIGGER)
        return
    op.execute(POSTGRES_VECTOR_ADD)
    op.execute("DROP INDEX search_messages_text")
    op.execute(POSTGRES_GIN_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER search_messages_au")
        op.execute(SQLITE_OLD_UPDATE_TRIGGER)
        return
    op.execute(POSTGRES_OLD_INDEX)
    op.execute(POSTGRES_GIN_DROP)
    op.execute(POSTGRES_VECTOR_DROP)
