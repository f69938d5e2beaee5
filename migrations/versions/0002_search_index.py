"""search index: search_key/search_text on messages, FTS5 on SQLite, GIN on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 01:00:00
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite: an external-content FTS5 table over messages.search_text, keyed by search_key.
# unicode61 without diacritic folding and PostgreSQL's 'simple' configuration see the same
# words, because search_text is already normalized by the application. (The DDL as of this
# revision; workchat/search/ddl.py holds today's, which later revisions move to.)
SQLITE_FTS_TABLE = """CREATE VIRTUAL TABLE search_messages USING fts5(
    search_text, content='messages', content_rowid='search_key',
    tokenize='unicode61 remove_diacritics 0', prefix='2 3')"""
SQLITE_FTS_TRIGGERS = (
    """CREATE TRIGGER search_messages_ai AFTER INSERT ON messages BEGIN
        INSERT INTO search_messages(rowid, search_text) VALUES (new.search_key, new.search_text);
    END""",
    """CREATE TRIGGER search_messages_ad AFTER DELETE ON messages BEGIN
        INSERT INTO search_messages(search_messages, rowid, search_text)
        VALUES ('delete', old.search_key, old.search_text);
    END""",
    """CREATE TRIGGER search_messages_au AFTER UPDATE OF search_text ON messages BEGIN
        INSERT INTO search_messages(search_messages, rowid, search_text)
        VALUES ('delete', old.search_key, old.search_text);
        INSERT INTO search_messages(rowid, search_text) VALUES (new.search_key, new.search_text);
    END""",
)
SQLITE_UP = [
    SQLITE_FTS_TABLE,
    *SQLITE_FTS_TRIGGERS,
    "INSERT INTO search_messages(search_messages) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER search_messages_au",
    "DROP TRIGGER search_messages_ad",
    "DROP TRIGGER search_messages_ai",
    "DROP TABLE search_messages",
]
POSTGRES_UP = [
    "CREATE INDEX search_messages_text ON messages USING gin (to_tsvector('simple', search_text))"
]
POSTGRES_DOWN = ["DROP INDEX search_messages_text"]


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_key", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
    _backfill()
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("search_key", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("search_text", existing_type=sa.Text(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_messages_search_key"), ["search_key"])
    for statement in SQLITE_UP if _sqlite() else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_DOWN if _sqlite() else POSTGRES_DOWN:
        op.execute(statement)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_messages_search_key"), type_="unique")
        batch_op.drop_column("search_text")
        batch_op.drop_column("search_key")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _backfill() -> None:
    """Give existing messages keys (time-ordered, as new ones get) and index text."""
    from workchat.search.query import index_text

    bind = op.get_bind()
    messages = sa.table(
        "messages",
        sa.column("id", sa.Uuid()),
        sa.column("body", sa.Text()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("search_key", sa.BigInteger()),
        sa.column("search_text", sa.Text()),
    )
    rows = bind.execute(sa.select(messages.c.id, messages.c.body, messages.c.created_at)).all()
    for row in rows:
        micros = int(row.created_at.timestamp() * 1_000_000)
        bind.execute(
            messages.update()
            .where(messages.c.id == row.id)
            .values(
                search_key=(micros << 11) | secrets.randbits(11),
                search_text=index_text(row.body),
            )
        )
