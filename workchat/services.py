"""The long-lived things every entry point shares: settings, database, bus, password hasher."""

from __future__ import annotations

from dataclasses import dataclass

from workchat.auth.cache import CredentialCache
from workchat.auth.passwords import Passwords
from workchat.db.engine import Database
from workchat.events.bus import EventBus
from workchat.events.credentials import CredentialWatch
from workchat.events.fanout import Fanout
from workchat.events.hub import EventHub
from workchat.events.presence import PresenceTracker
from workchat.events.reads import EventLog
from workchat.events.typing import TypingThrottle
from workchat.ratelimit import RateLimits
from workchat.settings import Settings


@dataclass(slots=True)
class Services:
    settings: Settings
    db: Database
    bus: EventBus
    hub: EventHub
    passwords: Passwords
    typing: TypingThrottle
    presence: PresenceTracker
    ratelimit: RateLimits
    credentials: CredentialWatch[CredentialCache]
    # Subscription events executed once per group of identical subscribers (ADR 0020).
    fanout: Fanout

    @classmethod
    def create(cls, settings: Settings) -> Services:
        bus = EventBus(settings.broadcast_url)
        db = Database(settings)
        hub = EventHub(bus, EventLog(db))
        return cls(
            settings=settings,
            db=db,
            bus=bus,
            hub=hub,
            passwords=Passwords(settings),
            typing=TypingThrottle(),
            presence=PresenceTracker(db, bus, away_seconds=settings.presence_away_seconds),
            ratelimit=RateLimits(settings),
            credentials=CredentialWatch(CredentialCache(settings.credential_cache_ms / 1000), hub),
            fanout=Fanout(enabled=settings.fanout_shared_execution),
        )

    async def start(self) -> None:
        await self.bus.connect()

    async def close(self) -> None:
        await self.credentials.close()
        await self.presence.close()
        await self.hub.close()
        await self.bus.disconnect()
        await self.ratelimit.close()
        await self.db.dispose()
