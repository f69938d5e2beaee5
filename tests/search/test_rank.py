"""rank.py: BM25's term-frequency part, used by SQLite for single-term relevance."""

from __future__ import annotations

from workchat.search.query import Term
from workchat.search.rank import occurrences, term_scores


def test_occurrences_of_words_phrases_and_prefixes() -> None:
    tokens = ["the", "build", "is", "green", "the", "build", "is", "red"]
    assert occurrences(Term(("build",)), tokens) == 2
    assert occurrences(Term(("the", "build", "is")), tokens) == 2
    assert occurrences(Term(("build", "the")), tokens) == 0
    assert occurrences(Term(("gr",), prefix=True), tokens) == 1
    assert occurrences(Term(("is", "r"), prefix=True), tokens) == 1
    assert occurrences(Term(("bui",)), tokens) == 0  # not a prefix query: whole words only
    assert occurrences(Term(("build",)), []) == 0


def test_more_occurrences_and_shorter_rows_rank_higher() -> None:
    deploy = Term(("deploy",))
    texts = [
        "deploy once",
        "deploy deploy deploy",
        "we will deploy it after the long meeting about the plan",
        "nothing here",
    ]
    scores = term_scores(deploy, texts)
    assert scores[1] > scores[0] > scores[2] > scores[3] == 0.0
    assert term_scores(deploy, []) == []
