"""Recently verified credentials, so a burst of requests with one token costs one check.

An entry lives at most ``ttl`` seconds (and never past the token's own expiry); whoever sees
a credential end (logout, revocation, deactivation, a role change: ``forget_user``) drops it
at once. ``workchat.events.credentials`` wires that to the event log.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import replace

from workchat.auth.viewer import Viewer
from workchat.db.base import utcnow

MAX_ENTRIES = 10_000


class CredentialCache:
    def __init__(self, ttl: float, *, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, Viewer]] = OrderedDict()
        self._by_user: dict[uuid.UUID, set[str]] = {}
        # Counts forgets: a check that began before one must not cache what it found.
        self.epoch = 0
        # Orgs whose event feed this process follows: only their credentials are cached.
        self._watched: set[uuid.UUID] = set()

    def get(self, credential: str, request_id: str | None) -> Viewer | None:
        entry = self._entries.get(credential)
        if entry is None:
            return None
        fresh_until, viewer = entry
        if time.monotonic() >= fresh_until or (
            viewer.expires_at is not None and viewer.expires_at <= utcnow()
        ):
            self._drop(credential)
            return None
        return replace(viewer, request_id=request_id)

    def put(self, credential: str, viewer: Viewer, *, epoch: int) -> None:
        """Cache what a check that began at ``epoch`` (read before it) found."""
        if (
            self.ttl <= 0
            or viewer.user_id is None
            or viewer.org_id not in self._watched
            or epoch != self.epoch
        ):
            return
        self._drop(credential)
        self._entries[credential] = (time.monotonic() + self.ttl, viewer)
        self._by_user.setdefault(viewer.user_id, set()).add(credential)
        while len(self._entries) > self._max:
            self._drop(next(iter(self._entries)))

    def forget_user(self, user_id: uuid.UUID) -> None:
        self.epoch += 1
        for credential in self._by_user.pop(user_id, set()):
            self._entries.pop(credential, None)

    def forget_org(self, org_id: uuid.UUID) -> None:
        self.epoch += 1
        for credential, (_, viewer) in list(self._entries.items()):
            if viewer.org_id == org_id:
                self._drop(credential)

    def holds(self, org_id: uuid.UUID) -> bool:
        """Whether a credential of the org is cached."""
        return any(viewer.org_id == org_id for _, viewer in self._entries.values())

    def watch(self, org_id: uuid.UUID) -> None:
        """The org's events reach ``forget_user`` from now on: its credentials may be cached
        (only those checked from now on)."""
        self.epoch += 1
        self._watched.add(org_id)

    def unwatch(self, org_id: uuid.UUID) -> None:
        self._watched.discard(org_id)
        self.forget_org(org_id)

    def _drop(self, credential: str) -> None:
        entry = self._entries.pop(credential, None)
        if entry is not None and entry[1].user_id is not None:
            users = self._by_user.get(entry[1].user_id)
            if users is not None:
                users.discard(credential)
                if not users:
                    del self._by_user[entry[1].user_id]
