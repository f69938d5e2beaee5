"""Search semantics, identical on SQLite FTS5 and PostgreSQL: every test runs on both."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from tests.support.personas import Personas, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions.reactions import add_reaction
from workchat.auth.viewer import Viewer
from workchat.db.models import Message
from workchat.search import service
from workchat.search.keys import search_key
from workchat.search.query import QuerySyntaxError, parse
from workchat.services import Services


@dataclass
class Corpus:
    ids: dict[str, uuid.UUID]  # body -> message id
    alice: Viewer
    bob: Viewer
    eve: Viewer


BODIES_DEV = [
    "the deploy failed again",
    "Deploy finished: all green",
    "deployment pipeline is slow",
    "big deal about nothing",
    "a deal that is big",
    "read https://example.com/runbook first",
    "Café au lait, naïve question",
    "日本語 のテスト",
    "snake_case and e-mail",
]


@pytest.fixture
async def corpus(services: Services, personas: Personas) -> Corpus:
    alice, bob, eve = as_user(personas.alice), as_user(personas.bob), as_user(personas.eve)
    dev = await ch.create_channel(services, alice, name="dev")
    await ch.join_channel(services, bob, dev.id)
    secret = await ch.create_channel(services, alice, name="secret", is_private=True)
    evil = await ch.create_channel(services, eve, name="dev")
    ids: dict[str, uuid.UUID] = {}
    for body in BODIES_DEV:
        ids[body] = (await msg.post_message(services, alice, channel_id=dev.id, body=body)).id
    root = ids["the deploy failed again"]
    ids["bob replies about deploy"] = (
        await msg.post_message(
            services, bob, channel_id=dev.id, body="bob replies about deploy", thread_id=root
        )
    ).id
    ids["secret deploy plans"] = (
        await msg.post_message(services, alice, channel_id=secret.id, body="secret deploy plans")
    ).id
    ids["evil deploy"] = (
        await msg.post_message(services, eve, channel_id=evil.id, body="evil deploy")
    ).id
    await add_reaction(services, bob, ids["big deal about nothing"], "👍")
    await back_date(services, ids["a deal that is big"], datetime(2020, 5, 17, 12, tzinfo=UTC))
    return Corpus(ids, alice, bob, eve)


async def back_date(services: Services, message_id: uuid.UUID, at: datetime) -> None:
    """Move a message in time, as if posted then (its search key follows created_at)."""
    async with services.db.write_session() as session, session.begin():
        await session.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(created_at=at, search_key=search_key(at))
        )


async def bodies(
    services: Services, viewer: Viewer, text: str, *, sort: str = "newest", limit: int = 50
) -> list[str]:
    query = parse(text)
    async with services.db.read_session() as session:
        scope = await service.resolve_scope(session, viewer, query)
        page = await service.search_messages(
            session, query, scope, limit=limit, offset=0, sort=service.SearchSort(sort)
        )
    return [hit.message.body for hit in page.hits]


async def test_words_must_all_match(services: Services, corpus: Corpus) -> None:
    assert await bodies(services, corpus.bob, "deploy") == [
        "bob replies about deploy",
        "Deploy finished: all green",
        "the deploy failed again",
    ]
    assert await bodies(services, corpus.bob, "deploy green") == ["Deploy finished: all green"]
    assert await bodies(services, corpus.bob, "DEPLOY FAILED") == ["the deploy failed again"]


async def test_phrases_keep_word_order(services: Services, corpus: Corpus) -> None:
    assert await bodies(services, corpus.bob, '"big deal"') == ["big deal about nothing"]
    assert set(await bodies(services, corpus.bob, "big deal")) == {
        "big deal about nothing",
        "a deal that is big",
    }
    assert await bodies(services, corpus.bob, "e-mail") == ["snake_case and e-mail"]
    assert await bodies(services, corpus.bob, "snake_case") == ["snake_case and e-mail"]


async def test_prefixes(services: Services, corpus: Corpus) -> None:
    assert await bodies(services, corpus.bob, "deploy*") == [
        "bob replies about deploy",
        "deployment pipeline is slow",
        "Deploy finished: all green",
        "the deploy failed again",
    ]
    assert await bodies(services, corpus.bob, "pipe*") == ["deployment pipeline is slow"]


async def test_exclusions(services: Services, corpus: Corpus) -> None:
    assert await bodies(services, corpus.bob, "deploy -failed -green") == [
        "bob replies about deploy"
    ]
    assert await bodies(services, corpus.bob, 'deal -"big deal"') == ["a deal that is big"]
    assert "the deploy failed again" not in await bodies(services, corpus.bob, "in:dev -deploy")


async def test_unicode_and_case(services: Services, corpus: Corpus) -> None:
    assert await bodies(services, corpus.bob, "CAFÉ") == ["Café au lait, naïve question"]
    assert await bodies(services, corpus.bob, "cafe") == []  # accents are significant
    assert await bodies(services, corpus.bob, "日本語") == ["日本語 のテスト"]


async def test_operators(services: Services, corpus: Corpus) -> None:
    bob = corpus.bob
    assert await bodies(services, bob, "from:me") == ["bob replies about deploy"]
    assert await bodies(services, bob, "deploy from:alice") == [
        "Deploy finished: all green",
        "the deploy failed again",
    ]
    assert await bodies(services, bob, "deploy -from:alice@example.com") == [
        "bob replies about deploy"
    ]
    assert await bodies(services, bob, "deploy in:#DEV") == await bodies(services, bob, "deploy")
    assert await bodies(services, bob, "deploy in:nowhere") == []
    assert await bodies(services, bob, "has:link") == ["read https://example.com/runbook first"]
    assert await bodies(services, bob, "has:reaction") == ["big deal about nothing"]
    assert await bodies(services, bob, "deal -has:reaction") == ["a deal that is big"]
    assert await bodies(services, bob, "is:thread") == ["the deploy failed again"]
    assert await bodies(services, bob, "is:reply") == ["bob replies about deploy"]
    assert await bodies(services, bob, "deal before:2021-01-01") == ["a deal that is big"]
    assert await bodies(services, bob, "deal on:2020-05-17") == ["a deal that is big"]
    assert await bodies(services, bob, "deal after:2020-05-17") == ["big deal about nothing"]
    assert await bodies(services, bob, "deal on:2020-05-18") == []


async def test_date_filters_at_day_boundaries(services: Services, personas: Personas) -> None:
    """Dates bound the index walk by search key; the boundaries stay exact to the microsecond."""
    alice = as_user(personas.alice)
    general = await ch.create_channel(services, alice, name="dates")
    moments = {
        "late on the 17th": datetime(2020, 5, 17, 23, 59, 59, 999_999, tzinfo=UTC),
        "early on the 18th": datetime(2020, 5, 18, 0, 0, tzinfo=UTC),
        "noon on the 18th": datetime(2020, 5, 18, 12, 0, tzinfo=UTC),
        "early on the 19th": datetime(2020, 5, 19, 0, 0, tzinfo=UTC),
    }
    for body, at in moments.items():
        posted = await msg.post_message(services, alice, channel_id=general.id, body=body)
        await back_date(services, posted.id, at)
    expectations = {
        "on:2020-05-18": ["noon on the 18th", "early on the 18th"],
        "on:2020-05-17": ["late on the 17th"],
        "before:2020-05-18": ["late on the 17th"],
        "after:2020-05-18": ["early on the 19th"],
        "after:2020-05-17 before:2020-05-19": ["noon on the 18th", "early on the 18th"],
        "-on:2020-05-18": ["early on the 19th", "late on the 17th"],
        "-before:2020-05-18": ["early on the 19th", "noon on the 18th", "early on the 18th"],
        "-after:2020-05-18": ["noon on the 18th", "early on the 18th", "late on the 17th"],
        "after:2020-05-19 before:2020-05-18": [],
        "on:2020-05-18 on:2020-05-19": [],
    }
    for text, expected in expectations.items():
        # Once with a word (the full-text index walks the key range), once filters alone.
        assert await bodies(services, alice, f"{text} the in:dates") == expected, text
        assert await bodies(services, alice, f"{text} in:dates") == expected, text
        count_query = parse(f"{text} the in:dates")
        async with services.db.read_session() as session:
            scope = await service.resolve_scope(session, alice, count_query)
            assert await service.count_matches(session, count_query, scope) == (
                len(expected),
                True,
            ), text


async def test_only_readable_channels(services: Services, corpus: Corpus) -> None:
    assert "secret deploy plans" in await bodies(services, corpus.alice, "deploy")
    assert "secret deploy plans" not in await bodies(services, corpus.bob, "deploy")
    assert await bodies(services, corpus.bob, "in:secret deploy") == []
    assert await bodies(services, corpus.eve, "deploy") == ["evil deploy"]
    assert "evil deploy" not in await bodies(services, corpus.alice, "deploy")


async def test_deleted_never_appear_and_edits_are_reindexed(
    services: Services, corpus: Corpus
) -> None:
    alice = corpus.alice
    await msg.delete_message(services, alice, corpus.ids["the deploy failed again"])
    assert "the deploy failed again" not in await bodies(services, corpus.bob, "deploy")
    await msg.edit_message(
        services, alice, message_id=corpus.ids["Deploy finished: all green"], body="rollout done"
    )
    assert await bodies(services, corpus.bob, "green") == []
    assert await bodies(services, corpus.bob, "rollout") == ["rollout done"]


async def test_relevance_and_paging(services: Services, corpus: Corpus) -> None:
    ranked = await bodies(services, corpus.bob, "deal big", sort="relevance")
    assert set(ranked) == {"big deal about nothing", "a deal that is big"}
    query = parse("deploy*")
    async with services.db.read_session() as session:
        scope = await service.resolve_scope(session, corpus.bob, query)
        first = await service.search_messages(
            session, query, scope, limit=3, offset=0, sort=service.SearchSort.NEWEST
        )
        second = await service.search_messages(
            session, query, scope, limit=3, offset=3, sort=service.SearchSort.NEWEST
        )
        total = await service.count_matches(session, query, scope)
    assert first.has_more
    assert not second.has_more
    seen = [h.message.body for h in first.hits + second.hits]
    assert len(seen) == len(set(seen)) == 4
    assert total == (4, True)


async def test_relevance_prefers_more_occurrences(services: Services, personas: Personas) -> None:
    """Both backends (SQLite ranks single terms in Python, PostgreSQL with ts_rank)."""
    alice = as_user(personas.alice)
    channel = await ch.create_channel(services, alice, name="ranked")
    for body in ["rollout once", "rollout rollout rollout", "rollout and rollout", "none"]:
        await msg.post_message(services, alice, channel_id=channel.id, body=body)
    expected = ["rollout rollout rollout", "rollout and rollout", "rollout once"]
    assert await bodies(services, alice, "rollout", sort="relevance") == expected
    assert await bodies(services, alice, "rollout*", sort="relevance") == expected
    assert await bodies(services, alice, "rollout", sort="newest") == [
        "rollout and rollout",
        "rollout rollout rollout",
        "rollout once",
    ]
    query = parse("rollout")
    async with services.db.read_session() as session:
        scope = await service.resolve_scope(session, alice, query)
        second = await service.search_messages(
            session, query, scope, limit=2, offset=2, sort=service.SearchSort.RELEVANCE
        )
    assert [hit.message.body for hit in second.hits] == ["rollout once"]
    assert not second.has_more


async def test_count_is_capped(
    services: Services, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "COUNT_CAP", 2)
    query = parse("deploy")
    async with services.db.read_session() as session:
        scope = await service.resolve_scope(session, corpus.bob, query)
        assert await service.count_matches(session, query, scope) == (2, False)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=80))
async def test_random_queries_never_reach_the_database_as_errors(
    services: Services, corpus: Corpus, text: str
) -> None:
    """Whatever parses is valid SQL on the backend: quoting is ours, not the user's."""
    try:
        query = parse(text)
    except QuerySyntaxError:
        return
    async with services.db.read_session() as session:
        scope = await service.resolve_scope(session, corpus.bob, query)
        for sort in service.SearchSort:
            await service.search_messages(session, query, scope, limit=5, offset=0, sort=sort)
        await service.count_matches(session, query, scope)
