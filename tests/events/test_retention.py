"""Retention: old events go in small batches, each org's watermark remembers the highest
pruned seq, cursors before it expire, and seqs are never reused."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.events.helpers import age_events, write_events
from tests.support.db import count_rows
from tests.support.personas import Personas
from workchat.app import create_app
from workchat.db.base import utcnow
from workchat.db.models import Event, EventWatermark
from workchat.events import retention
from workchat.events.reads import EventLog, cursor_expired, head_seq
from workchat.events.retention import prune_events, retention_cutoff, run_pruner
from workchat.services import Services

OLD = timedelta(days=30)
WEEK = timedelta(days=7)


async def _watermarks(services: Services) -> dict[object, int]:
    async with services.db.read_session() as session:
        rows = await session.execute(select(EventWatermark.org_id, EventWatermark.pruned_seq))
        return {row.org_id: row.pruned_seq for row in rows}


async def test_prunes_old_events_in_batches_and_records_watermarks(
    services: Services, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme, evil = personas.alice.org_id, personas.eve.org_id
    await write_events(services, acme, 5)
    await write_events(services, evil, 3)
    old_acme = await write_events(services, acme, 2)
    recent = await write_events(services, acme, 2)
    total = await count_rows(services, Event)
    await age_events(services, range(old_acme[-1].seq + 1), utcnow() - OLD)
    old_evil_head = await EventLog(services.db).head_seq(evil)

    transactions = 0
    original = services.db.write_session

    def counting():  # type: ignore[no-untyped-def]
        nonlocal transactions
        transactions += 1
        return original()

    monkeypatch.setattr(services.db, "write_session", counting)
    result = await prune_events(services.db, older_than=utcnow() - WEEK, batch_size=4)

    assert result.deleted == total - 2
    # One short transaction per batch of 4; the last one finds the first recent event.
    assert transactions == (total - 2) // 4 + 1
    assert result.pruned_through == {acme: old_acme[-1].seq, evil: old_evil_head}
    assert await _watermarks(services) == result.pruned_through
    assert await count_rows(services, Event) == 2
    assert [e.seq for e in await EventLog(services.db).read_after(acme, 0)] == [
        e.seq for e in recent
    ]
    async with services.db.read_session() as session:
        assert await cursor_expired(session, acme, old_acme[0].seq)
        assert not await cursor_expired(session, acme, old_acme[-1].seq)
        assert not await cursor_expired(session, acme, recent[0].seq)
        assert await cursor_expired(session, evil, 0)
        # Every event of evil is gone; its head is still its last seq.
        assert await head_seq(session, evil) == old_evil_head

    again = await prune_events(services.db, older_than=utcnow() - WEEK, batch_size=4)
    assert (again.deleted, again.pruned_through) == (0, {})


async def test_pruning_everything_neither_reuses_seqs_nor_breaks_the_chain(
    services: Services, personas: Personas
) -> None:
    acme = personas.alice.org_id
    last = await write_events(services, acme, 3)
    await age_events(services, range(last[-1].seq + 1), utcnow() - OLD)
    await prune_events(services.db, older_than=utcnow() - WEEK)
    assert await count_rows(services, Event) == 0
    after = await write_events(services, acme, 1)
    assert after[0].seq > last[-1].seq
    assert after[0].prev_seq == last[-1].seq


async def test_a_later_watermark_never_goes_back(services: Services, personas: Personas) -> None:
    acme = personas.alice.org_id
    first = await write_events(services, acme, 1)
    await age_events(services, range(first[-1].seq + 1), utcnow() - OLD)
    await prune_events(services.db, older_than=utcnow() - WEEK)
    async with services.db.write_session() as session, session.begin():
        await retention._raise_watermark(session, acme, 1)  # e.g. a slower concurrent pruner
    assert (await _watermarks(services))[acme] == first[-1].seq


def test_cutoff_follows_the_setting(services: Services) -> None:
    now = utcnow()
    settings = replace(services.settings, event_retention_days=3)
    assert retention_cutoff(settings, now) == now - timedelta(days=3)


async def test_the_periodic_pruner_logs_failures_and_keeps_going(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[int] = []
    third = asyncio.Event()

    async def flaky(db: object, *, older_than: object) -> retention.PruneResult:
        runs.append(len(runs))
        if len(runs) == 1:
            raise ConnectionError("database went away")
        if len(runs) == 3:
            third.set()
        return retention.PruneResult(deleted=1)

    real_sleep = asyncio.sleep
    intervals: list[float] = []

    async def no_sleep(seconds: float) -> None:
        intervals.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(retention, "prune_events", flaky)
    monkeypatch.setattr(retention.asyncio, "sleep", no_sleep)
    settings = replace(services.settings, event_prune_interval_seconds=123)
    with caplog.at_level(logging.INFO, logger="workchat.events.retention"):
        task = asyncio.create_task(run_pruner(services.db, settings))
        await asyncio.wait_for(third.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert intervals[:2] == [123, 123]
    assert "pruning the event log failed" in caplog.text
    assert "pruned 1 events" in caplog.text


async def test_the_server_prunes_while_it_runs(services: Services, personas: Personas) -> None:
    acme = personas.alice.org_id
    old = await write_events(services, acme, 2)
    await age_events(services, range(old[-1].seq + 1), utcnow() - OLD)
    pruned = asyncio.Event()
    original = retention.prune_events

    async def watched(*args: object, **kwargs: object) -> retention.PruneResult:
        result = await original(*args, **kwargs)  # type: ignore[arg-type]
        pruned.set()
        return result

    app = create_app(services.settings, services)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(retention, "prune_events", watched)
        async with app.router.lifespan_context(app):
            await asyncio.wait_for(pruned.wait(), 10)
            assert await count_rows(services, Event) == 0
