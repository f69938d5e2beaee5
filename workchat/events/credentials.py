"""Keeps the credential cache honest: a user's cached credentials are dropped as soon as an
event says one of them ended (logout, token revocation, deactivation, a role change).

Two paths, so no process trusts an ended credential for longer than the event takes to reach
it: ``observe`` runs in the process whose action ended it, after commit and before the
action returns; ``ensure_watched`` follows each org's event feed (every process's actions) and
an org's credentials are cached only while that feed is live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable
from typing import Generic, Protocol, TypeVar

from workchat.events.catalogue import ApiTokenRevoked, SessionRevoked, UserDeactivated, UserUpdated
from workchat.events.hub import EventHub, Listener
from workchat.events.log import CommittedEvent

log = logging.getLogger(__name__)

ENDS_CREDENTIALS = frozenset(
    kind.type for kind in (SessionRevoked, ApiTokenRevoked, UserDeactivated, UserUpdated)
)
RETRY_SECONDS = 1.0
MIN_IDLE_SECONDS = 1.0


class CredentialCache(Protocol):
    """What this needs of ``workchat.auth.cache.CredentialCache`` (events sit above auth in
    the layers but import only access, db, settings and errors)."""

    ttl: float

    def forget_user(self, user_id: uuid.UUID) -> None: ...
    def holds(self, org_id: uuid.UUID) -> bool: ...
    def watch(self, org_id: uuid.UUID) -> None: ...
    def unwatch(self, org_id: uuid.UUID) -> None: ...


def ended_users(events: Iterable[CommittedEvent]) -> set[uuid.UUID]:
    return {
        event.user_id
        for event in events
        if event.type in ENDS_CREDENTIALS and event.user_id is not None
    }


Cache = TypeVar("Cache", bound=CredentialCache)


class CredentialWatch(Generic[Cache]):
    def __init__(self, cache: Cache, hub: EventHub) -> None:
        self.cache = cache
        self._hub = hub
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}

    def observe(self, events: Iterable[CommittedEvent]) -> None:
        for user_id in ended_users(events):
            self.cache.forget_user(user_id)

    def ensure_watched(self, org_id: uuid.UUID) -> None:
        if self.cache.ttl > 0 and org_id not in self._tasks:
            self._tasks[org_id] = asyncio.create_task(self._watch(org_id))

    async def _watch(self, org_id: uuid.UUID) -> None:
        while True:
            try:
                async with self._hub.listen(org_id) as listener:
                    self.cache.watch(org_id)
                    try:
                        await self._follow(org_id, listener)
                    finally:
                        self.cache.unwatch(org_id)
                    if self._tasks.get(org_id) is asyncio.current_task():
                        del self._tasks[org_id]
                    return  # idle: nothing of the org is cached any more
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("credential watch of org %s stopped; retrying", org_id, exc_info=True)
            await asyncio.sleep(RETRY_SECONDS)

    async def _follow(self, org_id: uuid.UUID, listener: Listener) -> None:
        """Drop ended credentials until none of the org's have been cached for a while (the
        org's feed is then let go)."""
        idle = max(self.cache.ttl, MIN_IDLE_SECONDS)
        while True:
            try:
                async with asyncio.timeout(idle):
                    item = await listener.next()  # SubscriberTooSlow on overflow
            except TimeoutError:
                if not self.cache.holds(org_id):
                    return
                continue
            if isinstance(item, CommittedEvent):
                self.observe((item,))

    async def close(self) -> None:
        tasks, self._tasks = list(self._tasks.values()), {}
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
