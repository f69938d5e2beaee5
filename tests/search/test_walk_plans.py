"""Whichever plan a search takes (walk newest first, walk in growing ranges, hand the rest to
the full-text index), it returns the same matches in the same order: every path is forced
here on a small corpus, where the defaults would walk everything in one go."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from tests.search.test_search import bodies
from tests.support.personas import Personas, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions.reactions import add_reaction
from workchat.search import backends
from workchat.services import Services

WORDS = ["deploy", "the", "build", "kubectl", "kube", "merge", "conflict", "café", "is", "green"]
QUERIES = [
    "the",
    "kube*",
    "deploy the",
    '"merge conflict"',
    '"the build is"',
    "has:reaction the",
    "café -deploy",
    "build in:ops",
    "in:ops -deploy",
    "has:reaction in:ops",
    "zzz",
]


def deciding(*answers: bool) -> Callable[[float, float, float], bool]:
    """A stand-in for backends._gin_is_cheaper: these answers in turn, then the last one."""
    given = iter(answers)

    def decide(_holding: float, _share: float, _rows: float) -> bool:
        return next(given, answers[-1])

    return decide


# (first range rows, sparse rate, what "is the GIN index cheaper?" answers; None: the real
# estimate): walk ranges only; GIN at once; ranges, sparse, then GIN; the defaults.
PLANS: list[tuple[int, float, tuple[bool, ...] | None]] = [
    (1, 0.0, (False,)),
    (3, 1.1, (True,)),
    (3, 1.1, (False, True)),
    (backends.FIRST_RANGE_ROWS, backends.SPARSE_RATE, None),
]


@pytest.mark.parametrize("sort", ["newest", "relevance"])
async def test_every_plan_finds_the_same_matches(
    backend: str,
    services: Services,
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
    sort: str,
) -> None:
    alice = as_user(personas.alice)
    ops = await ch.create_channel(services, alice, name="ops")
    rng = random.Random(7)
    for n in range(60):
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7)))
        if n % 9 == 0:
            body += " the build is green"
        if n % 11 == 0:
            body += " merge conflict"
        posted = await msg.post_message(services, alice, channel_id=ops.id, body=body)
        if n % 4 == 0:
            await add_reaction(services, alice, posted.id, "👍")
    results = []
    real = backends._gin_is_cheaper
    for first, sparse, answers in PLANS:
        monkeypatch.setattr(backends, "FIRST_RANGE_ROWS", first)
        monkeypatch.setattr(backends, "SPARSE_RATE", sparse)
        found = {}
        for text in QUERIES:
            # Fresh per query: a stand-in's answers are per search.
            decide = real if answers is None else deciding(*answers)
            monkeypatch.setattr(backends, "_gin_is_cheaper", decide)
            found[text] = await bodies(services, alice, text, sort=sort, limit=30)
        results.append(found)
    assert all(r == results[-1] for r in results), backend
    assert results[-1]["zzz"] == []
    assert len(results[-1]["the"]) > 20
    assert all("merge conflict" in body for body in results[-1]['"merge conflict"'])


async def test_a_long_message_is_stored_and_found_by_every_plan(
    backend: str, services: Services, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message of thousands of distinct words (its tsvector far over a B-tree entry's
    2,704 bytes) posts, is edited to another such body, takes a reaction, and is found by
    its new words (not its old ones) by the walk and by the GIN index."""
    alice = as_user(personas.alice)
    ops = await ch.create_channel(services, alice, name="ops")
    first = " ".join(f"v{n}x" for n in range(3000))
    posted = await msg.post_message(services, alice, channel_id=ops.id, body=first)
    body = " ".join(f"w{n}x" for n in range(3000))  # an edit reindexes it
    await msg.edit_message(services, alice, message_id=posted.id, body=body)
    await add_reaction(services, alice, posted.id, "👍")
    await msg.post_message(services, alice, channel_id=ops.id, body="w2998x alone")
    for first, sparse, answers in PLANS[:2]:
        monkeypatch.setattr(backends, "FIRST_RANGE_ROWS", first)
        monkeypatch.setattr(backends, "SPARSE_RATE", sparse)
        for text in ('"w2998x w2999x"', "has:reaction w1500x", "w0x -zzz", "v5x"):
            monkeypatch.setattr(backends, "_gin_is_cheaper", deciding(*answers))
            expected = [] if text == "v5x" else [body]
            assert await bodies(services, alice, text) == expected, (backend, answers, text)
