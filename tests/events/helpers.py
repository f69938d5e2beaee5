"""Helpers for event tests: write real events through the unit of work, age them, drop them
from the bus."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from workchat.actions.unit import unit_of_work
from workchat.auth.viewer import system
from workchat.db.models import Event
from workchat.events.catalogue import Audience, DomainEvent
from workchat.events.hub import Listener
from workchat.events.log import CommittedEvent
from workchat.services import Services


@dataclass(frozen=True, slots=True)
class Probe(DomainEvent):
    """A test-only org-wide event: the transport and the log do not care about the type."""

    type = "test.probe"
    audience = Audience.ORG

    n: int
    text: str


@dataclass(frozen=True, slots=True)
class ChannelProbe(DomainEvent):
    """A test-only event of one channel (its log row carries the channel_id)."""

    type = "test.channel_probe"
    audience = Audience.CHANNEL

    channel_id: uuid.UUID
    n: int
    text: str


async def write_events(
    services: Services,
    org_id: uuid.UUID,
    count: int,
    *,
    channel_id: uuid.UUID | None = None,
    text: str = "",
) -> list[CommittedEvent]:
    """One action emitting ``count`` probes; they are published after commit as usual."""
    async with unit_of_work(services, system(operation="test")) as unit:
        for n in range(count):
            if channel_id is None:
                unit.emit(Probe(org_id=org_id, n=n, text=text))
            else:
                unit.emit(ChannelProbe(org_id=org_id, channel_id=channel_id, n=n, text=text))
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
