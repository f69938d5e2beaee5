"""graphql-transport-ws with the text rule applied to what the schema does not see, and
subscription results sent as pre-encoded frames.

A ``subscribe``'s query text and variables meet the same size and nesting limits as an HTTP
request's (``workchat.graphql.limits``; an ``error`` for that operation, the socket stays
open). Variables of a ``subscribe`` go through the schema (``input_rule``); the rest of a message
does not: the ``connection_init`` payload (the credential), and a ``subscribe``'s ``id`` and
``operationName``, which the server echoes in frames and close reasons. A lone surrogate
there used to escape as an exception while encoding a reply, and the socket dropped
without a close frame. Now such a message closes the socket with 4400, as the protocol
does for any other malformed message.

A query or mutation sent over the socket runs within the same execution budget as one sent
over HTTP (``execution_timeout_seconds``): when it runs out, the operation is stopped and
answered with an ``error`` coded ``TIMEOUT``; the socket stays usable. Subscriptions live as
long as the client wants them and have no budget.

A subscription event executed once for a group of subscribers
(``workchat.graphql.events.grouping``) carries its ``{"data": …}`` already encoded: each
subscriber's frame is that text with its own operation id spliced in, not a fresh
``json.dumps`` of the result, written straight to the transport when it can take it
(``workchat.graphql.ws_frames``). Each operation's task knows its ``OperationSink``
(``CURRENT_SINK``), so a subscription delivered by its group
(``workchat.graphql.events.delivery``) writes there too. Every other message is encoded
with orjson.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from json import JSONDecodeError
from typing import Any, cast

import orjson
from graphql import GraphQLFormattedError, OperationType, get_operation_ast
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.schema.schema import StreamResult
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    Message,
    SubscribeMessage,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError

from workchat.errors import RequestErrorCode
from workchat.graphql.context import Context
from workchat.graphql.document_cache import DocumentCache
from workchat.graphql.events.grouping import SharedData
from workchat.graphql.limits import Refused, RequestLimits, check_request
from workchat.graphql.ws_frames import CURRENT_SINK, OperationSink
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
    async def handle(self) -> None:
        """Strawberry's loop, holding no received message while it waits for the next one:
        a parked subscriber kept its subscribe message, raw and decoded, for as long as the
        socket lived (ADR 0020)."""
        self.on_request_accepted()
        try:
            try:
                async with aclosing(self._messages()) as messages:
                    async for message in messages:
                        await self.handle_message(cast(Message, message))
                        del message
            except NonTextMessageReceived:
                await self.handle_invalid_message("WebSocket message type must be text")
            except NonJsonMessageReceived:
                await self.handle_invalid_message("WebSocket message must be valid JSON")
        except WebSocketDisconnected:
            pass
        finally:
            await self.shutdown()

    async def _messages(self) -> AsyncGenerator[object, None]:
        """Strawberry's ``iter_json``, without keeping the last text."""
        websocket = self.context.request
        assert isinstance(websocket, WebSocket)
        try:
            while websocket.application_state != WebSocketState.DISCONNECTED:
                text = await websocket.receive_text()
                try:
                    message = self.view.decode_json(text)
                except JSONDecodeError as exc:
                    raise NonJsonMessageReceived from exc
                del text
                yield message
                del message
        except KeyError as exc:
            raise NonTextMessageReceived from exc
        except WebSocketDisconnect:
            pass

    def on_request_accepted(self) -> None:
        super().on_request_accepted()
        task = self.connection_init_timeout_task
        assert task is not None
        task.add_done_callback(self._forget_init_timeout)

    def _forget_init_timeout(self, task: asyncio.Task[None]) -> None:
        """A finished (usually cancelled) init timeout is not kept for the socket's life:
        its exception's traceback held the sleep's frame, timer and context."""
        if self.connection_init_timeout_task is task:
            self.connection_init_timeout_task = None

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
        # The limits an HTTP request's query and variables meet; the socket stays usable.
        limits = RequestLimits.from_settings(self.context.services.settings)
        try:
            check_request(message.get("payload"), limits)
        except Refused as refused:
            error: GraphQLFormattedError = {
                "message": refused.message,
                "extensions": {"code": refused.code.value},
            }
            await self.send_message(ErrorMessage(id=message["id"], type="error", payload=[error]))
            return
        await super().handle_subscribe(message)

    async def send_message(self, message: Message) -> None:
        try:
            text = orjson.dumps(message).decode()
        except TypeError:  # not orjson's kind of value (e.g. a lone surrogate): the default
            await super().send_message(message)
            return
        await self.send_text(text)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        CURRENT_SINK.set(OperationSink(self, operation))
        if not self._single_result(operation):
            await super().run_operation(operation)
            return
        budget = self.context.services.settings.execution_timeout_seconds
        try:
            async with asyncio.timeout(budget):
                await super().run_operation(operation)
        except TimeoutError:
            error: GraphQLFormattedError = {
                "message": f"the operation ran longer than {budget:g} s and was stopped",
                "extensions": {"code": RequestErrorCode.TIMEOUT.value},
            }
            await operation.send_operation_message(
                ErrorMessage(id=operation.id, type="error", payload=[error])
            )

    def _single_result(self, operation: Operation[Context, None]) -> bool:
        """A query or mutation (one result, so a budget applies). A document that does not
        parse or names no single operation is left to Strawberry, which refuses it at once.
        The parse goes through the schema's document cache, so execution does not repeat it."""
        documents = getattr(self.schema, "documents", None)
        if not isinstance(documents, DocumentCache):
            return False
        settings = self.context.services.settings
        document = documents.parse(operation.query, settings.max_query_tokens)
        if document is None:
            return False
        definition = get_operation_ast(document, operation.operation_name)
        return definition is not None and definition.operation != OperationType.SUBSCRIPTION

    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: StreamResult
    ) -> None:
        """Strawberry's loop, sending a group's pre-encoded result where there is one."""
        is_first_result = True
        sink = CURRENT_SINK.get()
        assert sink is not None
        async for result in result_source:
            if is_first_result and isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, result)
                return
            if not isinstance(result, ExecutionResult):
                await self._reject_incremental_delivery(operation)
                return
            data = result.data
            if isinstance(data, SharedData) and not result.errors and not result.extensions:
                if not sink.write_now(data.payload):
                    await sink.send(data.payload)
            else:
                await operation.send_next(result)
            is_first_result = False

    async def send_text(self, text: str) -> None:
        websocket = self.context.request
        assert isinstance(websocket, WebSocket)
        try:
            await websocket.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
