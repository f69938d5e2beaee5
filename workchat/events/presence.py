"""Presence: online while a user has an authenticated socket on any process, away after a
while without activity, offline when the last socket closes or its process stops answering.

Each process counts its own sockets per user in memory and mirrors them into the
``presence`` table (one row per user and process), refreshing ``heartbeat_at`` of all its
rows every ``HEARTBEAT_SECONDS`` in one statement. A process that crashed stops refreshing: its
rows expire after ``EXPIRY_SECONDS`` and whichever process sweeps first announces those users
offline (unless another process still holds them). Changes go out as ``presence.changed``
signals, so every process's subscribers hear of them; an occasional repeated announcement is
harmless (clients set, they do not toggle).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, select, update

from workchat.db.base import utcnow
from workchat.db.engine import Database
from workchat.db.models import PresenceRow, User
from workchat.events.bus import EventBus
from workchat.events.signals import PRESENCE_CHANGED, Signal

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
# Two missed heartbeats: a crashed process's users are offline within 30 + 15 = 45 s.
EXPIRY_SECONDS = 30.0


class Presence(enum.StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class PresenceState:
    presence: Presence
    last_seen_at: datetime | None


class PresenceTracker:
    def __init__(self, db: Database, bus: EventBus, *, away_seconds: int) -> None:
        self._db = db
        self._bus = bus
        self.away = timedelta(seconds=away_seconds)
        self.process_id = uuid.uuid4().hex
        self._sockets: dict[uuid.UUID, int] = {}
        self._orgs: dict[uuid.UUID, uuid.UUID] = {}
        self._active: dict[uuid.UUID, datetime] = {}
        self._away: set[uuid.UUID] = set()  # local users last announced away
        self._touched: set[uuid.UUID] = set()  # active since the last heartbeat
        self._lock = asyncio.Lock()

    # Sockets -----------------------------------------------------------------------------

    async def connected(self, org_id: uuid.UUID, user_id: uuid.UUID) -> None:
        async with self._lock:
            await self._connected(org_id, user_id)

    async def connect_within(self, org_id: uuid.UUID, user_id: uuid.UUID, limit: int) -> bool:
        """``connected``, unless the user already holds ``limit`` sockets on all processes
        together (False then). This process's count is exact (checked and raised under the
        lock); other processes' come from their presence rows, so sockets opening on several
        processes in the same instant can overshoot by at most one per process."""
        async with self._lock:
            held = self._sockets.get(user_id, 0) + await self._sockets_elsewhere(user_id)
            if held >= limit:
                return False
            await self._connected(org_id, user_id)
            return True

    async def _connected(self, org_id: uuid.UUID, user_id: uuid.UUID) -> None:
        before = await self._state(user_id)
        now = utcnow()
        self._sockets[user_id] = self._sockets.get(user_id, 0) + 1
        self._orgs[user_id] = org_id
        self._active[user_id] = now
        self._away.discard(user_id)
        await self._write_row(org_id, user_id, now)
        if before is not Presence.ONLINE:
            await self._announce(org_id, user_id, Presence.ONLINE)

    async def _sockets_elsewhere(self, user_id: uuid.UUID) -> int:
        fresh = utcnow() - timedelta(seconds=EXPIRY_SECONDS)
        async with self._db.read_session() as session:
            total = await session.scalar(
                select(func.coalesce(func.sum(PresenceRow.sockets), 0)).where(
                    PresenceRow.user_id == user_id,
                    PresenceRow.process_id != self.process_id,
                    PresenceRow.heartbeat_at >= fresh,
                )
            )
        return int(total or 0)

    async def disconnected(self, org_id: uuid.UUID, user_id: uuid.UUID) -> None:
        async with self._lock:
            count = self._sockets.get(user_id, 0) - 1
            if count > 0:
                self._sockets[user_id] = count
                await self._write_row(org_id, user_id, utcnow())
                return
            self._sockets.pop(user_id, None)
            self._orgs.pop(user_id, None)
            self._active.pop(user_id, None)
            self._away.discard(user_id)
            async with self._db.write_session() as session, session.begin():
                await session.execute(
                    delete(PresenceRow).where(
                        PresenceRow.user_id == user_id,
                        PresenceRow.process_id == self.process_id,
                    )
                )
            await self._gone_unless_elsewhere(org_id, [user_id])

    def sockets_of(self, user_id: uuid.UUID) -> int:
        """How many sockets the user has open on this process."""
        return self._sockets.get(user_id, 0)

    def touch(self, user_id: uuid.UUID) -> bool:
        """Record activity; True when the user was away here (call ``back`` then)."""
        if user_id not in self._sockets:
            return False
        self._active[user_id] = utcnow()
        self._touched.add(user_id)
        return user_id in self._away

    async def back(self, user_id: uuid.UUID) -> None:
        """An away user was active again: write it at once and announce online."""
        async with self._lock:
            org_id = self._orgs.get(user_id)
            if org_id is None or user_id not in self._away:
                return
            self._away.discard(user_id)
            await self._write_row(org_id, user_id, utcnow())
            await self._announce(org_id, user_id, Presence.ONLINE)

    # Periodic work -------------------------------------------------------------------------

    async def run(self) -> None:
        """Heartbeat and sweep until cancelled (the app's lifespan runs this)."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self.heartbeat()
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("presence heartbeat failed; retrying")

    async def heartbeat(self, now: datetime | None = None) -> None:
        """Refresh this process's rows; announce local users who became away."""
        now = now or utcnow()
        async with self._lock:
            if not self._sockets:
                return
            async with self._db.write_session() as session, session.begin():
                await session.execute(
                    update(PresenceRow)
                    .where(PresenceRow.process_id == self.process_id)
                    .values(heartbeat_at=now)
                )
                # Only users active since the last beat; one executemany for all of them.
                active = [
                    {"uid": user_id, "pid": self.process_id, "at": self._active[user_id]}
                    for user_id in self._touched
                    if user_id in self._active
                ]
                self._touched.clear()
                if active:
                    table = cast(Table, PresenceRow.__table__)
                    await session.execute(
                        update(table)
                        .where(
                            table.c.user_id == bindparam("uid"),
                            table.c.process_id == bindparam("pid"),
                        )
                        .values(active_at=bindparam("at")),
                        active,
                    )
            newly_away = [
                user_id
                for user_id, active_at in self._active.items()
                if now - active_at >= self.away and user_id not in self._away
            ]
        for user_id in newly_away:
            if await self._state(user_id, now) is Presence.AWAY:
                self._away.add(user_id)
                await self._announce(self._orgs[user_id], user_id, Presence.AWAY)

    async def sweep(self, now: datetime | None = None) -> list[uuid.UUID]:
        """Remove rows whose process stopped refreshing them; announce those users offline
        unless another process holds them. Returns the users announced offline."""
        now = now or utcnow()
        cutoff = now - timedelta(seconds=EXPIRY_SECONDS)
        async with self._db.write_session() as session, session.begin():
            stale = (
                await session.execute(
                    select(PresenceRow.user_id, PresenceRow.org_id).where(
                        PresenceRow.heartbeat_at < cutoff
                    )
                )
            ).all()
            if not stale:
                return []
            await session.execute(delete(PresenceRow).where(PresenceRow.heartbeat_at < cutoff))
        gone: list[uuid.UUID] = []
        by_org: dict[uuid.UUID, list[uuid.UUID]] = {}
        for user_id, org_id in stale:
            by_org.setdefault(org_id, []).append(user_id)
        for org_id, users in by_org.items():
            gone.extend(await self._gone_unless_elsewhere(org_id, users, now))
        return gone

    # Reads -------------------------------------------------------------------------------

    async def states(
        self, user_ids: Collection[uuid.UUID], now: datetime | None = None
    ) -> dict[uuid.UUID, PresenceState]:
        """Presence and last-seen time of each user, across every process."""
        now = now or utcnow()
        fresh = now - timedelta(seconds=EXPIRY_SECONDS)
        async with self._db.read_session() as session:
            live = dict(
                (
                    await session.execute(
                        select(PresenceRow.user_id, func.max(PresenceRow.active_at))
                        .where(
                            PresenceRow.user_id.in_(user_ids),
                            PresenceRow.sockets > 0,
                            PresenceRow.heartbeat_at >= fresh,
                        )
                        .group_by(PresenceRow.user_id)
                    )
                ).all()
            )
            seen = dict(
                (
                    await session.execute(
                        select(User.id, User.last_seen_at).where(User.id.in_(user_ids))
                    )
                ).all()
            )
        states: dict[uuid.UUID, PresenceState] = {}
        for user_id in user_ids:
            active_at = live.get(user_id)
            if active_at is None:
                states[user_id] = PresenceState(Presence.OFFLINE, seen.get(user_id))
            else:
                presence = Presence.AWAY if now - active_at >= self.away else Presence.ONLINE
                states[user_id] = PresenceState(presence, now)
        return states

    # Helpers -----------------------------------------------------------------------------

    async def _state(self, user_id: uuid.UUID, now: datetime | None = None) -> Presence:
        return (await self.states([user_id], now))[user_id].presence

    async def _write_row(self, org_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> None:
        sockets = self._sockets.get(user_id, 0)
        active_at = self._active.get(user_id, now)
        async with self._db.write_session() as session, session.begin():
            row = await session.get(PresenceRow, (user_id, self.process_id))
            if row is None:
                session.add(
                    PresenceRow(
                        user_id=user_id,
                        process_id=self.process_id,
                        org_id=org_id,
                        sockets=sockets,
                        active_at=active_at,
                        heartbeat_at=now,
                    )
                )
            else:
                row.sockets, row.active_at, row.heartbeat_at = sockets, active_at, now

    async def _gone_unless_elsewhere(
        self, org_id: uuid.UUID, user_ids: list[uuid.UUID], now: datetime | None = None
    ) -> list[uuid.UUID]:
        now = now or utcnow()
        states = await self.states(user_ids, now)
        gone = [u for u in user_ids if states[u].presence is Presence.OFFLINE]
        if gone:
            async with self._db.write_session() as session, session.begin():
                await session.execute(
                    update(User).where(User.id.in_(gone)).values(last_seen_at=now)
                )
            for user_id in gone:
                await self._announce(org_id, user_id, Presence.OFFLINE)
        return gone

    async def _announce(self, org_id: uuid.UUID, user_id: uuid.UUID, presence: Presence) -> None:
        payload = {"user_id": str(user_id), "presence": presence.value}
        try:
            await self._bus.signal(Signal(org_id, PRESENCE_CHANGED, payload=payload))
        except Exception:
            log.warning("announcing presence of %s failed", user_id, exc_info=True)

    async def close(self) -> None:
        """Forget this process's rows (a clean shutdown: its users go offline at once)."""
        users = dict(self._orgs)
        self._sockets.clear()
        self._orgs.clear()
        self._active.clear()
        with contextlib.suppress(Exception):
            async with self._db.write_session() as session, session.begin():
                await session.execute(
                    delete(PresenceRow).where(PresenceRow.process_id == self.process_id)
                )
            by_org: dict[uuid.UUID, list[uuid.UUID]] = {}
            for user_id, org_id in users.items():
                by_org.setdefault(org_id, []).append(user_id)
            for org_id, members in by_org.items():
                await self._gone_unless_elsewhere(org_id, members)
