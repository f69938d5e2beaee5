"""BM25's term-frequency part, computed from search_text for one term.

SQLite's bm25() first counts every document that holds each phrase (its IDF): 10 ms for
"the" at a million messages, whatever the number of rows ranked. With a single positive
term the IDF is the same for every row and cannot change the order, so the backend ranks
such queries here instead: the same formula (k1 = 1.2, b = 0.75), with the ranked rows'
average length standing in for the corpus's.
"""

from __future__ import annotations

from collections.abc import Sequence

from workchat.search.query import Term

K1 = 1.2
B = 0.75


def occurrences(term: Term, tokens: Sequence[str]) -> int:
    """How often the word, phrase or prefix occurs in a row's tokens (search_text split)."""
    words, size = term.words, len(term.words)
    count = 0
    for start in range(len(tokens) - size + 1):
        *head, last = tokens[start : start + size]
        if list(words[:-1]) != head:
            continue
        if last == words[-1] or (term.prefix and last.startswith(words[-1])):
            count += 1
    return count


def term_scores(term: Term, texts: Sequence[str]) -> list[float]:
    """A BM25 score (without IDF) of ``term`` for each search_text; higher ranks first."""
    rows = [text.split() for text in texts]
    average = sum(len(tokens) for tokens in rows) / len(rows) if rows else 1.0
    scores = []
    for tokens in rows:
        tf = occurrences(term, tokens)
        norm = K1 * (1 - B + B * len(tokens) / max(average, 1.0))
        scores.append(tf * (K1 + 1) / (tf + norm) if tf else 0.0)
    return scores
