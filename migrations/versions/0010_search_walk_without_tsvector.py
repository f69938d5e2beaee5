"""search: the walk indexes no longer carry the tsvector (PostgreSQL)

A B-tree entry holds at most 2,704 bytes. search_messages_walk and search_messages_reacted
carried each message's tsvector, so posting a message of a few hundred distinct words failed
on PostgreSQL ("index row size … exceeds btree version 4 maximum"). They now carry the
filtered columns only; the walk reads the tsvector from the table. SQLite: nothing.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from workchat.search.ddl import (
    POSTGRES_REACTED_DROP,
    POSTGRES_REACTED_INDEX,
    POSTGRES_WALK_DROP,
    POSTGRES_WALK_INDEX,
)

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the indexes as 0005 and 0006 made them, for downgrade.
_COLUMNS_0006 = "channel_id, deleted_at, created_at, author_id, id, thread_id, reply_count"
_WALK_0006 = (
    "CREATE INDEX search_messages_walk ON messages (search_key) "
    f"INCLUDE ({_COLUMNS_0006}, search_vector)"
)
_REACTED_0005 = (
    "CREATE INDEX search_messages_reacted ON messages (search_key) "
    f"INCLUDE ({_COLUMNS_0006}, search_vector) WHERE reaction_count > 0"
)


def _replace(walk: str, reacted: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(POSTGRES_WALK_DROP)
    op.execute(POSTGRES_REACTED_DROP)
    op.execute(walk)
    op.execute(reacted)


def upgrade() -> None:
    _replace(POSTGRES_WALK_INDEX, POSTGRES_REACTED_INDEX)


def downgrade() -> None:
    _replace(_WALK_0006, _REACTED_0005)
