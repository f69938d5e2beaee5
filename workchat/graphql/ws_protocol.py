"""graphql-transport-ws with the text rule applied to what the schema does not see.

Variables of a ``subscribe`` go through the schema (``input_rule``); the rest of a message
does not: the ``connection_init`` payload (the credential), and a ``subscribe``'s ``id`` and
``operationName``, which the server echoes in frames and close reasons. A lone surrogate
there used to escape as an exception while encoding a reply, and the socket dropped
without a close frame. Now such a message closes the socket with 4400, as the protocol
does for any other malformed message.
"""

from __future__ import annotations

from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)

from workchat.graphql.context import Context
from workchat.text import payload_violations

INVALID_MESSAGE = 4400
# An operation id is echoed in close reasons, which must fit in 123 bytes.
MAX_OPERATION_ID_LENGTH = 64


def _valid_subscribe(message: SubscribeMessage) -> bool:
    operation_id = message.get("id")
    payload: Any = message.get("payload")
    if not isinstance(operation_id, str) or not 0 < len(operation_id) <= MAX_OPERATION_ID_LENGTH:
        return False
    name = payload.get("operationName") if isinstance(payload, dict) else None
    return not any(payload_violations([operation_id, name if isinstance(name, str) else ""]))


class TextCheckedTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload")
        if isinstance(payload, dict) and any(payload_violations(payload)):
            if self.connection_init_timeout_task:
                self.connection_init_timeout_task.cancel()
            await self.websocket.close(
                code=INVALID_MESSAGE, reason="Invalid connection init payload"
            )
            return
        await super().handle_connection_init(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not _valid_subscribe(message):
            await self.websocket.close(code=INVALID_MESSAGE, reason="Invalid subscribe message")
            return
        await super().handle_subscribe(message)
