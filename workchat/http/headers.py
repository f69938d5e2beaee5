"""Security headers on every HTTP response, and CORS for the allowed origins.

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``X-Frame-Options: DENY`` and a Content-Security-Policy that fits what it is:

- JSON and everything that is not a page: ``default-src 'none'`` — nothing in a GraphQL
  answer may load or run anything if a browser is ever tricked into rendering it.
- GraphiQL (``GET /graphql`` in dev only): bundled by the web build and served from our own
  origin like the web client; its stylesheet embeds its fonts as ``data:`` URLs.
- Any other page (the web client served at ``/``): its own origin only, no inline script.

Responses that set no ``Cache-Control`` get ``no-store``: GraphQL answers carry access and
refresh tokens and private messages, which no browser or proxy cache should keep.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

GRAPHIQL_PATH = "/graphql"

_COMMON = "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
API_CSP = f"default-src 'none'; {_COMMON}; form-action 'none'"
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    f"font-src 'self'; connect-src 'self'; {_COMMON}; form-action 'self'"
)
GRAPHIQL_CSP = PAGE_CSP.replace("font-src 'self'", "font-src 'self' data:")
FIXED_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}

# What a browser on an allowed origin may send and read (CORS).
CORS_METHODS = ("GET", "POST")
CORS_REQUEST_HEADERS = ("Authorization", "Content-Type", "X-Request-ID")
CORS_EXPOSED_HEADERS = ("X-Request-ID",)
CORS_MAX_AGE_SECONDS = 600


def content_security_policy(path: str, content_type: str) -> str:
    if not content_type.startswith("text/html"):
        return API_CSP
    return GRAPHIQL_CSP if path == GRAPHIQL_PATH else PAGE_CSP


class SecurityHeaders:
    """Pure ASGI middleware (no response buffering, WebSockets pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in FIXED_HEADERS.items():
                    headers.setdefault(name, value)
                csp = content_security_policy(path, headers.get("content-type", ""))
                headers.setdefault("content-security-policy", csp)
                headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cors(app: ASGIApp, allowed_origins: Sequence[str]) -> CORSMiddleware:
    """CORS for the configured origins only (none by default: same-origin use needs none).

    No credentials mode: clients authenticate with a bearer token, never cookies, so a
    cross-origin page can act only with a token it was given.
    """
    return CORSMiddleware(
        app,
        allow_origins=list(allowed_origins),
        allow_methods=list(CORS_METHODS),
        allow_headers=list(CORS_REQUEST_HEADERS),
        expose_headers=list(CORS_EXPOSED_HEADERS),
        allow_credentials=False,
        max_age=CORS_MAX_AGE_SECONDS,
    )
