"""setTyping: an ephemeral signal to the channel's live subscribers.

Never stored and never audited: typing is not a change to anything. It still needs what a
post needs (read access, membership, a writable channel, a write-scoped credential), so an
indicator never shows someone who could not go on to post.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from workchat.access import access_channel, require_user
from workchat.actions.channels import require_member, require_writable
from workchat.auth.viewer import SCOPE_WRITE, Viewer
from workchat.db.base import utcnow
from workchat.db.models import Message
from workchat.errors import ActionError, ErrorCode, Forbidden
from workchat.events.signals import TYPING_STARTED, Signal
from workchat.events.typing import TYPING_LIFETIME_SECONDS
from workchat.services import Services


async def set_typing(
    services: Services,
    viewer: Viewer,
    *,
    channel_id: uuid.UUID,
    thread_id: uuid.UUID | None = None,
) -> datetime:
    """Announce that the viewer is typing; returns until when the indicator shows."""
    user_id = require_user(viewer)
    if not viewer.can(SCOPE_WRITE):
        raise Forbidden("this token may not make changes")
    async with services.db.read_session() as session:
        channel = await access_channel(session, viewer, channel_id)
        await require_member(session, viewer, channel)
        require_writable(channel)
        if thread_id is not None:
            root = await session.get(Message, thread_id)
            if root is None or root.channel_id != channel.id or root.thread_id != root.id:
                raise ActionError(
                    ErrorCode.THREAD_NOT_FOUND, "no such thread in this channel", field="threadId"
                )
    expires_at = utcnow() + timedelta(seconds=TYPING_LIFETIME_SECONDS)
    if services.typing.allow(user_id, channel.id):
        payload = {
            "user_id": str(user_id),
            "thread_id": str(thread_id) if thread_id else None,
            "expires_at": expires_at.isoformat(),
        }
        await services.bus.signal(Signal(channel.org_id, TYPING_STARTED, channel.id, payload))
    return expires_at
