"""The Strawberry ASGI view: JSON-only POST over HTTP, graphql-transport-ws over WebSocket,
bearer authentication for both, and JSON errors (never a stack trace) for bad requests."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from workchat.auth.authenticate import AuthenticationFailed, authenticate
from workchat.errors import RequestErrorCode
from workchat.graphql.context import Context
from workchat.graphql.limits import (
    Refused,
    RequestLimits,
    decode_request,
    execute_http,
    load_json,
    read_body,
    replay,
)
from workchat.graphql.session_guard import SessionGuard
from workchat.graphql.ws_protocol import TextCheckedTransportWS
from workchat.logs import request_id_of
from workchat.services import Services
from workchat.web import graphiql_page

CONNECTION_INIT_TIMEOUT = timedelta(seconds=5)
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def error_response(status: int, code: RequestErrorCode, message: str) -> JSONResponse:
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code.value}}]},
        status_code=status,
    )


def encode_result(data: Any) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError:  # an integer beyond 64 bits in a JSON scalar: the slow path has no limit
        return json.dumps(data, separators=(",", ":")).encode()


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class WorkchatGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TextCheckedTransportWS

    def __init__(self, services: Services, **kwargs: Any) -> None:
        settings = services.settings
        super().__init__(
            kwargs.pop("schema"),
            graphql_ide="graphiql" if not settings.is_prod else None,
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allowed_origins=settings.allowed_origins,
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
            max_subscriptions_per_connection=settings.max_subscriptions_per_socket,
            **kwargs,
        )
        self.services = services
        self.max_sockets_per_user = settings.max_sockets_per_user
        self.max_request_bytes = settings.max_request_bytes
        self.request_limits = RequestLimits.from_settings(settings)
        self.execution_timeout_seconds = settings.execution_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self._refuse(Request(scope, receive))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            try:
                response = await self._run_http(scope, receive)
            except HTTPException as exc:
                response = error_response(exc.status_code, RequestErrorCode.BAD_REQUEST, exc.reason)
            except Refused as exc:
                response = exc.response()
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _run_http(self, scope: Scope, receive: Receive) -> Response:
        """Read the body up to its limit first, then let Strawberry run the request."""
        if scope["method"] == "POST":
            receive = replay(await read_body(receive, self.max_request_bytes))
        response: Response = await self.run(Request(scope, receive))
        return response

    def parse_json(self, data: str | bytes) -> Any:
        """Strict UTF-8 and bounded JSON (workchat.graphql.limits.decode_request)."""
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        return decode_request(raw, self.request_limits)

    def decode_json(self, data: str | bytes) -> object:
        """A WebSocket message (HTTP bodies go through ``parse_json``): within
        ``max_request_bytes`` (counted in characters, which never exceed the bytes) and
        nested no deeper than the decoder can recurse. Anything else is not a message, and
        graphql-transport-ws closes the socket with 4400 instead of the RecursionError
        dropping it without a close frame."""
        if len(data) > self.max_request_bytes:
            raise json.JSONDecodeError(f"the message is over {self.max_request_bytes} bytes", "", 0)
        try:
            return load_json(data, "the message")
        except Refused as refused:
            raise json.JSONDecodeError(refused.message, "", 0) from None

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Queries and mutations only, POSTed, within the execution budget."""
        if request_adapter.method != "POST":
            raise Refused(
                405, RequestErrorCode.BAD_REQUEST, "GraphQL requests must be POSTed as JSON"
            )
        return await execute_http(
            self.schema, request_data, context, root_value, self.execution_timeout_seconds
        )

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """HTTP answers are encoded with orjson (several times faster than ``json`` on a
        result); WebSocket frames keep Strawberry's ``encode_json``."""
        response = super().create_response({}, sub_response)
        response.body = encode_result(response_data)
        response.headers["content-length"] = str(len(response.body))
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our bundled GraphiQL: Strawberry's page loads its scripts from a public CDN."""
        return graphiql_page()

    def _refuse(self, request: Request) -> Response | None:
        """Only POST application/json executes; GET serves GraphiQL (dev) and nothing else."""
        if request.method == "GET":
            wants_html = "text/html" in request.headers.get("accept", "")
            if wants_html and self.graphql_ide:
                return None
            return error_response(
                405,
                RequestErrorCode.BAD_REQUEST,
                "GraphQL requests must be POSTed as application/json",
            )
        if request.method != "POST":
            return error_response(405, RequestErrorCode.BAD_REQUEST, "only POST is supported")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return error_response(
                415, RequestErrorCode.BAD_REQUEST, "the request body must be application/json"
            )
        return None

    async def parse_http_body(self, request: Any) -> Any:
        """Strawberry expects a JSON object (or list); anything else is a bad request."""
        try:
            return await super().parse_http_body(request)
        except (AttributeError, TypeError):
            raise HTTPException(400, "the request body must be a JSON object") from None

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> Context:
        # The server's own id names the request everywhere (audit entries, logs, the
        # response header): a client-chosen one could collide with or impersonate another
        # request's. A well-formed client id is kept beside it, for correlating logs.
        supplied = request.headers.get("x-request-id", "")
        request_id = request_id_of(request.scope)
        context = Context(
            request=request,
            response=response,
            services=self.services,
            request_id=request_id,
            client_request_id=supplied if REQUEST_ID_RE.match(supplied) else None,
        )
        if isinstance(response, Response):
            response.headers["x-request-id"] = request_id
        if not isinstance(request, WebSocket):
            credential = _bearer(request.headers.get("authorization"))
            if credential is not None:
                await self._authenticate(context, credential, cached=True)
        return context

    async def _authenticate(
        self, context: Context, credential: str, *, cached: bool = False
    ) -> None:
        """``cached``: HTTP requests may use the credential cache (a socket checks once, at
        connect, then its session guard watches the credential)."""
        try:
            context.viewer = await authenticate(
                self.services.db,
                self.services.settings,
                credential,
                request_id=context.request_id,
                cache=self.services.credentials.cache if cached else None,
            )
        except AuthenticationFailed as exc:
            context.auth_error = str(exc)
            return
        if cached and context.viewer.org_id is not None:
            self.services.credentials.ensure_watched(context.viewer.org_id)

    async def on_ws_connect(self, context: Context) -> None:
        """The token comes in ``connection_init``: ``{"authorization": "Bearer …"}``."""
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        credential = _bearer(raw) if isinstance(raw, str) else None
        if credential is None and isinstance(params.get("token"), str):
            credential = params["token"]
        if credential is None:
            raise ConnectionRejectionError()
        await self._authenticate(context, credential)
        if not context.viewer.is_authenticated:
            raise ConnectionRejectionError()
        context.viewer = context.viewer.without_row()  # it would age with the socket
        websocket = context.request
        assert isinstance(websocket, WebSocket)
        viewer = context.viewer
        assert viewer.user_id is not None and viewer.org_id is not None
        # The cap counts the user's sockets on every process (presence rows are shared).
        if not await self.services.presence.connect_within(
            viewer.org_id, viewer.user_id, self.max_sockets_per_user
        ):
            raise ConnectionRejectionError()  # 4403, as for a refused credential
        websocket.state.present = (viewer.org_id, viewer.user_id)
        websocket.state.session_guard = SessionGuard(
            websocket, self.services, context.viewer, credential
        )

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        finally:
            # The socket is gone: stop watching its session.
            state = getattr(request, "state", None)
            guard = getattr(state, "session_guard", None)
            if isinstance(guard, SessionGuard):
                await guard.stop()
            present = getattr(state, "present", None)
            if present is not None:
                await self.services.presence.disconnected(*present)
