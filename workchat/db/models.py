"""The data model. Constraints here are the source of truth for migrations."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from workchat.db.base import Base, UTCDateTime, new_id, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias).
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")
ROLES = ("admin", "member")


def org_slug(name: str) -> str:
    """The org's name as it is typed at login: ASCII letters and digits joined by hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100].strip("-")
    return slug or "org"


def _default_slug(context: Any) -> str:
    return org_slug(context.get_current_parameters()["name"])


class Org(Base):
    __tablename__ = "orgs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Names the org at login (e-mail addresses are unique per org only, ADR 0016).
    slug: Mapped[str] = mapped_column(String(100), unique=True, index=True, default=_default_slug)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'member')", name="role"),
        # Unique per org only: another org's addresses are none of an org admin's business.
        Index("uq_users_org_id_email", "org_id", "email", unique=True),
        # Mention resolution reads only the users a body's "@words" can name.
        Index("ix_users_org_id_mention_key", "org_id", "mention_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id"), index=True)
    # Stored lower-cased, so uniqueness is case-insensitive. Indexed for login without org.
    email: Mapped[str] = mapped_column(String(254), index=True)
    display_name: Mapped[str] = mapped_column(String(80))
    # The case-folded first word of display_name (workchat.actions.mentions.mention_key).
    mention_key: Mapped[str] = mapped_column(String(240))  # folding may triple a length
    role: Mapped[str] = mapped_column(String(16), default="member")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When their last live connection ended (presence); null if they never had one.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Channel(Base):
    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("org_id", "name_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # casefold(name): the key that makes names unique per org case-insensitively.
    name_key: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Highest message seq handed out in this channel; bumped in the posting transaction.
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class Membership(Base):
    __tablename__ = "memberships"

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_read_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel_id", "seq"),
        Index("ix_messages_thread_id_seq", "thread_id", "seq"),
        # The idempotency key: the database refuses a second message with the same key from
        # the same author, whichever channel concurrent retries name (NULLs never clash).
        Index(
            "uq_messages_author_id_client_mutation_id",
            "author_id",
            "client_mutation_id",
            unique=True,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id"), index=True)
    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id"))
    # A root message's thread_id is its own id.
    thread_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    # Reaction rows on this message, kept by the reaction actions (for has:reaction; on
    # PostgreSQL the partial index search_messages_reacted lists the reacted ones).
    reaction_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    client_mutation_id: Mapped[str | None] = mapped_column(String(64))
    # A stable, time-ordered integer key: the search index's document id (SQLite FTS5 needs
    # an integer rowid, and the implicit one may be renumbered by VACUUM). Its high bits are
    # created_at in microseconds (workchat.search.keys): date filters walk key ranges.
    search_key: Mapped[int] = mapped_column(BigInteger, unique=True)
    # The body as the search index sees it: case-folded words separated by spaces, made by
    # workchat.search.query.index_text so that both backends tokenize exactly alike.
    search_text: Mapped[str] = mapped_column(Text, default="")


# messages.search_vector: PostgreSQL generates it from search_text; its DDL (and the other
# hand-managed search structures) live in workchat.search.ddl. Not mapped: the migration
# helpers tell autogenerate to leave it alone by this name.
SEARCH_VECTOR_COLUMN = "search_vector"


class MessageRevision(Base):
    __tablename__ = "message_revisions"

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    edited_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Mention(Base):
    """``@Display Name`` in a message, resolved when it is posted or edited."""

    __tablename__ = "mentions"

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class Reaction(Base):
    __tablename__ = "reactions"

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Event(Base):
    """The durable event log: ``seq`` is every subscriber's resume cursor."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_org_id_seq", "org_id", "seq"),
        Index("ix_events_channel_id_seq", "channel_id", "seq"),
        Index("ix_events_user_id_seq", "user_id", "seq"),
        # Without AUTOINCREMENT SQLite hands out max(rowid) + 1: once retention deleted the
        # newest rows, seqs (everyone's cursors) would be reused.
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id"))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("channels.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventWatermark(Base):
    """Per org, the highest event ``seq`` that retention pruned: a cursor before it has lost
    events, and an org whose events were all pruned still knows its last ``seq``."""

    __tablename__ = "event_watermarks"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    pruned_seq: Mapped[int] = mapped_column(BigInteger)
    pruned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PresenceRow(Base):
    """One server process's live sockets of one user: presence across processes.

    Each process refreshes ``heartbeat_at`` of its rows; rows whose process stopped doing so
    (it crashed) expire, and their users go offline unless another process holds them.
    """

    __tablename__ = "presence"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id"), index=True)
    sockets: Mapped[int] = mapped_column(Integer)
    active_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Append-only; each org's entries form a SHA-256 hash chain ordered by ``seq``."""

    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("org_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(String(16))
    operation: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    diff: Mapped[dict[str, Any]] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    # Every token rotated from one login shares the family; reuse revokes the family.
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("refresh_tokens.id"))


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
