"""e-mails unique per org (orgs.slug names the org at login); the idempotency key of a
message is unique per author

- orgs.slug: backfilled from the name (ASCII letters and digits joined by hyphens; a clash
  gets a numeric suffix), unique.
- users: uq_users_email (one address in the whole server) becomes uq_users_org_id_email,
  and ix_users_email serves login without an org.
- messages: ix_messages_author_id_client_mutation_id becomes a unique index. Before it is
  created, a key that an author reused (possible while it was only checked within 24 hours)
  is kept on the earliest message and cleared on the later ones.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 13:15:00
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _slug(name: str) -> str:
    # Frozen copy of workchat.db.models.org_slug as of this revision.
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100].strip("-")
    return slug or "org"


def _backfill_slugs() -> None:
    bind = op.get_bind()
    orgs = sa.table("orgs", sa.column("id", sa.Uuid()), sa.column("name"), sa.column("slug"))
    taken: set[str] = set()
    rows = bind.execute(sa.select(orgs.c.id, orgs.c.name).order_by(orgs.c.name)).all()
    for org_id, name in rows:
        base = _slug(name)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base[:95]}-{n}"
        taken.add(slug)
        bind.execute(sa.update(orgs).where(orgs.c.id == org_id).values(slug=slug))


def upgrade() -> None:
    with op.batch_alter_table("orgs") as batch:
        batch.add_column(sa.Column("slug", sa.String(length=100), nullable=True))
    _backfill_slugs()
    with op.batch_alter_table("orgs") as batch:
        batch.alter_column("slug", existing_type=sa.String(length=100), nullable=False)
        batch.create_index(batch.f("ix_orgs_slug"), ["slug"], unique=True)

    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_email", type_="unique")
        batch.create_index("uq_users_org_id_email", ["org_id", "email"], unique=True)
        batch.create_index(batch.f("ix_users_email"), ["email"], unique=False)

    op.execute(
        """
        UPDATE messages SET client_mutation_id = NULL
        WHERE client_mutation_id IS NOT NULL AND EXISTS (
            SELECT 1 FROM messages AS earlier
            WHERE earlier.author_id = messages.author_id
              AND earlier.client_mutation_id = messages.client_mutation_id
              AND (earlier.created_at < messages.created_at
                   OR (earlier.created_at = messages.created_at AND earlier.id < messages.id))
        )
        """
    )
    # Plain CREATE/DROP INDEX: a batch rebuild of messages would drop its search triggers.
    op.drop_index("ix_messages_author_id_client_mutation_id", table_name="messages")
    op.create_index(
        "uq_messages_author_id_client_mutation_id",
        "messages",
        ["author_id", "client_mutation_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_messages_author_id_client_mutation_id", table_name="messages")
    op.create_index(
        "ix_messages_author_id_client_mutation_id",
        "messages",
        ["author_id", "client_mutation_id"],
        unique=False,
    )
    # Fails if an address now exists in two orgs: that data has no place in the old schema.
    with op.batch_alter_table("users") as batch:
        batch.drop_index(batch.f("ix_users_email"))
        batch.drop_index("uq_users_org_id_email")
        batch.create_unique_constraint("uq_users_email", ["email"])
    with op.batch_alter_table("orgs") as batch:
        batch.drop_index(batch.f("ix_orgs_slug"))
        batch.drop_column("slug")
