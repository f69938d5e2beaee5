"""The hub wakes only the listeners that can want an event: its org's, and within the org the
org-wide ones, the event's channel's and its user's (docs/adr/0020-subscription-fan-out.md)."""

from __future__ import annotations

import uuid

import pytest

from tests.events.helpers import receive, write_events
from tests.support.personas import Personas, as_user
from workchat import metrics
from workchat.actions.channels import create_channel
from workchat.events.hub import Listener
from workchat.events.signals import Signal
from workchat.services import Services


def _count_offers(monkeypatch: pytest.MonkeyPatch) -> dict[int, int]:
    """How many times each listener (by id) was offered an event."""
    offers: dict[int, int] = {}
    original = Listener.offer

    def counting(self: Listener, event: object) -> bool:
        offers[id(self)] = offers.get(id(self), 0) + 1
        return original(self, event)  # type: ignore[arg-type]

    monkeypatch.setattr(Listener, "offer", counting)
    return offers


async def test_a_channel_listener_is_offered_only_its_channels_events(
    services: Services, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = personas.alice.org_id
    general = await create_channel(services, as_user(personas.alice), name="index-a")
    random = await create_channel(services, as_user(personas.alice), name="index-b")
    offers = _count_offers(monkeypatch)
    async with (
        services.hub.listen(org, channel_id=general.id) as mine,
        services.hub.listen(org, channel_id=random.id) as other,
        services.hub.listen(org) as everything,
    ):
        await write_events(services, org, 3, channel_id=random.id)
        wanted = await write_events(services, org, 2, channel_id=general.id)
        await write_events(services, org, 1)  # org-wide, no channel
        assert await receive(mine, 2) == wanted
        assert len(await receive(everything, 6)) == 6
        assert len(await receive(other, 3)) == 3
        assert mine.queue.empty() and other.queue.empty()
    assert offers[id(mine)] == 2
    assert offers[id(other)] == 3
    assert offers[id(everything)] == 6


async def test_a_channel_listener_gets_only_its_channels_signals(
    services: Services, personas: Personas
) -> None:
    org = personas.alice.org_id
    general = await create_channel(services, as_user(personas.alice), name="index-s")
    async with (
        services.hub.listen(org, channel_id=general.id) as mine,
        services.hub.listen(org) as everything,
    ):
        elsewhere = Signal(org_id=org, type="test.signal", channel_id=uuid.uuid4())
        here = Signal(org_id=org, type="test.signal", channel_id=general.id)
        await services.bus.signal(elsewhere)
        await services.bus.signal(here)
        assert [await everything.next() for _ in range(2)] == [elsewhere, here]
        assert await mine.next() == here
        assert not mine.signals


async def test_a_user_listener_is_offered_only_that_users_events(
    services: Services, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A socket's session guard (``only_user``) is not scanned for other users' events."""
    org = personas.alice.org_id
    offers = _count_offers(monkeypatch)
    delivered = metrics.EVENTS_DELIVERED._value.get()
    async with (
        services.hub.listen(org, only_user=personas.bob.id) as guard,
        services.hub.listen(org) as everything,
    ):
        await write_events(services, org, 4)  # by the system user, not bob
        assert len(await receive(everything, 4)) == 4
    assert id(guard) not in offers and guard.queue.empty()
    # Deliveries are counted once per queued event, not per listener looked at.
    assert metrics.EVENTS_DELIVERED._value.get() - delivered == 4


async def test_a_listener_is_not_woken_by_another_orgs_events(
    services: Services, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    offers = _count_offers(monkeypatch)
    async with (
        services.hub.listen(personas.alice.org_id) as acme,
        services.hub.listen(personas.eve.org_id) as evil,
    ):
        written = await write_events(services, personas.eve.org_id, 3)
        assert await receive(evil, 3) == written
        assert acme.queue.empty() and not acme.signals
    assert id(acme) not in offers
