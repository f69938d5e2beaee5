"""The browser client: the web build (web/ -> workchat/web_dist/) served at `/`, and the
self-hosted GraphiQL page the same build produces.

Only what the build wrote is served, from one directory, and every page refers to its assets by
same-origin paths, so a `default-src 'self'` content security policy fits.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

WEB_DIST = Path(__file__).parent / "web_dist"

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>workchat</title></head><body><main><h1>The web client and GraphiQL are not built</h1>
<p>Run <code>./dev serve</code> (it builds the client when it is missing or stale), or
<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then reload.</p>
<p>The GraphQL API is at <code>/graphql</code>.</p></main></body></html>"""


def _page(name: str) -> Response:
    path = WEB_DIST / name
    if not path.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503)
    # The HTML names content-hashed assets: it must be revalidated, they may be cached forever.
    return FileResponse(path, media_type="text/html", headers={"cache-control": "no-cache"})


def graphiql_page() -> Response:
    """GraphiQL bundled by the web build (no CDN): the page `GET /graphql` shows in dev."""
    return _page("graphiql.html")


async def _app_page(_: Request) -> Response:
    return _page("index.html")


def web_routes() -> list[BaseRoute]:
    """`/` and the client's own paths render the app; `/assets` serves the build's files."""
    return [
        Route("/", _app_page),
        # Client-side routes: a reload or a shared link lands on the app, which routes itself.
        Route("/c/{rest:path}", _app_page),
        Route("/search", _app_page),
        Route("/admin", _app_page),
        Route("/login", _app_page),
        Mount("/assets", app=StaticFiles(directory=WEB_DIST / "assets", check_dir=False)),
    ]
