"""The two index backends. Each turns the parsed terms into its own match expression and
returns candidate rows newest first, with a relevance score where higher is better."""

from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy.dialects.postgresql  # noqa: F401  (registers to_tsvector & co.)
from sqlalchemy import BigInteger, column, func, literal_column, not_, select, table, text
from sqlalchemy.sql.elements import ColumnElement

from workchat.db.models import Message
from workchat.search.query import Term


class Backend(Protocol):
    def matching(self, positive: tuple[Term, ...], negative: tuple[Term, ...]) -> Any:
        """A SELECT of (Message, score) for messages matching the terms, newest first."""

    def excluding(self, negative: tuple[Term, ...]) -> ColumnElement[bool]:
        """A condition true for messages containing none of ``negative``."""


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

    def matching(self, positive: tuple[Term, ...], negative: tuple[Term, ...]) -> Any:
        fts = self.fts
        return (
            select(Message, (-literal_column("bm25(search_messages)")).label("score"))
            .select_from(fts.join(Message, Message.search_key == fts.c.rowid))
            .where(
                text("search_messages MATCH :match").bindparams(
                    match=self._match(positive, negative)
                )
            )
            .order_by(fts.c.rowid.desc())
        )

    def excluding(self, negative: tuple[Term, ...]) -> ColumnElement[bool]:
        expression = " OR ".join(fts5_expression(t) for t in negative)
        hits = select(self.fts.c.rowid).where(
            text("search_messages MATCH :excluded").bindparams(excluded=expression)
        )
        return Message.search_key.not_in(hits)


def tsquery_expression(term: Term) -> str:
    lexemes = ["'" + w.replace("'", "''").replace("\\", "\\\\") + "'" for w in term.words]
    if term.prefix:
        lexemes[-1] += ":*"
    joined = " <-> ".join(lexemes)
    return f"({joined})" if len(lexemes) > 1 else joined


class PostgresTsvector:
    # Exactly the indexed expression (search_messages_text), so the GIN index applies.
    document = func.to_tsvector(literal_column("'simple'::regconfig"), Message.search_text)

    def _query(self, expression: str) -> Any:
        return func.to_tsquery(literal_column("'simple'::regconfig"), expression)

    def matching(self, positive: tuple[Term, ...], negative: tuple[Term, ...]) -> Any:
        parts = [tsquery_expression(t) for t in positive]
        parts += ["!" + tsquery_expression(t) for t in negative]
        query = self._query(" & ".join(parts))
        return (
            select(Message, func.ts_rank(self.document, query).label("score"))
            .where(self.document.bool_op("@@")(query))
            .order_by(Message.search_key.desc())
        )

    def excluding(self, negative: tuple[Term, ...]) -> ColumnElement[bool]:
        query = self._query(" | ".join(tsquery_expression(t) for t in negative))
        matches: ColumnElement[bool] = self.document.bool_op("@@")(query)
        return not_(matches)


def backend_for(dialect: str) -> Backend:
    return SqliteFts5() if dialect == "sqlite" else PostgresTsvector()
