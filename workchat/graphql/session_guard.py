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
from workchat.events.hub import SUBSCRIBER_TOO_SLOW, SubscriberTooSlow
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


async def guard_session(
    websocket: WebSocket, services: Services, viewer: Viewer, credential: str
) -> None:
    """Close ``websocket`` with 4401 as soon as the viewer's credential stops being valid."""
    assert viewer.org_id is not None
    # Only the viewer's own events can end the session (ends_session).
    async with services.hub.listen(viewer.org_id, only_user=viewer.user_id) as listener:
        # A revocation between authentication and listening would otherwise be missed.
        try:
            await authenticate(services.db, services.settings, credential)
        except AuthenticationFailed:
            await _close(websocket, SESSION_ENDED, "session ended")
            return
        # One await per event (no task per event): every socket has a guard, so this runs
        # for every event times every socket.
        deadline = None
        if viewer.expires_at is not None:
            remaining = max(0.0, (viewer.expires_at - utcnow()).total_seconds())
            deadline = asyncio.get_running_loop().time() + remaining
        try:
            async with asyncio.timeout_at(deadline):
                while True:
                    item = await listener.next()
                    if isinstance(item, CommittedEvent) and ends_session(item, viewer):
                        break
        except TimeoutError:
            await _close(websocket, SESSION_ENDED, "access token expired")
            return
        except SubscriberTooSlow:
            await _close(websocket, SUBSCRIBER_TOO_SLOW, "too slow to keep up")
            return
        await _close(websocket, SESSION_ENDED, "session ended")


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError):  # already closed by the client
        await websocket.close(code=code, reason=reason)
