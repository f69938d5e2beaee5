"""search: a covering index for PostgreSQL's walk newest first

The walk along search_key tested each row's stored tsvector, channel and deletion in the
table; this index carries them (and what date, from: and is: filters test), so the walk
reads the index alone where the visibility map allows. SQLite: nothing (FTS5 walks
its own index).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 03:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from workchat.search.ddl import POSTGRES_WALK_DROP, POSTGRES_WALK_INDEX

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_WALK_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_WALK_DROP)
