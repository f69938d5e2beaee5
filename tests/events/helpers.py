"""Helpers for event tests: write real events through the unit of work, age them, drop them
from the bus."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update

from workchat.actions.unit import unit_of_work
from workchat.auth.viewer import system
from workchat.db.models import Event
from workchat.events.hub import Listener
from workchat.events.log import CommittedEvent
from workchat.services import Services


async def write_events(
    services: Services,
    org_id: uuid.UUID,
    count: int,
    *,
    type_: str = "probe",
    channel_id: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
) -> list[CommittedEvent]:
    """One action emitting ``count`` events; they are published after commit as usual."""
    async with unit_of_work(services, system(operation="test")) as unit:
        for n in range(count):
            unit.emit(org_id, type_, {"n": n, **(payload or {})}, channel_id=channel_id)
    return unit.committed_events


def drop_on_bus(services: Services, drop: Callable[[CommittedEvent], bool]) -> list[int]:
    """Make the bus lose the events ``drop`` picks (they stay in the log); returns their seqs."""
    dropped: list[int] = []
    original = services.bus.publish

    async def lossy(events: list[CommittedEvent]) -> None:
        kept = []
        for event in events:
            if drop(event):
                dropped.append(event.seq)
            else:
                kept.append(event)
        await original(kept)

    services.bus.publish = lossy  # type: ignore[method-assign]
    return dropped


async def age_events(services: Services, seqs: Iterable[int], created_at: datetime) -> None:
    async with services.db.write_session() as session, session.begin():
        await session.execute(
            update(Event).where(Event.seq.in_(list(seqs))).values(created_at=created_at)
        )


async def receive(listener: Listener, count: int, within: float = 10) -> list[CommittedEvent]:
    return [await asyncio.wait_for(listener.next(), within) for _ in range(count)]
