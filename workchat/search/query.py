"""The search query language, parsed into a small AST (docs/adr/0002-search-index.md).

    words            all must match (case-insensitive, any script)
    "a phrase"       the words in this order
    prefix*          words starting with prefix (at least 2 characters)
    -word -"phrase"  exclusion; also -operator:value
    from:NAME        author by display name, email or @handle; from:me
    in:NAME          channel by name (in:#name too)
    before:/after:/on:YYYY-MM-DD   dates in UTC
    has:reaction has:link is:thread is:reply

Operators combine with AND. Malformed input raises ``QuerySyntaxError`` with the position.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

MAX_QUERY_LENGTH = 512
MIN_PREFIX = 2
OPERATORS = ("from", "in", "before", "after", "on", "has", "is")
HAS_VALUES = ("reaction", "link")
IS_VALUES = ("thread", "reply")
# Letters and digits of any script; everything else (underscore too) separates words,
# as in SQLite FTS5's unicode61 tokenizer.
WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


class QuerySyntaxError(ValueError):
    def __init__(self, position: int, message: str) -> None:
        super().__init__(f"{message} (at position {position})")
        self.position = position
        self.message = message


@dataclass(frozen=True, slots=True)
class Term:
    """One word, or a phrase of several words in order; ``prefix`` applies to the last."""

    words: tuple[str, ...]
    prefix: bool = False
    negated: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True, slots=True)
class Filter:
    name: str  # one of OPERATORS
    value: str | date
    negated: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    terms: tuple[Term, ...] = ()
    filters: tuple[Filter, ...] = field(default=())

    @property
    def positive_terms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negated)

    @property
    def negative_terms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.negated)

    def filters_named(self, name: str) -> tuple[Filter, ...]:
        return tuple(f for f in self.filters if f.name == name)


def normalize(text: str) -> str:
    """Case-folded NFC: what both backends index."""
    return unicodedata.normalize("NFC", text).casefold()


def words_of(text: str) -> tuple[str, ...]:
    return tuple(WORD_RE.findall(normalize(text)))


def index_text(body: str) -> str:
    """What gets indexed for a message body: its words, normalized, space-separated."""
    return " ".join(words_of(body))


def parse(text: str) -> SearchQuery:
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            MAX_QUERY_LENGTH, f"a query is at most {MAX_QUERY_LENGTH} characters"
        )
    parser = _Parser(text)
    query = parser.parse()
    if not query.positive_terms and not any(not f.negated for f in query.filters):
        raise QuerySyntaxError(0, "the query needs at least one word or filter to search for")
    return query


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.terms: list[Term] = []
        self.filters: list[Filter] = []

    def parse(self) -> SearchQuery:
        while True:
            self._skip_space()
            if self.pos >= len(self.text):
                break
            self._item()
        return SearchQuery(tuple(self.terms), tuple(self.filters))

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _item(self) -> None:
        start = self.pos
        negated = False
        if self.text[self.pos] == "-":
            negated = True
            self.pos += 1
            if self.pos >= len(self.text) or self.text[self.pos].isspace():
                raise QuerySyntaxError(start, "'-' must be followed by a word, phrase or operator")
        if self.text[self.pos] == '"':
            self._phrase(negated)
            return
        token_start = self.pos
        while self.pos < len(self.text) and not self.text[self.pos].isspace():
            if self.text[self.pos] == '"':
                raise QuerySyntaxError(self.pos, "a quote must start a phrase")
            self.pos += 1
        token = self.text[token_start : self.pos]
        name, colon, value = token.partition(":")
        if colon and name and name.isascii() and name.isalpha():
            self._filter(name.lower(), value, negated, token_start)
            return
        self._word(token, negated, token_start)

    def _phrase(self, negated: bool) -> None:
        quote = self.pos
        end = self.text.find('"', quote + 1)
        if end < 0:
            raise QuerySyntaxError(quote, "this quote is never closed")
        words = words_of(self.text[quote + 1 : end])
        self.pos = end + 1
        if self.pos < len(self.text) and not self.text[self.pos].isspace():
            raise QuerySyntaxError(self.pos, "expected a space after the closing quote")
        if not words:
            raise QuerySyntaxError(quote, "an empty phrase matches nothing")
        self.terms.append(Term(words, negated=negated))

    def _word(self, token: str, negated: bool, start: int) -> None:
        prefix = token.endswith("*")
        core = token.rstrip("*") if prefix else token
        if "*" in core:
            raise QuerySyntaxError(start + core.index("*"), "'*' may only end a word")
        words = words_of(core)
        if not words:
            if prefix:
                raise QuerySyntaxError(start, "'*' must follow a word")
            return  # punctuation only: nothing to search for
        if prefix and len(words[-1]) < MIN_PREFIX:
            raise QuerySyntaxError(start, f"a prefix needs at least {MIN_PREFIX} characters")
        # "e-mail" or "don't" hold several words: they must appear as a phrase.
        self.terms.append(Term(words, prefix=prefix, negated=negated))

    def _filter(self, name: str, value: str, negated: bool, start: int) -> None:
        if name not in OPERATORS:
            raise QuerySyntaxError(
                start,
                f"unknown operator '{name}:' (known: {', '.join(o + ':' for o in OPERATORS)})",
            )
        value_at = start + len(name) + 1
        if not value:
            raise QuerySyntaxError(value_at, f"'{name}:' needs a value")
        if name in ("before", "after", "on"):
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                raise QuerySyntaxError(value_at, f"'{name}:' needs a date as YYYY-MM-DD") from None
            if len(value) != 10:
                raise QuerySyntaxError(value_at, f"'{name}:' needs a date as YYYY-MM-DD")
            self.filters.append(Filter(name, parsed, negated))
            return
        if name == "has" and value.lower() not in HAS_VALUES:
            raise QuerySyntaxError(value_at, "'has:' takes reaction or link")
        if name == "is" and value.lower() not in IS_VALUES:
            raise QuerySyntaxError(value_at, "'is:' takes thread or reply")
        if name in ("has", "is"):
            value = value.lower()
        elif name == "in":
            value = value.removeprefix("#")
            if not value:
                raise QuerySyntaxError(value_at, "'in:' needs a channel name")
        elif name == "from":
            value = value.removeprefix("@")
            if not value:
                raise QuerySyntaxError(value_at, "'from:' needs a person")
        self.filters.append(Filter(name, value, negated))
