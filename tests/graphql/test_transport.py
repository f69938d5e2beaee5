"""HTTP transport rules: JSON-only POST, coded errors for bad requests and over-limit queries,
masking of unexpected errors, request ids, health checks and GraphiQL
(docs/adr/0005-api-contract.md)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.db import audit_entries, snapshot
from tests.support.graphql_client import ClientFactory, GraphQLClient, codes
from tests.support.personas import Personas
from tests.support.settings import PASSWORD
from workchat.services import Services

WRONG_LOGIN = (
    'login(input: {email: "alice@example.com", password: "wrong-password"}) { errors { code } }'
)
LOGIN_MUTATION = "mutation { " + WRONG_LOGIN + " }"


def assert_coded_json(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """A refused request: the given status, a JSON body, the code, and no HTML or trace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == code
    assert "Traceback" not in response.text
    return body  # type: ignore[no-any-return]


async def post(
    http: httpx.AsyncClient, query: str, *, token: str | None = None, **kwargs: Any
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    headers.update(kwargs.pop("headers", {}))
    return await http.post("/graphql", json={"query": query}, headers=headers, **kwargs)


# --- request shape ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b'{"query": "{ viewer { id } }"', b"\xff\xfe"],
    ids=["truncated", "empty", "unclosed", "not-utf8"],
)
async def test_malformed_json_is_bad_request(
    http: httpx.AsyncClient, personas: Personas, body: bytes
) -> None:
    """A body that is not JSON gets HTTP 400 with a coded JSON error."""
    response = await http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert_coded_json(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b'{"query": 5}',
        b'{"query": "{ __typename }", "variables": [1]}',
        b"[]",
        b'"{ __typename }"',
        b"null",
        b"42",
    ],
    ids=[
        "no-query",
        "query-not-string",
        "variables-not-object",
        "batch",
        "string",
        "null",
        "number",
    ],
)
async def test_json_that_is_not_a_graphql_request_is_bad_request(
    app: Any, personas: Personas, body: bytes
) -> None:
    """Well-formed JSON of the wrong shape is a 400 BAD_REQUEST too, never a server error."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
    assert_coded_json(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", "{ viewer { id } }"),
        ("application/x-www-form-urlencoded", "query=%7B+viewer+%7B+id+%7D+%7D"),
        ("multipart/form-data; boundary=x", "--x--"),
        ("application/graphql", "{ viewer { id } }"),
        (None, '{"query": "{ viewer { id } }"}'),
    ],
    ids=["text", "form", "multipart", "graphql", "missing"],
)
async def test_wrong_content_type_is_refused(
    http: httpx.AsyncClient, personas: Personas, content_type: str | None, content: str
) -> None:
    """Only application/json is executed; anything else gets 415 (CSRF-safe simple requests)."""
    headers = {"content-type": content_type} if content_type else {}
    response = await http.post("/graphql", content=content.encode(), headers=headers)
    if content_type is None:
        # httpx sends no content type for raw bytes; make sure of it.
        assert "content-type" not in response.request.headers
    assert_coded_json(response, 415, "BAD_REQUEST")


async def test_json_with_charset_is_accepted(http: httpx.AsyncClient) -> None:
    """Parameters on the JSON content type are fine."""
    response = await http.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
async def test_get_never_executes(
    http: httpx.AsyncClient, services: Services, personas: Personas, accept: str | None
) -> None:
    """GET with a query string (query or mutation) is refused with 405 and writes nothing."""
    headers = {"accept": accept} if accept else {}
    before = await snapshot(services)
    for query in (LOGIN_MUTATION, "{ __typename }"):
        response = await http.get("/graphql", params={"query": query}, headers=headers)
        assert_coded_json(response, 405, "BAD_REQUEST")
    assert await snapshot(services) == before


async def test_get_mutation_asking_for_html_is_not_executed(
    http: httpx.AsyncClient, services: Services, personas: Personas
) -> None:
    """A browser-like GET (Accept: text/html) carrying a mutation does not run it either."""
    before = await snapshot(services)
    response = await http.get(
        "/graphql", params={"query": LOGIN_MUTATION}, headers={"accept": "text/html"}
    )
    assert response.status_code in (400, 405)
    assert "data" not in response.json() or response.json()["data"] is None
    assert await snapshot(services) == before


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_are_refused(
    http: httpx.AsyncClient, services: Services, personas: Personas, method: str
) -> None:
    """Only POST executes: other methods get 405 and write nothing."""
    before = await snapshot(services)
    response = await http.request(method, "/graphql", json={"query": LOGIN_MUTATION})
    assert_coded_json(response, 405, "BAD_REQUEST")
    assert await snapshot(services) == before


# --- query limits ----------------------------------------------------------------------------


async def test_too_deep_query_is_refused_before_execution(
    client_with: ClientFactory, services: Services, personas: Personas
) -> None:
    """A document deeper than max_query_depth is QUERY_TOO_COMPLEX and is never executed."""
    # createUser > user > org has depth 3 (leaves do not count); the limit is 2.
    gql = GraphQLClient(await client_with(max_query_depth=2))
    token = await gql.token_for(personas.alice)
    before = await snapshot(services)
    deep = (
        "mutation { createUser(input: "
        f'{{email: "deep@example.com", displayName: "D", password: "{PASSWORD}"}}) '
        "{ user { org { id } } } }"
    )
    result = await gql.execute(deep, token=token)
    assert codes(result) == ["QUERY_TOO_COMPLEX"]
    assert "data" not in result or result["data"] is None
    assert await snapshot(services) == before

    # Control: the same mutation one level shallower runs.
    shallow = deep.replace("user { org { id } }", "user { id }")
    result = await gql.execute(shallow, token=token)
    assert result["data"]["createUser"]["user"]["id"]


async def test_depth_counts_through_fragments(
    client_with: ClientFactory, personas: Personas
) -> None:
    """Hiding depth in fragments does not get around the limit."""
    gql = GraphQLClient(await client_with(max_query_depth=3))
    spread = "{ users { edges { node { ...A } } } } fragment A on User { org { id } }"
    assert codes(await gql.execute(spread, as_=personas.alice)) == ["QUERY_TOO_COMPLEX"]
    inline = "{ users { edges { node { ... on User { org { id } } } } } }"
    assert codes(await gql.execute(inline, as_=personas.alice)) == ["QUERY_TOO_COMPLEX"]


async def test_too_many_aliases_is_refused_before_execution(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """31 aliases (limit 30) are QUERY_TOO_COMPLEX; none of the aliased logins runs."""
    before = await snapshot(services)
    mutation = "mutation { " + " ".join(f"a{i}: {WRONG_LOGIN}" for i in range(31)) + " }"
    result = await gql.execute(mutation)
    assert codes(result) == ["QUERY_TOO_COMPLEX"]
    assert await snapshot(services) == before

    thirty = "{ " + " ".join(f"a{i}: __typename" for i in range(30)) + " }"
    result = await gql.execute(thirty)
    assert not result.get("errors")
    assert len(result["data"]) == 30


async def test_too_many_tokens_is_refused(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A document over max_query_tokens (5000) is QUERY_TOO_COMPLEX and nothing runs."""
    before = await snapshot(services)
    mutation = "mutation { " + WRONG_LOGIN + " __typename" * 5000 + " }"
    result = await gql.execute(mutation)
    assert codes(result) == ["QUERY_TOO_COMPLEX"]
    assert await snapshot(services) == before


