"""Security headers, caching, CORS and request ids on HTTP responses."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest

from tests.support.graphql_client import ClientFactory, GraphQLClient
from tests.support.personas import Personas
from tests.support.settings import PASSWORD
from workchat.http.headers import (
    API_CSP,
    GRAPHIQL_CSP,
    PAGE_CSP,
    content_security_policy,
)

LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken refreshToken }
}"""
ORIGIN = "https://chat.example.com"


def assert_security_headers(response: httpx.Response, csp: str) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == csp
    assert "frame-ancestors 'none'" in csp


async def test_graphql_answers_carry_security_headers_and_are_not_cached(
    http: httpx.AsyncClient, personas: Personas
) -> None:
    """The login answer holds tokens: no-store, and the strict API policy."""
    response = await http.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"email": personas.bob.email, "password": PASSWORD}},
    )
    assert response.json()["data"]["login"]["refreshToken"]
    assert_security_headers(response, API_CSP)
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/healthz", {}),
        ("GET", "/graphql", {"params": {"query": "{ __typename }"}}),  # refused: 405
        (
            "POST",
            "/graphql",
            {"content": b"{oops", "headers": {"content-type": "application/json"}},
        ),
        ("POST", "/graphql", {"content": b"x", "headers": {"content-type": "text/plain"}}),
    ],
    ids=["healthz", "get-405", "bad-json-400", "content-type-415"],
)
async def test_every_response_gets_the_headers(
    http: httpx.AsyncClient, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = await http.request(method, path, **kwargs)
    assert_security_headers(response, API_CSP)
    assert response.headers["cache-control"] == "no-store"


async def test_graphiql_page_loads_nothing_from_another_host(
    http: httpx.AsyncClient,
) -> None:
    """GraphiQL (dev) is bundled by the web build and served from our origin: its page (or,
    before a build, the page saying how to build it) refers to no other host, and its policy
    allows none."""
    response = await http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code in (200, 503)
    assert response.headers["content-type"].startswith("text/html")
    assert_security_headers(response, GRAPHIQL_CSP)
    loaded = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert not [url for url in loaded if "//" in url], loaded
    assert "http" not in GRAPHIQL_CSP and "'unsafe-" not in GRAPHIQL_CSP
    assert "connect-src 'self'" in GRAPHIQL_CSP


def test_other_pages_get_the_same_origin_policy() -> None:
    """The web client's pages (served at /) may load and connect to their own origin only:
    no inline script, no CDN. GraphiQL's page may also use data: fonts; JSON gets nothing."""
    assert content_security_policy("/", "text/html; charset=utf-8") == PAGE_CSP
    assert content_security_policy("/graphql", "text/html") == GRAPHIQL_CSP
    assert content_security_policy("/graphql", "application/json") == API_CSP
    assert "'unsafe-inline'" not in PAGE_CSP and "http" not in PAGE_CSP
    assert "script-src 'self';" in PAGE_CSP


async def test_prod_has_no_graphiql_page(client_with: ClientFactory) -> None:
    client = await client_with(env="prod")
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 405
    assert_security_headers(response, API_CSP)


def preflight(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }


async def test_cors_preflight_for_an_allowed_origin(client_with: ClientFactory) -> None:
    client = await client_with(allowed_origins=(ORIGIN,))
    response = await client.options("/graphql", headers=preflight(ORIGIN))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type"} <= {h.strip() for h in allowed.split(",")}
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_cors_actual_request_from_an_allowed_origin(
    client_with: ClientFactory,
) -> None:
    client = await client_with(allowed_origins=(ORIGIN,))
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": ORIGIN}
    )
    assert response.json() == {"data": {"__typename": "Query"}}
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


@pytest.mark.parametrize("configured", [(), (ORIGIN,)], ids=["none-configured", "other"])
async def test_cors_refuses_other_origins(
    client_with: ClientFactory, configured: tuple[str, ...]
) -> None:
    """A preflight from an origin that is not configured gets no CORS grant (the browser
    then sends nothing); by default no origin is."""
    client = await client_with(allowed_origins=configured)
    response = await client.options("/graphql", headers=preflight("https://evil.example"))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in response.headers


async def test_client_request_id_is_kept_apart_and_logged(
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An INTERNAL error names the server's request id to the client; the log line has both
    ids, so a client's own correlation id still finds it."""

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("workchat.actions.users.list_users", broken)
    token = await gql.token_for(personas.alice)
    caplog.set_level(logging.ERROR, logger="workchat.graphql")
    response = await http.post(
        "/graphql",
        json={"query": "{ users { totalCount } }"},
        headers={"authorization": f"Bearer {token}", "x-request-id": "client-corr-42"},
    )
    server_id = response.headers["x-request-id"]
    assert server_id != "client-corr-42"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": server_id}
    [record] = [r for r in caplog.records if r.name == "workchat.graphql"]
    assert server_id in record.getMessage() and "client-corr-42" in record.getMessage()
