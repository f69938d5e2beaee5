"""The two index backends. Each turns the parsed terms into its own match expression, walks
the matches newest first (most searches stop after a few hundred), ranks a window of them and
loads the messages of one page.

SQLite: FTS5 yields matches in rowid (= search_key) order itself, so one statement walks,
counts, ranks (bm25) and loads. PostgreSQL: the GIN index yields matches in no useful order,
so matches are walked newest first along search_key, testing each row's stored tsvector;
phrases walk in time ranges sized from what the previous range held, so the planner cannot
trade the walk for fetching every row that holds all the words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy.dialects.postgresql  # noqa: F401  (registers to_tsvector & co.)
from sqlalchemy import (
    BigInteger,
    Column,
    any_,
    bindparam,
    column,
    func,
    literal,
    literal_column,
    not_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlalchemy.sql.util import ClauseAdapter

from workchat.db.models import Channel, Message
from workchat.search.ddl import POSTGRES_VECTOR_COLUMN
from workchat.search.hints import NO_HINTS, Hints
from workchat.search.keys import KeyRange
from workchat.search.query import SearchQuery, Term
from workchat.search.rank import term_scores


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[tuple[Message, float]]  # at most limit + 1, in page order
    found: int | None  # matches met on the way (up to ``fetch``); None if not known


class Backend(Protocol):
    async def page(
        self,
        session: AsyncSession,
        query: SearchQuery,
        conditions: list[ColumnElement[bool]],
        *,
        hints: Hints = NO_HINTS,
        window: int,
        fetch: int,
        offset: int,
        limit: int,
        ranked: bool,
    ) -> Page:
        """Walk up to ``fetch`` matches newest first; order the newest ``window`` by score
        (when ``ranked``) or newest first, and return rows offset..offset+limit (+1 more)."""

    async def count(
        self,
        session: AsyncSession,
        query: SearchQuery,
        conditions: list[ColumnElement[bool]],
        *,
        hints: Hints = NO_HINTS,
        cap: int,
    ) -> int:
        """How many messages match, counting no further than ``cap``."""

    def unindexed(self, expression: ColumnElement[Any]) -> ColumnElement[Any]:
        """``expression``, but not for the planner to pick an index by."""


def _filtered(conditions: list[ColumnElement[bool]]) -> Any:
    """Keys for a query with no positive term: filters only, newest first."""
    return (
        select(Message.search_key.label("key"), literal(0.0).label("score"))
        .where(*conditions)
        .order_by(Message.search_key.desc())
    )


# SQLite ----------------------------------------------------------------------------------------


def _fts5_string(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts5_expression(term: Term) -> str:
    phrase = _fts5_string(" ".join(term.words))
    return phrase + (" *" if term.prefix else "")


class SqliteFts5:
    fts = table("search_messages", column("rowid", BigInteger))

    def _match(self, positive: tuple[Term, ...], negative: tuple[Term, ...]) -> str:
        expression = " AND ".join(fts5_expression(t) for t in positive)
        for term in negative:
            expression += " NOT " + fts5_expression(term)
        return expression

    def _excluding(self, negative: tuple[Term, ...]) -> ColumnElement[bool]:
        expression = " OR ".join(fts5_expression(t) for t in negative)
        hits = select(self.fts.c.rowid).where(
            text("search_messages MATCH :excluded").bindparams(excluded=expression)
        )
        return Message.search_key.not_in(hits)

    def _keys(
        self,
        query: SearchQuery,
        conditions: list[ColumnElement[bool]],
        hints: Hints,
        *,
        scored: bool,
    ) -> Any:
        """(key, score) newest first."""
        if not query.positive_terms:
            extra = [self._excluding(query.negative_terms)] if query.negative_terms else []
            return _filtered([*conditions, *hints.keys.conditions(Message.search_key), *extra])
        fts = self.fts
        # bm25() counts each phrase's matches over the whole index (its IDF), once per
        # statement: only ask for it when ranking.
        score = -literal_column("bm25(search_messages)") if scored else literal(0.0)
        match = self._match(query.positive_terms, query.negative_terms)
        if hints.narrow is not None:
            # Checked before the join; "+" keeps FTS5 from probing once per listed key.
            conditions = [self.unindexed(fts.c.rowid).in_(hints.narrow), *conditions]
        return (
            select(fts.c.rowid.label("key"), score.label("score"))
            .select_from(fts.join(Message, Message.search_key == fts.c.rowid))
            .where(
                text("search_messages MATCH :match").bindparams(match=match),
                # On FTS5's own rowid: FTS5 seeks to the range instead of walking into it.
                *hints.keys.conditions(fts.c.rowid),
                *conditions,
            )
            .order_by(fts.c.rowid.desc())
        )

    def _candidates(
        self,
        query: SearchQuery,
        conditions: list[ColumnElement[bool]],
        hints: Hints,
        fetch: int,
        *,
        scored: bool,
    ) -> tuple[Any, Any]:
        """The walk to ``fetch`` matches as a CTE (MATERIALIZED: it runs once for every use),
        and how many it met."""
        candidates = (
            self._keys(query, conditions, hints, scored=scored)
            .limit(fetch)
            .cte("candidates")
            .prefix_with("MATERIALIZED")
        )
        return candidates, select(func.count()).select_from(candidates).scalar_subquery()

    async def page(
        self,
        session: AsyncSession,
        query: SearchQuery,
        conditions: list[ColumnElement[bool]],
        *,
        hints: Hints = NO_HINTS,
        window: int,
        fetch: int,
        offset: int,
        limit: int,
        ranked: bool,
    ) -> Page:
        if ranked and len(query.positive_terms) == 1:
            return await self._page_ranked_here(
                session, query, conditions, hints, window, fetch, offset, limit
            )
        # One statement: walk (and count) up to ``fetch``, rank the newest ``window``, join
        # the page's messages.
        candidates, found = self._candidates(query, conditions, hints, fetch, scored=ranked)
        newest = (
            select(candidates.c.key, candidates.c.score)
            .order_by(candidates.c.key.desc())
            .limit(window)
            .subquery("newest")
        )
        page = (
            select(newest.c.key, newest.c.score)
            .order_by(*_ranking(newest, ranked))
            .offset(offset)
            .limit(limit + 1)
            .subquery("page")
        )
        statement = (
            select(Message, page.c.score, found)
            .join(page, Message.search_key == page.c.key)
            .order_by(*_ranking(page, ranked))
        )
        rows = (await session.execute(statement)).all()
        total = int(rows[0][2]) if rows else (0 if offset == 0 else None)
        return Page([(row[0], float(row[1] or 0.0)) for row in rows], total)

    async def _page_ranked_here(
        self,
        session: AsyncSession,
        query: SearchQuery,
        conditions: list[ColumnElement[bool]],
        hints: Hints,
        window: int,
        fetch: int,
        offset: int,
        limit: int,
    ) -> Page:
        """One positive term: the newest ``window`` matches' texts, ranked by rank.py (no
        bm25(), whose IDF pass cannot change the order here), then the page's messages."""
        candidates, found = self._candidates(query, conditions, hints, fetch, scored=False)
        newest = select(candidates.c.key).order_by(candidates.c.key.desc()).limit(window).subquery()
        rows = (
            await session.execute(
                select(Message.search_key, Message.search_text, found).join(
                    newest, Message.search_key == newest.c.key
                )
            )
        ).all()
        if not rows:
            return Page([], 0 if offset == 0 else None)
        scores = term_scores(query.positive_terms[0], [row[1] for row in rows])
        ranked = sorted(zip(scores, (row[0] for row in rows), strict=True), reverse=True)
        chosen = ranked[offset : offset + limit + 1]
        messages = {
            message.search_key: message
            for message in await session.scalars(
                select(Message).where(Message.search_key.in_([key for _s, key in chosen]))
            )
        }
        return Page([(messages[key], score) for score, key in chosen], int(rows[0][2]))

    async def count(
        self,
        session: AsyncSession,
        query: SearchQuery,
        conditions: list[ColumnElement[bool]],
        *,
        hints: Hints = NO_HINTS,
        cap: int,
    ) -> int:
        capped = self._keys(query, conditions, hints, scored=False).order_by(None).limit(cap)
        return int(await session.scalar(select(func.count()).select_from(capped.subquery())) or 0)

    def unindexed(self, expression: ColumnElement[Any]) -> ColumnElement[Any]:
        # SQLite's documented idiom: a unary "+" disqualifies a term from driving an index.
        return UnaryExpression(expression, operator=operators.custom_op("+"), type_=expression.type)


