"""messages.reaction_count for has:reaction; on PostgreSQL a partial index of reacted messages

Search's has:reaction tested each walked message with a subquery on reactions; a count kept
on the message (by the reaction actions) lets it test a column, and on PostgreSQL an index
of the reacted messages in search-key order (carrying what the walk tests) lets the walk
read only those.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 03:31:06.513681
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from workchat.search.ddl import POSTGRES_REACTED_DROP, POSTGRES_REACTED_INDEX

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTERs, not batch mode: rebuilding messages on SQLite would drop its triggers.
    op.add_column(
        "messages",
        sa.Column("reaction_count", sa.Integer(), server_default="0", nullable=False),
    )
    op.execute(
        "UPDATE messages SET reaction_count = "
        "(SELECT count(*) FROM reactions WHERE reactions.message_id = messages.id) "
        "WHERE id IN (SELECT message_id FROM reactions)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_REACTED_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_REACTED_DROP)
    op.drop_column("messages", "reaction_count")
