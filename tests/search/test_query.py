"""The query language parser: a pure function with positions in every error."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workchat.search.query import (
    MAX_QUERY_LENGTH,
    Filter,
    QuerySyntaxError,
    Term,
    index_text,
    parse,
    words_of,
)


def test_words_all_must_match() -> None:
    query = parse("Deploy  FAILED")
    assert query.terms == (Term(("deploy",)), Term(("failed",)))
    assert query.filters == ()


def test_phrases_prefixes_and_negation() -> None:
    query = parse('"big deal" pre* -noise -"bad phrase" -from:bob')
    assert query.terms == (
        Term(("big", "deal")),
        Term(("pre",), prefix=True),
        Term(("noise",), negated=True),
        Term(("bad", "phrase"), negated=True),
    )
    assert query.filters == (Filter("from", "bob", negated=True),)


def test_operators() -> None:
    query = parse(
        "from:@Alice in:#Dev before:2024-01-02 after:2023-12-01 on:2023-12-15 "
        "has:Reaction has:link is:thread is:reply x"
    )
    assert query.filters == (
        Filter("from", "Alice"),
        Filter("in", "Dev"),
        Filter("before", date(2024, 1, 2)),
        Filter("after", date(2023, 12, 1)),
        Filter("on", date(2023, 12, 15)),
        Filter("has", "reaction"),
        Filter("has", "link"),
        Filter("is", "thread"),
        Filter("is", "reply"),
    )
    assert parse("FROM:me x").filters == (Filter("from", "me"),)


def test_unicode_and_compound_words() -> None:
    assert parse("Café NAÏVE 日本語").terms == (
        Term(("café",)),
        Term(("naïve",)),
        Term(("日本語",)),
    )
    # "e-mail" and "don't" hold several words: they must appear together, as a phrase
    assert parse("e-mail").terms == (Term(("e", "mail")),)
    assert parse("snake_case").terms == (Term(("snake", "case")),)


def test_punctuation_only_tokens_are_ignored() -> None:
    assert parse("hello !!! ...").terms == (Term(("hello",)),)


def test_filters_alone_are_a_query() -> None:
    assert parse("from:me").terms == ()


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("", 0, "at least one word"),
        ("   ", 0, "at least one word"),
        ("-only", 0, "at least one word"),
        ('say "hello', 4, "never closed"),
        ('""', 0, "empty phrase"),
        ('"a"b', 3, "space after the closing quote"),
        ("foo:bar", 0, "unknown operator 'foo:'"),
        ("x before:2024-13-01", 9, "YYYY-MM-DD"),
        ("x on:yesterday", 5, "YYYY-MM-DD"),
        ("x after:2024-1-5", 8, "YYYY-MM-DD"),
        ("x has:cats", 6, "reaction or link"),
        ("x is:root", 5, "thread or reply"),
        ("x in:", 5, "needs a value"),
        ("x in:#", 5, "channel name"),
        ("x from:@", 7, "a person"),
        ("- x", 0, "must be followed"),
        ("a*b", 1, "may only end a word"),
        ("x *", 2, "must follow a word"),
        ("a*", 0, "at least 2 characters"),
        ('ab"c', 2, "must start a phrase"),
    ],
)
def test_malformed_queries_name_the_position(text: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)
    assert caught.value.position == position
    assert message in caught.value.message


def test_length_limit() -> None:
    parse("a" * MAX_QUERY_LENGTH)
    with pytest.raises(QuerySyntaxError) as caught:
        parse("a" * (MAX_QUERY_LENGTH + 1))
    assert caught.value.position == MAX_QUERY_LENGTH


def test_index_text_matches_query_words() -> None:
    body = "Hello, World! Ünïcode-Straße_x 42nd"
    assert index_text(body) == "hello world ünïcode strasse x 42nd"
    assert words_of(body) == tuple(index_text(body).split())


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=600))
def test_random_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        query = parse(text)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= max(len(text), MAX_QUERY_LENGTH)
        assert error.message
    else:
        assert query.positive_terms or query.filters
        for term in query.terms:
            assert term.words
            assert all(word == word.casefold() for word in term.words)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(['"', "-", "*", ":", "from:", "in:#", "before:", "has:", "is:", " "]),
            st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
        ),
        max_size=20,
    )
)
def test_operator_soup_never_crashes(parts: list[str]) -> None:
    with contextlib.suppress(QuerySyntaxError):
        parse("".join(parts))