def _ranking(rows: Any, ranked: bool) -> tuple[Any, ...]:
    return (rows.c.score.desc(), rows.c.key.desc()) if ranked else (rows.c.key.desc(),)


# PostgreSQL ------------------------------------------------------------------------------------


def tsquery_expression(term: Term) -> str:
    lexemes = ["'" + w.replace("'", "''").replace("\\", "\\\\") + "'" for w in term.words]
    if term.prefix:
        lexemes[-1] += ":*"
    joined = " <-> ".join(lexemes)
    return f"({joined})" if len(lexemes) > 1 else joined


def _gin_is_cheaper(holding: float, share_left: float, rows_to_walk: float) -> bool:
    """Fetching the rows holding the words (``holding`` in the table, ``share_left`` of them
    in the part still to search) costs GIN_ROW_COST rows walked each."""
    return holding * share_left * GIN_ROW_COST < rows_to_walk


def _fetched_newest_first(keys_query: Any, limit: int) -> Any:
    # "+ 0": sorted after the GIN index finds them, not walked in key order.
    return keys_query.order_by(None).order_by((Message.search_key + 0).desc()).limit(limit)


# The first range holds about this many messages; later ones are sized from the hit rate.
FIRST_RANGE_ROWS = 20_000
GROWTH = 8
# Hits sparser than this (per row walked) make the walk ask again whether the GIN index would
# do better: it fetches every row holding all the words, each costing about GIN_ROW_COST rows
# walked (a random heap read, the phrase recheck, the filters), then sorts them.
SPARSE_RATE = 0.005
GIN_ROW_COST = 20