# --- GraphQL errors --------------------------------------------------------------------------


async def test_syntax_error_is_parse_failed(http: httpx.AsyncClient) -> None:
    """A syntax error is GRAPHQL_PARSE_FAILED, as JSON."""
    response = await post(http, "{ viewer { id }")
    body = response.json()
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert body.get("data") is None


async def test_unknown_field_is_validation_failed_with_suggestion_in_dev(
    gql: GraphQLClient, personas: Personas
) -> None:
    """An unknown field is GRAPHQL_VALIDATION_FAILED; dev helps with a suggestion."""
    result = await gql.execute("{ viewer { emial } }", as_=personas.alice)
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Did you mean" in result["errors"][0]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "{ viewer { emial } }",
        "{ users(frist: 1) { totalCount } }",
        "{ viewer { ... on Usr { id } } }",
        'mutation { updateUserRole(input: {userId: "x", role: ADMN}) { errors { code } } }',
        "mutation { logout(input: {allSesions: true}) { sessionsEnded } }",
    ],
    ids=["field", "argument", "type", "enum-value", "input-field"],
)
async def test_prod_gives_no_schema_suggestions(
    client_with: ClientFactory, personas: Personas, query: str
) -> None:
    """In prod, validation errors do not suggest names from the schema."""
    gql = GraphQLClient(await client_with(env="prod"))
    result = await gql.execute(query, as_=personas.alice)
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    for error in result["errors"]:
        assert "Did you mean" not in error["message"], error["message"]


