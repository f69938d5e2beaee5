"""The schema extension that counts a GraphQL operation on a socket as its user's activity."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension

from workchat.graphql.context import Context

# Tasks that announce a user back from away: held so they are not collected mid-way.
_announcing: set[asyncio.Task[None]] = set()


class PresenceActivity(SchemaExtension):
    """An operation over a live socket keeps its user "online" (not "away")."""

    # When parsing starts (every operation reaches it), not around the whole operation: a
    # subscription would keep an operation hook open for its whole life.
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and isinstance(context.request, WebSocket):
            user_id = context.viewer.user_id
            presence = context.services.presence
            if user_id is not None and presence.touch(user_id):
                task = asyncio.get_running_loop().create_task(presence.back(user_id))
                _announcing.add(task)
                task.add_done_callback(_announcing.discard)
        yield
