"""events: per-org watermark of the highest pruned event seq; SQLite never reuses a seq

Retention deletes old events; the watermark lets a resuming subscriber tell that events after
its cursor were pruned (it gets ResyncRequired), and gives an org whose events were all
pruned its last seq for the per-org chain (prev_seq). On SQLite the events table is rebuilt
with AUTOINCREMENT: without it a deleted newest row's seq would be handed out again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_watermarks",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("pruned_seq", sa.BigInteger(), nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_event_watermarks_org_id_orgs")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_event_watermarks")),
    )
    _sqlite_autoincrement(True)


def _sqlite_autoincrement(on: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's sequence never goes back
    with op.batch_alter_table(
        "events", recreate="always", table_kwargs={"sqlite_autoincrement": on}
    ):
        pass


def downgrade() -> None:
    _sqlite_autoincrement(False)
    op.drop_table("event_watermarks")
