"""Parsed documents by query text: a client sends the same few operations over and over,
and parsing one costs more than running ``{ viewer { id } }``.

Only parsing is skipped. The cost pass and the validation rules (``BoundedValidation``) still
run on every request, so a cached document is refused exactly as a fresh one; a text that
does not parse (over the token limit, a syntax error) is never cached and is left to
Strawberry, which parses it again and answers with its usual error.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension

MAX_ENTRIES = 256
MAX_TEXT = 16 * 1024  # longer texts are rare and not worth the memory


class DocumentCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max = max_entries
        self._documents: OrderedDict[tuple[str, int | None], DocumentNode] = OrderedDict()

    def parse(self, query: str, max_tokens: int | None) -> DocumentNode | None:
        """The document for ``query``, or None when it does not parse."""
        key = (query, max_tokens)
        document = self._documents.get(key)
        if document is not None:
            self._documents.move_to_end(key)
            return document
        try:
            document = parse(query, max_tokens=max_tokens)
        except GraphQLError:
            return None
        if len(query) <= MAX_TEXT:
            self._documents[key] = document
            if len(self._documents) > self._max:
                self._documents.popitem(last=False)
        return document

    def __len__(self) -> int:
        return len(self._documents)


class CachedParsing(SchemaExtension):
    """Parsing through the cache, stopped after ``max_tokens`` tokens (also when Strawberry
    parses a document the cache refused, to report the error).

    The token limit is set here, when parsing starts, rather than by Strawberry's
    ``MaxTokensLimiter``: that one sets it in an operation hook, which a subscription keeps
    open (a generator and its context manager) for as long as it lives, on every socket
    (docs/adr/0020-subscription-fan-out.md)."""

    def __init__(self, cache: DocumentCache, max_tokens: int) -> None:
        self.cache = cache
        self.max_tokens = max_tokens

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        if context.graphql_document is None and context.query:
            context.graphql_document = self.cache.parse(context.query, self.max_tokens)
        yield
