"""users.mention_key: the case-folded first word of the display name, indexed per org

Mention resolution reads only the users whose key follows an "@" in a body, instead of
every member of the channel (#general holds the whole org). Existing users are backfilled
in Python: case folding in any script is not the same in SQLite and PostgreSQL SQL.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:45:00
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WORD_AFTER_AT = re.compile(r"@([^\W_]+)")
_BATCH = 1000


def _mention_key(display_name: str) -> str:
    # Frozen copy of workchat.actions.mentions.mention_key as of this revision.
    first = _WORD_AFTER_AT.match("@" + display_name.casefold().strip())
    return first.group(1) if first else ""


def _backfill() -> None:
    bind = op.get_bind()
    users = sa.table(
        "users", sa.column("id", sa.Uuid()), sa.column("display_name"), sa.column("mention_key")
    )
    rows = bind.execute(sa.select(users.c.id, users.c.display_name)).all()
    update = (
        sa.update(users)
        .where(users.c.id == sa.bindparam("user_id"))
        .values(mention_key=sa.bindparam("key"))
    )
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        bind.execute(update, [{"user_id": uid, "key": _mention_key(name)} for uid, name in batch])


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("mention_key", sa.String(length=240), nullable=True))
    _backfill()
    with op.batch_alter_table("users") as batch:
        batch.alter_column("mention_key", existing_type=sa.String(length=240), nullable=False)
        batch.create_index("ix_users_org_id_mention_key", ["org_id", "mention_key"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_org_id_mention_key")
        batch.drop_column("mention_key")
