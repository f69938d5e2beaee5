"""Run a search for a viewer: parse, scope to readable channels, match, rank, page.

The backend walks the matches newest first, on to COUNT_CAP + 1 of them, ranks the newest
RELEVANCE_WINDOW and loads only the page's messages; ``count_matches`` then takes the count
from the scope instead of walking the matches again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import and_, func, inspect, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.util import ClauseAdapter

from workchat import metrics
from workchat.access import readable_channels_sql, readable_users_sql, require_user
from workchat.auth.viewer import Viewer
from workchat.db.models import Channel, Message, User
from workchat.search.backends import backend_for
from workchat.search.hints import NO_HINTS, Hints
from workchat.search.keys import KeyRange
from workchat.search.query import Filter, SearchQuery, normalize

# Relevance ranks the most recent matches: chat search favours what is fresh, and it keeps
# the cost bounded for words that appear in a large part of the corpus.
RELEVANCE_WINDOW = 500
# totalCount counts this far ("500+"): the walk that fills the relevance window counts too,
# so a count costs nothing more (counting to 1,000 doubled the walk for common words).
COUNT_CAP = RELEVANCE_WINDOW


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
    hints: Hints = NO_HINTS
    empty: bool = False
    # What search_messages counted on its way (per query), for count_matches to reuse.
    counted: dict[SearchQuery, tuple[int, bool]] = field(
        default_factory=dict, compare=False, repr=False
    )


def _day(value: date) -> datetime:
    return datetime.combine(value, time.min, tzinfo=UTC)


def _key_range(query: SearchQuery) -> KeyRange:
    """The search keys the date filters leave (-on: leaves two ranges: it bounds nothing)."""
    keys = KeyRange()
    for f in query.filters:
        if f.name not in ("before", "after", "on") or not isinstance(f.value, date):
            continue
        start, next_day = _day(f.value), _day(f.value) + timedelta(days=1)
        if f.name == "on":
            if not f.negated:
                keys &= KeyRange.between(start, next_day)
        elif (f.name == "before") != f.negated:  # before:, -after:
            keys &= KeyRange.between(None, start if f.name == "before" else next_day)
        else:  # after:, -before:
            keys &= KeyRange.between(next_day if f.name == "after" else start, None)
    return keys


async def resolve_scope(session: AsyncSession, viewer: Viewer, query: SearchQuery) -> Scope:
    """Readable channels narrowed by in:, and every other filter as SQL (run once)."""
    require_user(viewer)
    keys = _key_range(query)
    if keys.empty:
        return Scope([], empty=True)
    backend = backend_for(session.get_bind().dialect.name)
    confining_from = _narrowing_applies(session, query) and any(
        not f.negated for f in query.filters_named("from")
    )
    if session.get_bind().dialect.name == "sqlite" and not (
        query.filters_named("in") or confining_from
    ):
        # Neither channel names nor sizes needed: the search statement lists the readable
        # channels itself, a round trip less. (PostgreSQL estimates better from a list.)
        readable = select(Channel.id).where(readable_channels_sql(viewer))
        channel = backend.unindexed(Message.__table__.c.channel_id).in_(readable)
        filters = await _filters(session, viewer, query)
        return Scope(
            [channel, Message.deleted_at.is_(None), *(c for _f, c in filters)],
            Hints(keys=keys, subset=_subset(filters)),
        )
    everything = select(func.coalesce(func.sum(Channel.last_seq), 0)).scalar_subquery()
    channel_query = select(Channel.id, Channel.name_key, Channel.last_seq, everything).where(
        readable_channels_sql(viewer)
    )
    rows = (await session.execute(channel_query)).all()
    channels = {row.id: row.name_key for row in rows}
    sizes = {row.id: row.last_seq for row in rows}
    total = int(rows[0][3]) if rows else 0
    for f in query.filters_named("in"):
        named = {cid for cid, key in channels.items() if key == normalize(str(f.value))}
        channels = {c: k for c, k in channels.items() if (c in named) != f.negated}
    if not channels:
        return Scope([], empty=True)
    readable, in_scope = sum(sizes.values()), sum(sizes[c] for c in channels)
    filters = await _filters(session, viewer, query)
    conditions: list[ColumnElement[bool]] = [
        _channel_column(session, query, readable, in_scope).in_(list(channels)),
        Message.deleted_at.is_(None),
        *(condition for _f, condition in filters),
    ]
    # (size, condition) of the sets of messages that filters confine the matches to.
    confined: list[tuple[int, ColumnElement[bool]]] = []
    if any(not f.negated for f in query.filters_named("in")):
        confined.append((in_scope, Message.channel_id.in_(list(channels))))
    for f, condition in filters:
        if confining_from and f.name == "from" and not f.negated:
            authored = select(func.count()).select_from(Message).where(condition)
            confined.append((int(await session.scalar(authored) or 0), condition))
    hints = Hints(
        keys=keys,
        subset=_subset(filters),
        narrow=_narrow(session, query, confined, total),
        readable=in_scope / total if total else 1.0,
    )
    return Scope(conditions, hints)


async def _filters(
    session: AsyncSession, viewer: Viewer, query: SearchQuery
) -> list[tuple[Filter, ColumnElement[bool]]]:
    """Every filter but in: as a condition (negated ones already negated)."""
    conditions: list[tuple[Filter, ColumnElement[bool]]] = []
    for f in query.filters:
        condition = await _condition(session, viewer, f)
        if condition is not None:
            conditions.append((f, not_(condition) if f.negated else condition))
    return conditions


def _subset(filters: list[tuple[Filter, ColumnElement[bool]]]) -> tuple[ColumnElement[bool], ...]:
    return tuple(c for f, c in filters if f.value == "reaction" and not f.negated)


def _narrowing_applies(session: AsyncSession, query: SearchQuery) -> bool:
    return bool(query.positive_terms) and session.get_bind().dialect.name == "sqlite"


def _narrow(
    session: AsyncSession,
    query: SearchQuery,
    confined: list[tuple[int, ColumnElement[bool]]],
    total: int,
) -> Any:
    """The keys of the smallest confining set, if checking FTS5 matches against it beats
    joining each match's row to test the filters.

    Walking joins each FTS5 match to its row (about 1.5 µs) and finds COUNT_CAP matches of
    a set of ``size`` messages after about COUNT_CAP * total / size of them; checking a match
    against the set's keys costs a tenth of that, after listing them (about 1.5 µs a key).
    """
    if not confined or not _narrowing_applies(session, query):
        return None
    size, condition = min(confined, key=lambda item: item[0])
    if size * size >= COUNT_CAP * total:
        return None
    narrowed = aliased(Message)  # not the walk's own messages row
    adapt = ClauseAdapter(inspect(narrowed).selectable).traverse
    return select(narrowed.search_key).where(adapt(condition))


def _channel_column(
    session: AsyncSession, query: SearchQuery, readable: int, in_scope: int
) -> ColumnElement[Any]:
    """Message.channel_id, kept from choosing the plan unless in: leaves few messages.

    SQLite has no statistics: offered ``channel_id IN (…)`` it reads every message of those
    channels and sorts them, where walking an index newest first (the search key's, or FTS5's)
    stops after the rows it needs. Walking finds COUNT_CAP matches after about
    COUNT_CAP * readable / in_scope rows; reading the channels costs in_scope rows. (Channel
    sizes are their last seq. With words to match, FTS5 always leads.)
    """
    column: ColumnElement[Any] = Message.__table__.c.channel_id
    if not query.positive_terms and in_scope * in_scope < COUNT_CAP * readable:
        return column
    return backend_for(session.get_bind().dialect.name).unindexed(column)


async def _authors(session: AsyncSession, viewer: Viewer, who: str) -> list[uuid.UUID]:
    if who.lower() == "me":
        return [viewer.user_id] if viewer.user_id else []
    value = who.lower()
    rows = await session.scalars(
        select(User.id).where(
            readable_users_sql(viewer),
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
        return Message.reaction_count > 0
    if f.value == "link":
        return or_(Message.body.ilike("%http://%"), Message.body.ilike("%https://%"))
    if f.value == "thread":
        # coalesce() changes nothing (both columns are NOT NULL) but PostgreSQL's estimate:
        # it takes "thread_id = id" for 0.5% of rows and then scans the whole table.
        return and_(func.coalesce(Message.thread_id == Message.id, False), Message.reply_count > 0)
    return Message.thread_id != Message.id  # is:reply


async def search_messages(
    session: AsyncSession,
    query: SearchQuery,
    scope: Scope,
    *,
    limit: int,
    offset: int,
    sort: SearchSort,
) -> SearchPage:
    with metrics.SEARCH_DURATION.time():
        return await _search_messages(session, query, scope, limit=limit, offset=offset, sort=sort)


async def _search_messages(
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
    ranked = sort is SearchSort.RELEVANCE and bool(query.positive_terms)
    wanted = offset + limit + 1
    window = max(wanted, RELEVANCE_WINDOW) if ranked else wanted
    # The walk goes on to COUNT_CAP + 1 matches: then it has counted for count_matches too.
    page = await backend_for(session.get_bind().dialect.name).page(
        session,
        query,
        scope.conditions,
        hints=scope.hints,
        window=window,
        fetch=max(window, COUNT_CAP + 1),
        offset=offset,
        limit=limit,
        ranked=ranked,
    )
    if page.found is not None:
        scope.counted[query] = (min(page.found, COUNT_CAP), page.found <= COUNT_CAP)
    hits = [Hit(message, score) for message, score in page.rows[:limit]]
    return SearchPage(hits, len(page.rows) > limit)


async def count_matches(
    session: AsyncSession, query: SearchQuery, scope: Scope
) -> tuple[int, bool]:
    """How many messages match, counting at most COUNT_CAP; and whether that is exact."""
    if scope.empty:
        return 0, True
    counted = scope.counted.get(query)
    if counted is not None:
        return counted
    count = await backend_for(session.get_bind().dialect.name).count(
        session, query, scope.conditions, hints=scope.hints, cap=COUNT_CAP + 1
    )
    return min(count, COUNT_CAP), count <= COUNT_CAP
