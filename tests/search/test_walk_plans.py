"""Whichever plan a search takes (walk newest first, walk in growing ranges, hand the rest to
the full-text index), it returns the same matches in the same order: every path is forced
here on a small corpus, where the defaults would walk everything in one go."""

from __future__ import annotations

import random

import pytest

from tests.actions.helpers import as_user
from tests.conftest import Personas
from tests.search.test_search import bodies
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
    "zzz",
]
# (first range rows, sparse rate, GIN cost per row): walk only; ranges then walk on; ranges
# then the GIN index; the defaults.
PLANS = [
    (1, 0.0, 1.0),
    (3, 1.1, 1e9),
    (3, 1.1, 0.0),
    (backends.FIRST_RANGE_ROWS, backends.SPARSE_RATE, backends.GIN_ROW_COST),
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
    for first, sparse, cost in PLANS:
        monkeypatch.setattr(backends, "FIRST_RANGE_ROWS", first)
        monkeypatch.setattr(backends, "SPARSE_RATE", sparse)
        monkeypatch.setattr(backends, "GIN_ROW_COST", cost)
        results.append({q: await bodies(services, alice, q, sort=sort, limit=30) for q in QUERIES})
    assert all(r == results[-1] for r in results), backend
    assert results[-1]["zzz"] == []
    assert len(results[-1]["the"]) > 20
    assert all("merge conflict" in body for body in results[-1]['"merge conflict"'])
