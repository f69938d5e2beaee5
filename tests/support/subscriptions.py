"""Following GraphQL subscriptions over one graphql-transport-ws socket, every wait bounded."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from typing import Any

from websockets.asyncio.client import ClientConnection

from tests.support.graphql_client import GraphQLClient
from tests.support.personas import Persona
from tests.support.websocket import TIMEOUT, send

CHANNEL_EVENTS = """subscription($channelId: ID!, $after: String) {
  channelEvents(channelId: $channelId, after: $after) {
    __typename
    ... on MessagePosted { cursor message { id body version isReply threadId isDeleted
                                            author { displayName } } }
    ... on MessageEdited { cursor message { id body version } }
    ... on MessageDeleted { cursor message { id isDeleted } }
    ... on ReactionAdded { cursor emoji user { displayName }
                           message { id reactions { emoji count } } }
    ... on ReactionRemoved { cursor emoji message { id reactions { emoji count } } }
    ... on MemberJoined { cursor user { displayName } channel { id } }
    ... on MemberLeft { cursor user { displayName } channel { id } }
    ... on ChannelUpdated { cursor changes channel { name isPrivate } }
    ... on ChannelArchived { cursor channel { isArchived } }
    ... on TypingStarted { user { displayName } threadId expiresAt }
    ... on ResyncRequired { reason }
  }
}"""

VIEWER_EVENTS = """subscription($after: String) {
  viewerEvents(after: $after) {
    __typename
    ... on UnreadCountChanged { cursor unreadCount mentionCount channel { id } }
    ... on MembershipChanged { cursor change channel { id name } }
    ... on MentionReceived { cursor message { id body } }
    ... on PresenceChanged { presence user { displayName } }
    ... on ResyncRequired { reason }
  }
}"""

AUDIT_EVENTS = """subscription($after: String, $filter: AuditFilter) {
  auditEvents(after: $after, filter: $filter) { cursor action actor { displayName } }
}"""

EVENT_CURSOR = "{ eventCursor }"


async def event_cursor(gql: GraphQLClient, persona: Persona) -> str:
    """The head of the persona's org's event log: subscribe ``after`` it to miss nothing."""
    result = await gql.execute(EVENT_CURSOR, as_=persona)
    return str(result["data"]["eventCursor"])


class Subscriptions:
    """Routes the socket's messages to operations by id, so several can run at once."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._inbox: dict[str, deque[dict[str, Any]]] = defaultdict(deque)

    async def start(self, op_id: str, query: str, variables: dict[str, Any]) -> None:
        payload = {"query": query, "variables": variables}
        await send(self.ws, {"id": op_id, "type": "subscribe", "payload": payload})

    async def stop(self, op_id: str) -> None:
        await send(self.ws, {"id": op_id, "type": "complete"})

    async def message(self, op_id: str, wait: float = TIMEOUT) -> dict[str, Any]:
        """The next protocol message (next, error or complete) for ``op_id``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while not self._inbox[op_id]:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=deadline - loop.time())
            message = json.loads(raw)
            if message.get("type") == "ping":
                await send(self.ws, {"type": "pong"})
                continue
            self._inbox[message.get("id", "")].append(message)
        return self._inbox[op_id].popleft()

    async def event(self, op_id: str, wait: float = TIMEOUT) -> dict[str, Any]:
        """The next event ``op_id`` delivers; fails on errors or completion."""
        message = await self.message(op_id, wait)
        assert message["type"] == "next", message
        assert not message["payload"].get("errors"), message
        (value,) = message["payload"]["data"].values()
        return value  # type: ignore[no-any-return]

    async def events(self, op_id: str, count: int) -> list[dict[str, Any]]:
        return [await self.event(op_id) for _ in range(count)]

    async def error_codes(self, op_id: str) -> list[str]:
        """The codes of an operation that failed (as ``error`` or ``next`` with errors)."""
        message = await self.message(op_id)
        if message["type"] == "error":
            errors = message["payload"]
        else:
            assert message["type"] == "next", message
            errors = message["payload"]["errors"]
        return [error["extensions"]["code"] for error in errors]

    async def completed(self, op_id: str) -> None:
        message = await self.message(op_id)
        assert message == {"id": op_id, "type": "complete"}, message

    def pending(self, op_id: str) -> int:
        return len(self._inbox[op_id])
