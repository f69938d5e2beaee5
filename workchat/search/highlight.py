"""Snippets: a short, HTML-escaped window of the body with matches wrapped in <mark>."""

from __future__ import annotations

import html
import re

from workchat.search.query import SearchQuery

SNIPPET_CHARS = 160
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def _pattern(query: SearchQuery) -> re.Pattern[str] | None:
    words = {w for term in query.positive_terms for w in term.words}
    prefixes = {term.words[-1] for term in query.positive_terms if term.prefix}
    parts = [re.escape(w) + r"(?![^\W_])" for w in sorted(words - prefixes, key=len, reverse=True)]
    parts += [re.escape(p) + r"[^\W_]*" for p in sorted(prefixes, key=len, reverse=True)]
    if not parts:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(parts) + ")", re.IGNORECASE)


def snippet(body: str, query: SearchQuery, *, width: int = SNIPPET_CHARS) -> str:
    """Centre the window on the first match; everything outside <mark> is escaped text."""
    pattern = _pattern(query)
    matches = list(pattern.finditer(body)) if pattern else []
    start = 0
    if matches and len(body) > width:
        start = max(0, matches[0].start() - width // 3)
    end = min(len(body), start + width)
    pieces: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for match in matches:
        if match.start() < cursor or match.end() > end:
            continue
        pieces.append(html.escape(body[cursor : match.start()]))
        pieces.append(MARK_OPEN + html.escape(match.group(0)) + MARK_CLOSE)
        cursor = match.end()
    pieces.append(html.escape(body[cursor:end]))
    if end < len(body):
        pieces.append("…")
    return "".join(pieces)
