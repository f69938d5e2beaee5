"""Run a search for a viewer: parse, scope to readable channels, match, rank, page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import and_, exists, func, literal, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from workchat.actions.access import require_user
from workchat.actions.channels import visible_channels
from workchat.auth.viewer import Viewer
from workchat.db.models import Channel, Message, Reaction, User
from workchat.search.backends import backend_for
from workchat.search.query import Filter, SearchQuery, normalize

# Relevance ranks the most recent matches: chat search favours what is fresh, and it keeps
# the cost bounded for words that appear in a large part of the corpus.
RELEVANCE_WINDOW = 500
COUNT_CAP = 1000


class SearchSort(Enum):
    RELEVANCE = "relevance"
    NEWEST = "newest"


@dataclass(frozen=True, slots=True)
class Hit:
    message: Message
    score: float


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[Hit]
    has_more: bool


@dataclass(frozen=True, slots=True)
class Scope:
    """The SQL conditions a query's filters resolve to; ``empty`` when nothing can match."""

    conditions: list[ColumnElement[bool]]
    empty: bool = False


def _day(value: date) -> datetime:
    return datetime.combine(value, time.min, tzinfo=UTC)


async def resolve_scope(session: AsyncSession, viewer: Viewer, query: SearchQuery) -> Scope:
    """Readable channels narrowed by in:, and every other filter as SQL (run once)."""
    require_user(viewer)
    channel_query = select(Channel.id, Channel.name_key).where(visible_channels(viewer))
    channels = {row.id: row.name_key for row in await session.execute(channel_query)}
    for f in query.filters_named("in"):
        named = {cid for cid, key in channels.items() if key == normalize(str(f.value))}
        channels = {c: k for c, k in channels.items() if (c in named) != f.negated}
    if not channels:
        return Scope([], empty=True)
    conditions: list[ColumnElement[bool]] = [
        Message.channel_id.in_(list(channels)),
        Message.deleted_at.is_(None),
    ]
    for f in query.filters:
        condition = await _condition(session, viewer, f)
        if condition is None:
            continue
        conditions.append(not_(condition) if f.negated else condition)
    return Scope(conditions)


async def _authors(session: AsyncSession, viewer: Viewer, who: str) -> list[uuid.UUID]:
    if who.lower() == "me":
        return [viewer.user_id] if viewer.user_id else []
    value = who.lower()
    rows = await session.scalars(
        select(User.id).where(
            User.org_id == viewer.org_id,
            or_(
                func.lower(User.display_name) == value,
                func.replace(func.lower(User.display_name), " ", "") == value,
                User.email == value,
                User.email.like(value.replace("%", "").replace("_", "\\_") + "@%", escape="\\"),
            ),
        )
    )
    return list(rows)


async def _condition(
    session: AsyncSession, viewer: Viewer, f: Filter
) -> ColumnElement[bool] | None:
    if f.name == "in":
        return None  # already applied to the channel scope
    if f.name == "from":
        return Message.author_id.in_(await _authors(session, viewer, str(f.value)))
    if f.name in ("before", "after", "on"):
        assert isinstance(f.value, date)
        start, next_day = _day(f.value), _day(f.value) + timedelta(days=1)
        if f.name == "before":
            return Message.created_at < start
        if f.name == "after":
            return Message.created_at >= next_day
        return and_(Message.created_at >= start, Message.created_at < next_day)
    if f.value == "reaction":
        return exists(select(Reaction.message_id).where(Reaction.message_id == Message.id))
    if f.value == "link":
        return or_(Message.body.ilike("%http://%"), Message.body.ilike("%https://%"))
    if f.value == "thread":
        return and_(Message.thread_id == Message.id, Message.reply_count > 0)
    return Message.thread_id != Message.id  # is:reply


def _base(session: AsyncSession, query: SearchQuery, scope: Scope) -> Any:
    backend = backend_for(session.get_bind().dialect.name)
    if query.positive_terms:
        statement = backend.matching(query.positive_terms, query.negative_terms)
    else:
        statement = select(Message, literal(0.0).label("score"))
        statement = statement.order_by(Message.search_key.desc())
        if query.negative_terms:
            statement = statement.where(backend.excluding(query.negative_terms))
    return statement.where(*scope.conditions)


async def search_messages(
    session: AsyncSession,
    query: SearchQuery,
    scope: Scope,
    *,
    limit: int,
    offset: int,
    sort: SearchSort,
) -> SearchPage:
    if scope.empty:
        return SearchPage([], False)
    wanted = offset + limit + 1
    window = (
        max(wanted, RELEVANCE_WINDOW)
        if sort is SearchSort.RELEVANCE and query.positive_terms
        else wanted
    )
    rows = (await session.execute(_base(session, query, scope).limit(window))).all()
    hits = [Hit(message, float(score or 0.0)) for message, score in rows]
    if sort is SearchSort.RELEVANCE and query.positive_terms:
        hits.sort(key=lambda hit: (-hit.score, -hit.message.search_key))
    page = hits[offset : offset + limit]
    return SearchPage(page, len(hits) > offset + limit)


async def count_matches(
    session: AsyncSession, query: SearchQuery, scope: Scope
) -> tuple[int, bool]:
    """How many messages match, counting at most COUNT_CAP; and whether that is exact."""
    if scope.empty:
        return 0, True
    capped = _base(session, query, scope).order_by(None).limit(COUNT_CAP + 1).subquery()
    count = int(await session.scalar(select(func.count()).select_from(capped)) or 0)
    return min(count, COUNT_CAP), count <= COUNT_CAP
