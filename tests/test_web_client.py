"""The web client's pages: `/` and its routes serve the build, `/graphql` in a browser serves the
bundled GraphiQL, and neither refers to another host. The build itself is tested in web/."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

import workchat.web

INDEX = (
    '<!doctype html><html><head><script type="module" src="/assets/main-abc.js"></script>'
    '</head><body><div id="root"></div></body></html>'
)
GRAPHIQL = (
    "<!doctype html><html><head><title>workchat GraphiQL</title>"
    '<script type="module" src="/assets/graphiql-abc.js"></script>'
    '</head><body><div id="graphiql"></div></body></html>'
)


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in build output (the real one comes from `npm run build`)."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "graphiql.html").write_text(GRAPHIQL)
    (tmp_path / "assets" / "main-abc.js").write_text("console.log('app')")
    monkeypatch.setattr(workchat.web, "WEB_DIST", tmp_path)
    return tmp_path


@pytest.fixture
def unbuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workchat.web, "WEB_DIST", tmp_path / "missing")


@pytest.mark.parametrize("path", ["/", "/c/Q2hhbm5lbDox", "/search", "/admin", "/login"])
async def test_app_routes_serve_the_build(built: Path, http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"


async def test_assets_are_served(built: Path, http: httpx.AsyncClient) -> None:
    response = await http.get("/assets/main-abc.js")
    assert response.status_code == 200
    assert response.text == "console.log('app')"
    assert (await http.get("/assets/nope.js")).status_code == 404


async def test_graphiql_is_the_bundled_page(built: Path, http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.text == GRAPHIQL
    # Nothing from another host (Strawberry's own page loads from a CDN).
    assert not re.search(r"(src|href)=\"(https?:)?//", response.text)


async def test_unbuilt_client_says_how_to_build(unbuilt: None, http: httpx.AsyncClient) -> None:
    for path in ("/", "/graphql"):
        response = await http.get(path, headers={"accept": "text/html"})
        assert response.status_code == 503
        assert "./dev serve" in response.text
        assert "http" not in response.text.replace("<html", "")


async def test_other_paths_are_not_the_app(built: Path, http: httpx.AsyncClient) -> None:
    assert (await http.get("/nope")).status_code == 404
    assert (await http.get("/healthz")).json() == {"status": "ok"}