async def test_unexpected_exception_is_masked(
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An exception inside a resolver reaches the client only as INTERNAL with the request
    id: no exception text, SQL, type name or stack trace."""

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret SQL SELECT password_hash FROM users WHERE 1=1")

    monkeypatch.setattr("workchat.actions.users.list_users", broken)
    token = await gql.token_for(personas.alice)
    response = await post(http, "{ users { totalCount } }", token=token)
    assert response.status_code == 200
    body = response.json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    for leak in ("secret", "SELECT", "password_hash", "RuntimeError", "Traceback", "workchat/"):
        assert leak not in response.text


# --- request ids and health --------------------------------------------------------------------


async def test_request_id_header_and_audit(
    http: httpx.AsyncClient, services: Services, personas: Personas
) -> None:
    """Every GraphQL response carries the server's own X-Request-ID, which the audit entry
    records; a client's X-Request-ID never replaces it (it could name another request)."""
    response = await post(http, "{ __typename }")
    generated = response.headers["x-request-id"]
    assert len(generated) >= 8

    response = await post(http, LOGIN_MUTATION, headers={"x-request-id": "client-req-0001"})
    server_id = response.headers["x-request-id"]
    assert server_id not in ("client-req-0001", generated)
    entry = (await audit_entries(services, personas.alice.org_id))[-1]
    assert (entry.action, entry.request_id) == ("auth.login_failed", server_id)

    response = await post(http, "{ __typename }", headers={"x-request-id": "bad id\n<script>"})
    assert response.headers["x-request-id"] not in ("bad id\n<script>", "")
    assert "<" not in response.headers["x-request-id"]


async def test_healthz_and_readyz(http: httpx.AsyncClient) -> None:
    """Liveness and readiness answer 200 with JSON while the database is reachable."""
    health = await http.get("/healthz")
    assert (health.status_code, health.json()["status"]) == (200, "ok")
    ready = await http.get("/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")


async def test_readyz_when_database_is_unreachable(
    http: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readiness is 503 when the database does not answer; liveness stays 200."""

    async def down() -> bool:
        return False

    monkeypatch.setattr(services.db, "ping", down)
    ready = await http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert (await http.get("/healthz")).status_code == 200


# --- GraphiQL --------------------------------------------------------------------------------


async def test_graphiql_in_dev(http: httpx.AsyncClient) -> None:
    """A browser GET of /graphql gets GraphiQL in dev: the web build's page, or, before the web
    client is built, a page saying how to build it (tests/test_web_client.py has both)."""
    response = await http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code in (200, 503)
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_no_graphiql_in_prod(client_with: ClientFactory) -> None:
    """In prod the same GET is a JSON refusal, no HTML."""
    client = await client_with(env="prod")
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code in (404, 405)
    assert response.headers["content-type"].startswith("application/json")
    assert "<html" not in response.text.lower()
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
