"""Live sockets end with their credential: on expiry, logout, token revocation, deactivation
or a role change (the socket's permissions were fixed when it connected)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.websockets import WebSocket

from workchat.auth.authenticate import AuthenticationFailed, authenticate
from workchat.auth.viewer import Viewer
from workchat.db.base import utcnow
from workchat.events.catalogue import (
    ApiTokenRevoked,
    EventDecodeError,
    SessionRevoked,
    UserDeactivated,
    UserUpdated,
)
from workchat.events.hub import SUBSCRIBER_TOO_SLOW, Watch
from workchat.events.log import CommittedEvent
from workchat.services import Services

log = logging.getLogger(__name__)

SESSION_ENDED = 4401  # graphql-transport-ws reserves 4401 for "Unauthorized"


def ends_session(committed: CommittedEvent, viewer: Viewer) -> bool:
    # The user column first: most of an org's events are for someone else (no decoding).
    if committed.user_id is None or committed.user_id != viewer.user_id:
        return False
    try:
        event = committed.event
    except EventDecodeError:
        log.warning("session guard skips an unreadable event", exc_info=True)
        return False
    match event:
        case UserDeactivated() | UserUpdated():
            return True
        case SessionRevoked(session_id=session_id):
            return session_id == viewer.session_id
        case ApiTokenRevoked(token_id=token_id):
            return token_id == viewer.api_token_id
    return False


class SessionGuard:
    """Closes a socket with 4401 as soon as the viewer's credential stops being valid.

    Every socket has one, for as long as it lives. It holds no task while idle (ADR 0020:
    a task, its coroutines, a queue and a wakeup per socket were a large part of an idle
    socket's memory and of the objects the collector walks): the hub calls it for the
    viewer's own events (``Watch``), and a timer fires at the credential's expiry. A task
    exists only while it starts (the re-check below) and while it closes the socket.
    """

    __slots__ = (
        "_closing",
        "_credential",
        "_services",
        "_starting",
        "_timer",
        "_watch",
        "_websocket",
        "viewer",
    )

    def __init__(
        self, websocket: WebSocket, services: Services, viewer: Viewer, credential: str
    ) -> None:
        assert viewer.org_id is not None
        self._websocket = websocket
        self._services = services
        self.viewer = viewer
        self._credential: str | None = credential
        self._timer: asyncio.TimerHandle | None = None
        self._closing: asyncio.Task[None] | None = None
        # Only the viewer's own events can end the session (ends_session).
        self._watch = Watch(self._event, self._missed, only_user=viewer.user_id)
        self._starting: asyncio.Task[None] | None = asyncio.create_task(self._start())

    async def _start(self) -> None:
        assert self.viewer.org_id is not None
        try:
            await self._services.hub.attach(self.viewer.org_id, self._watch)
            # A revocation between authentication and watching would otherwise be missed.
            credential, self._credential = self._credential, None
            assert credential is not None
            try:
                await authenticate(self._services.db, self._services.settings, credential)
            except AuthenticationFailed:
                self._close(SESSION_ENDED, "session ended")
                return
            expires_at = self.viewer.expires_at
            if expires_at is not None:
                remaining = max(0.0, (expires_at - utcnow()).total_seconds())
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(remaining, self._expired)
        finally:
            self._starting = None

    def _event(self, committed: CommittedEvent) -> None:
        if ends_session(committed, self.viewer):
            self._close(SESSION_ENDED, "session ended")

    def _missed(self) -> None:
        self._close(SUBSCRIBER_TOO_SLOW, "too slow to keep up")

    def _expired(self) -> None:
        self._timer = None
        self._close(SESSION_ENDED, "access token expired")

    def _close(self, code: int, reason: str) -> None:
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(
                _close(self._websocket, code, reason)
            )

    async def stop(self) -> None:
        """The socket is gone: stop watching (and any close still under way)."""
        for task in (self._starting, self._closing):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        assert self.viewer.org_id is not None
        await self._services.hub.detach(self.viewer.org_id, self._watch)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError):  # already closed by the client
        await websocket.close(code=code, reason=reason)
