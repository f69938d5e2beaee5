"""messages.reaction_count for has:reaction, with a partial index of reacted messages

Search's has:reaction tested each walked message with a subquery on reactions; a count kept
on the message (by the reaction actions) and an index of the reacted messages in search-key
order let it walk only those.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 03:31:06.513681
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REACTED = sa.text("reaction_count > 0")


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
    op.create_index(
        "ix_messages_reacted_search_key",
        "messages",
        ["search_key"],
        unique=False,
        postgresql_where=REACTED,
        sqlite_where=REACTED,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_reacted_search_key", table_name="messages")
    op.drop_column("messages", "reaction_count")