class PostgresTsvector:
    # The stored, GIN-indexed tsvector (migration 0004): parsed once, when the row was written.
    document: ColumnElement[Any] = literal_column(f"messages.{POSTGRES_VECTOR_COLUMN}", TSVECTOR)

    def _query(self, expression: str) -> Any:
        return func.to_tsquery(literal_column("'simple'::regconfig"), expression)

    def _tsquery(self, query: SearchQuery) -> Any:
        parts = [tsquery_expression(t) for t in query.positive_terms]
        parts += ["!" + tsquery_expression(t) for t in query.negative_terms]
        return self._query(" & ".join(parts))

    def _match(
        self, query: SearchQuery, document: ColumnElement[Any] | None = None
    ) -> list[ColumnElement[bool]]:
        document = self.document if document is None else document
        if not query.positive_terms:
            if not query.negative_terms:
                return []
            negative = " | ".join(tsquery_expression(t) for t in query.negative_terms)
            return [not_(document.bool_op("@@")(self._query(negative)))]
        return [document.bool_op("@@")(self._tsquery(query))]

    def _keys(
        self, query: SearchQuery, conditions: list[ColumnElement[bool]], keys: KeyRange
    ) -> Any:
        return (
            select(Message.search_key.label("key"))
            .where(*self._match(query), *conditions, *keys.conditions(Message.search_key))
            .order_by(Message.search_key.desc())
        )

    async def _newest(
        self,
        session: AsyncSession,
        query: SearchQuery,
        conditions: list[ColumnElement[bool]],
        hints: Hints,
        fetch: int,
    ) -> list[int]:
        """Up to ``fetch`` matching keys, newest first.

        Left to itself the planner misjudges how far a walk along search_key must go: it
        takes matches for evenly spread (kube* is not: it walked 300,000 rows for 500 hits)
        and the words of a phrase for independent. So it is asked only how many rows hold
        the words; if fetching those all beats walking, the GIN index finds them. Otherwise
        matches are walked newest first through time ranges, the first holding about
        FIRST_RANGE_ROWS messages and each next one sized from the hits so far (fenced off
        from the planner); when the hits turn out sparse (filters, phrases), the GIN index
        finds the rest if that is cheaper. Filters alone walk the same way (the planner took
        has:link's ILIKE for 0.2% of rows and sorted a scan of the table), and leave the rest
        to the planner when sparse (in:quiet-channel has an index to use).
        """
        keys_query = self._keys(query, conditions, hints.keys)
        words = bool(query.positive_terms)
        bounds = (
            await session.execute(
                select(
                    func.min(Message.search_key),
                    func.max(Message.search_key),
                    select(func.coalesce(func.sum(Channel.last_seq), 0)).scalar_subquery(),
                )
            )
        ).one()
        low, high, rows = bounds[0], bounds[1], max(int(bounds[2]), 1)
        if low is None:
            return []
        per_row = max(1.0, (high - low) / rows)  # key units per message
        # Date filters: walk only their range (per_row stays the corpus's average).
        keys, subset = hints.keys, hints.subset
        low = low if keys.lower is None else max(low, keys.lower)
        high = high if keys.upper is None else min(high, keys.upper - 1)
        if low > high:
            return []
        # In the whole table (filters alone: every row "holds the words").
        holding = await self._rows_holding_words(session, query) if words else float(rows)
        rows_left = (high - low) / per_row
        # Walking meets matches at the words' rate times the readable share (more filters
        # only make it sparser, and the walk will find that out).
        meets = holding / rows * hints.readable
        if words and _gin_is_cheaper(holding, rows_left / rows, fetch / max(meets, 1e-9)):
            return list(await session.scalars(_fetched_newest_first(keys_query, fetch)))
        walk = self._walk(query, conditions, subset)
        walked: list[int] = []
        upper = high + 1
        span = FIRST_RANGE_ROWS
        while True:
            lower = max(int(upper - span * per_row), low)
            found = list(await session.scalars(walk(KeyRange(lower, upper), fetch - len(walked))))
            walked += found
            wanted = fetch - len(walked)
            if lower == low or not wanted:
                return walked
            upper = lower
            rate = len(found) / span
            rows_to_walk = wanted / rate if rate else float("inf")
            older = (upper - low) / per_row / rows
            # (A walk of a subset costs less per row than ``span`` counts: it walks on.)
            sparse = rate < SPARSE_RATE and not subset
            if sparse and not words:
                rest = keys_query.where(Message.search_key < upper).limit(wanted)
                return walked + list(await session.scalars(rest))
            if sparse and _gin_is_cheaper(holding, older, rows_to_walk):
                rest = keys_query.where(Message.search_key < upper)
                return walked + list(await session.scalars(_fetched_newest_first(rest, wanted)))
            span = max(FIRST_RANGE_ROWS, int(min(span * GROWTH, rows_to_walk * 1.25)))

    async def _rows_holding_words(self, session: AsyncSession, query: SearchQuery) -> float:
        """About how many messages hold every positive word of the query: the planner's
        estimate (GIN column statistics) for its rarest word. Not for all the words
        together: the planner takes them for independent, and "code review" is in 20,000
        messages where that predicts 900."""
        words = {
            tsquery_expression(Term((word,), prefix=term.prefix and word == term.words[-1]))
            for term in query.positive_terms
            for word in term.words
        }
        estimates = []
        for word in sorted(words):
            explain = text(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM messages "
                "WHERE search_vector @@ to_tsquery('simple'::regconfig, :word)"
            ).bindparams(word=word)
            plan = await session.scalar(explain)  # json: decoded by SQLAlchemy's asyncpg codecs
            estimates.append(float(plan[0]["Plan"]["Plan Rows"]))
        return min(estimates)

    def _walk(
        self,
        query: SearchQuery,
        conditions: list[ColumnElement[bool]],
        subset: Sequence[ColumnElement[bool]],
    ) -> Callable[[KeyRange, int], Any]:
        """A statement for each range of the walk: up to ``limit`` matching keys in it, newest
        first, read in key order (OFFSET 0 keeps the planner from merging the range scan
        with the match conditions). The range carries only the columns the conditions read
        (whole rows made the walk half again as slow); those are worked out once a search.
        The key range's own conditions are left out: every walked range lies inside it."""
        messages = Message.__table__
        # The subset's conditions hold inside the range (its partial index implies them).
        conditions = [c for c in conditions if not any(c is s for s in subset)]
        read = {
            element
            for condition in conditions
            for element in visitors.iterate(condition)
            if isinstance(element, Column) and element.table is messages
        }
        columns = [c for c in messages.c if c in read and c is not messages.c.search_key]

        def statement(keys: KeyRange, limit: int) -> Any:
            recent = (
                select(messages.c.search_key, *columns, self.document.label("document"))
                .where(*keys.conditions(Message.search_key), *subset)
                .order_by(Message.search_key.desc())
                .offset(0)
                .subquery("recent")
            )
            adapt = ClauseAdapter(recent).traverse
            return (
                select(recent.c.search_key)
                .where(*self._match(query, recent.c.document), *(adapt(c) for c in conditions))
                .order_by(recent.c.search_key.desc())
                .limit(limit)
            )

        return statement

    async def page(
        self,
        session: AsyncSession,
        query: SearchQuery,
        conditions: list[ColumnElement[bool]],
        *,
        hints: Hints = NO_HINTS,
        window: int,
        fetch: int,
        offset: int,
        limit: int,
        ranked: bool,
    ) -> Page:
        await _search_settings(session)
        found = await self._newest(session, query, conditions, hints, fetch)
        newest = found[:window]
        score: ColumnElement[Any]
        if ranked:
            chosen = newest
            score = func.ts_rank(self.document, self._tsquery(query))
        else:
            chosen = newest[offset : offset + limit + 1]
            score = literal(0.0)
        if not chosen:
            return Page([], len(found))
        in_window = Message.search_key == any_(
            bindparam("window_keys", chosen, type_=ARRAY(BigInteger))
        )
        scored = (
            select(Message.search_key.label("key"), score.label("score"))
            .where(in_window)
            .subquery("scored")
        )
        page = (
            select(scored.c.key, scored.c.score)
            .order_by(*_ranking(scored, ranked))
            .offset(offset if ranked else 0)
            .limit(limit + 1)
            .subquery("page")
        )
        statement = (
            select(Message, page.c.score)
            .join(page, Message.search_key == page.c.key)
            # Another statement, another snapshot: a message deleted since the walk stays out.
            .where(Message.deleted_at.is_(None))
            .order_by(*_ranking(page, ranked))
        )
        rows = (await session.execute(statement)).all()
        return Page([(row[0], float(row[1] or 0.0)) for row in rows], len(found))

    async def count(
        self,
        session: AsyncSession,
        query: SearchQuery,
        conditions: list[ColumnElement[bool]],
        *,
        hints: Hints = NO_HINTS,
        cap: int,
    ) -> int:
        await _search_settings(session)
        capped = self._keys(query, conditions, hints.keys).order_by(None).limit(cap)
        return int(await session.scalar(select(func.count()).select_from(capped.subquery())) or 0)

    def unindexed(self, expression: ColumnElement[Any]) -> ColumnElement[Any]:
        return expression  # PostgreSQL's planner has statistics to choose with


async def _search_settings(session: AsyncSession) -> None:
    """Plan each statement for its own words (this transaction only). asyncpg prepares
    statements, and after five runs PostgreSQL may settle on one generic plan for every word:
    the plan for a rare word (bitmap, then sort) then serves "the" too, at five times the
    cost."""
    await session.execute(select(func.set_config("plan_cache_mode", "force_custom_plan", True)))


def backend_for(dialect: str) -> Backend:
    return SqliteFts5() if dialect == "sqlite" else PostgresTsvector()
