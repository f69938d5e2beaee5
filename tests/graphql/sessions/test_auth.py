"""Authentication over GraphQL: bearer tokens, refresh rotation, logout, login failures,
admin-only mutations (docs/adr/0005-api-contract.md). API tokens are in tests/graphql/tokens/."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest

from tests.support.auth import (
    CREATE_TOKEN,
    CREATE_USER,
    DEACTIVATE,
    REVOKE_TOKEN,
    UPDATE_ROLE,
    actions,
    assert_authenticated_as,
    assert_unauthenticated,
    outlive_refresh_grace,
)
from tests.support.db import audit_entries, count_rows, events, snapshot, typed
from tests.support.graphql_client import GraphQLClient, codes, gid, payload_errors
from tests.support.personas import Personas
from tests.support.settings import PASSWORD, SECRET
from workchat.actions.tokens import create_api_token
from workchat.auth.viewer import system
from workchat.db.models import RefreshToken
from workchat.events import catalogue as ev
from workchat.services import Services

LOGIN = """mutation($email: String!, $password: String!) {
    login(input: {email: $email, password: $password}) {
        accessToken refreshToken errors { code message field } user { email }
    }
}"""
REFRESH = """mutation($token: String!) {
    refreshToken(input: {refreshToken: $token}) {
        accessToken refreshToken errors { code message field } user { email }
    }
}"""
LOGOUT = """mutation($all: Boolean!) {
    logout(input: {allSessions: $all}) { sessionsEnded errors { code } }
}"""


def b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    """A real token's claims, read without checking them (to copy a live ``sid``)."""
    return jwt.decode(token, options={"verify_signature": False})  # type: ignore[no-any-return]


def forge(
    base: dict[str, Any], *, key: str = SECRET, algorithm: str = "HS256", **changes: Any
) -> str:
    """Re-sign ``base`` claims with ``changes`` applied (None removes a claim)."""
    claims = {**base, **changes}
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm=algorithm)


async def refresh(gql: GraphQLClient, token: str) -> dict[str, Any]:
    result = await gql.execute(REFRESH, {"token": token})
    assert not result.get("errors"), result
    return result["data"]["refreshToken"]  # type: ignore[no-any-return]


# --- no credential ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "{ viewer { id } }",
        "{ org { id name } }",
        "{ users { totalCount } }",
        '{ node(id: "VXNlcjox") { id } }',
    ],
)
async def test_queries_without_token_are_unauthenticated(
    gql: GraphQLClient, personas: Personas, query: str
) -> None:
    """Every viewer-scoped query refuses an anonymous caller with a coded top-level error."""
    result = await gql.execute(query)
    assert not any((result["data"] or {}).values())
    assert codes(result) == ["UNAUTHENTICATED"]


# --- rejected access tokens ------------------------------------------------------------------


async def test_forged_token_with_the_right_key_is_accepted(
    gql: GraphQLClient, personas: Personas
) -> None:
    """Control for the rejections below: re-signing real claims correctly is accepted."""
    base = claims_of((await gql.login(personas.alice))["accessToken"])
    await assert_authenticated_as(gql, forge(base), personas.alice)


@pytest.mark.parametrize(
    "case",
    [
        "garbage",
        "bad_signature",
        "expired",
        "alg_none",
        "hs512",
        "wrong_audience",
        "wrong_issuer",
        "refresh_type",
        "no_type",
        "other_org",
        "unknown_session",
    ],
)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 case
async def test_rejected_access_tokens(
    gql: GraphQLClient, services: Services, personas: Personas, case: str
) -> None:
    """Each malformed, mis-signed, expired or mis-targeted JWT gets UNAUTHENTICATED."""
    base = claims_of((await gql.login(personas.alice))["accessToken"])
    now = int(time.time())
    token = {
        "garbage": lambda: "not-a-jwt",
        "bad_signature": lambda: forge(base, key="another-key-that-is-also-long-enough-0123456789"),
        "expired": lambda: forge(base, iat=now - 3600, exp=now - 60),
        "alg_none": lambda: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(base)}.",
        "hs512": lambda: forge(base, algorithm="HS512"),
        "wrong_audience": lambda: forge(base, aud="someone-else"),
        "wrong_issuer": lambda: forge(base, iss="not-workchat"),
        "refresh_type": lambda: forge(base, typ="refresh"),
        "no_type": lambda: forge(base, typ=None),
        "other_org": lambda: forge(base, org=str(personas.eve.org_id)),
        "unknown_session": lambda: forge(base, sid=str(uuid.uuid4())),
    }[case]()
    await assert_unauthenticated(gql, token)


async def test_refresh_token_is_not_a_bearer_token(gql: GraphQLClient, personas: Personas) -> None:
    """The opaque refresh token cannot be used as an access token."""
    session = await gql.login(personas.alice)
    await assert_unauthenticated(gql, session["refreshToken"])


async def test_access_token_after_logout_is_rejected(
    gql: GraphQLClient, personas: Personas
) -> None:
    """Logging out ends the session: its still-unexpired access token stops working."""
    session = await gql.login(personas.alice)
    result = await gql.execute(LOGOUT, {"all": False}, token=session["accessToken"])
    assert result["data"]["logout"] == {"sessionsEnded": 1, "errors": []}
    await assert_unauthenticated(gql, session["accessToken"])


async def test_access_token_of_deactivated_user_is_rejected(
    gql: GraphQLClient, personas: Personas
) -> None:
    """Deactivating a user ends their sessions at once."""
    session = await gql.login(personas.bob)
    await assert_authenticated_as(gql, session["accessToken"], personas.bob)
    result = await gql.execute(DEACTIVATE, {"id": gid("User", personas.bob.id)}, as_=personas.alice)
    assert payload_errors(result, "deactivateUser") == []
    await assert_unauthenticated(gql, session["accessToken"])


# --- refresh rotation ------------------------------------------------------------------------


async def test_refresh_rotates_and_old_token_fails(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """refreshToken issues new tokens in the same session; the presented one is spent (once
    the short reuse grace for a concurrent second tab is over)."""
    first = await gql.login(personas.alice)
    second = await refresh(gql, first["refreshToken"])
    assert second["errors"] == []
    assert second["user"] == {"email": personas.alice.email}
    assert second["refreshToken"] != first["refreshToken"]
    assert claims_of(second["accessToken"])["sid"] == claims_of(first["accessToken"])["sid"]
    await assert_authenticated_as(gql, second["accessToken"], personas.alice)
    assert await count_rows(services, RefreshToken, user_id=personas.alice.id) == 2
    assert "auth.refresh" in await actions(services, personas.alice)

    await outlive_refresh_grace(services)
    again = await refresh(gql, first["refreshToken"])
    assert again["accessToken"] is None and again["refreshToken"] is None
    assert [e["code"] for e in again["errors"]] == ["INVALID_TOKEN"]


async def test_refresh_reuse_revokes_the_whole_family(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Replaying a rotated refresh token ends the session: the newest refresh token and the
    session's access tokens stop working, an audit entry and an event are written, and the
    user's other sessions are untouched."""
    other = await gql.login(personas.alice)
    first = await gql.login(personas.alice)
    second = await refresh(gql, first["refreshToken"])
    sid = claims_of(first["accessToken"])["sid"]

    await outlive_refresh_grace(
        services
    )  # within it, a replay is a second tab (test_refresh_grace)
    replay = await refresh(gql, first["refreshToken"])
    assert [e["code"] for e in replay["errors"]] == ["INVALID_TOKEN"]

    newest = await refresh(gql, second["refreshToken"])
    assert [e["code"] for e in newest["errors"]] == ["INVALID_TOKEN"]
    await assert_unauthenticated(gql, second["accessToken"])
    await assert_unauthenticated(gql, first["accessToken"])
    await assert_authenticated_as(gql, other["accessToken"], personas.alice)

    reuse = [
        e
        for e in await audit_entries(services, personas.alice.org_id)
        if e.action == "auth.refresh_reuse"
    ]
    assert len(reuse) == 1
    assert (reuse[0].target_type, reuse[0].target_id) == ("session", sid)
    revoked = [
        typed(e)
        for e in await events(services, personas.alice.org_id)
        if e.type == "session.revoked"
    ]
    assert revoked == [
        ev.SessionRevoked(
            org_id=personas.alice.org_id, user_id=personas.alice.id, session_id=uuid.UUID(sid)
        )
    ]


async def test_logout_then_refresh_fails(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """After logout the session's refresh token is refused (and it is not 'reuse')."""
    session = await gql.login(personas.alice)
    result = await gql.execute(LOGOUT, {"all": False}, token=session["accessToken"])
    assert result["data"]["logout"]["sessionsEnded"] == 1
    after = await refresh(gql, session["refreshToken"])
    assert [e["code"] for e in after["errors"]] == ["INVALID_TOKEN"]
    assert after["accessToken"] is None
    assert "auth.logout" in await actions(services, personas.alice)
    assert "auth.refresh_reuse" not in await actions(services, personas.alice)


async def test_logout_all_sessions(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """logout(allSessions: true) ends every session of the viewer, and only theirs."""
    sessions = [await gql.login(personas.alice) for _ in range(3)]
    bob = await gql.login(personas.bob)
    result = await gql.execute(LOGOUT, {"all": True}, token=sessions[0]["accessToken"])
    assert result["data"]["logout"] == {"sessionsEnded": 3, "errors": []}
    for session in sessions:
        await assert_unauthenticated(gql, session["accessToken"])
        spent = await refresh(gql, session["refreshToken"])
        assert [e["code"] for e in spent["errors"]] == ["INVALID_TOKEN"]
    await assert_authenticated_as(gql, bob["accessToken"], personas.bob)


# --- login failures --------------------------------------------------------------------------


async def test_wrong_password_is_audited_without_the_password(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A wrong password gets INVALID_CREDENTIALS, no session, and one audit entry that never
    records the attempted password."""
    attempted = "hunter2-but-wrong"
    before = await audit_entries(services, personas.alice.org_id)
    result = await gql.execute(LOGIN, {"email": personas.alice.email, "password": attempted})
    payload = result["data"]["login"]
    assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]
    assert payload["accessToken"] is None and payload["refreshToken"] is None
    assert await count_rows(services, RefreshToken) == 0
    after = await audit_entries(services, personas.alice.org_id)
    [entry] = after[len(before) :]
    assert entry.action == "auth.login_failed"
    assert (entry.target_type, entry.target_id) == ("user", str(personas.alice.id))
    assert entry.actor_id is None
    assert attempted not in json.dumps(entry.diff)
    assert PASSWORD not in json.dumps(entry.diff)


async def test_unknown_email_looks_like_wrong_password(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """An unknown email gets the same error as a wrong password, and nothing is written."""
    wrong = await gql.execute(LOGIN, {"email": personas.alice.email, "password": "nope-nope"})
    before = await snapshot(services)
    unknown = await gql.execute(LOGIN, {"email": "nobody@example.com", "password": "nope-nope"})
    assert unknown["data"]["login"]["errors"] == wrong["data"]["login"]["errors"]
    assert [e["code"] for e in unknown["data"]["login"]["errors"]] == ["INVALID_CREDENTIALS"]
    assert await snapshot(services) == before


async def test_deactivated_user_cannot_log_in(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A deactivated user's correct password is refused like a wrong one."""
    result = await gql.execute(DEACTIVATE, {"id": gid("User", personas.bob.id)}, as_=personas.alice)
    assert payload_errors(result, "deactivateUser") == []
    tokens_before = await count_rows(services, RefreshToken, user_id=personas.bob.id)
    login = await gql.execute(LOGIN, {"email": personas.bob.email, "password": PASSWORD})
    payload = login["data"]["login"]
    assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]
    assert payload["accessToken"] is None
    assert await count_rows(services, RefreshToken, user_id=personas.bob.id) == tokens_before
    assert (await actions(services, personas.bob))[-1] == "auth.login_failed"


async def test_login_email_is_case_insensitive(gql: GraphQLClient, personas: Personas) -> None:
    """Emails are stored lower-cased, so a capitalised login works."""
    result = await gql.execute(LOGIN, {"email": "  Alice@Example.COM ", "password": PASSWORD})
    assert result["data"]["login"]["errors"] == []
    await assert_authenticated_as(gql, result["data"]["login"]["accessToken"], personas.alice)


# --- admin-only mutations --------------------------------------------------------------------


@pytest.mark.parametrize(
    "mutation",
    ["createUser", "updateUserRole", "deactivateUser", "createApiToken", "revokeApiToken"],
)
async def test_member_gets_forbidden_for_admin_mutations(
    gql: GraphQLClient, services: Services, personas: Personas, mutation: str
) -> None:
    """A member calling an admin mutation gets a top-level FORBIDDEN and nothing changes."""
    created = await create_api_token(
        services, system(), user_id=personas.bob.id, name="bot", scopes=["read"]
    )
    alice_id = gid("User", personas.alice.id)
    query, variables = {
        "createUser": (
            CREATE_USER,
            {"input": {"email": "x@example.com", "displayName": "X", "password": PASSWORD}},
        ),
        "updateUserRole": (UPDATE_ROLE, {"id": alice_id, "role": "MEMBER"}),
        "deactivateUser": (DEACTIVATE, {"id": alice_id}),
        "createApiToken": (CREATE_TOKEN, {"input": {"userId": alice_id, "name": "mine"}}),
        "revokeApiToken": (REVOKE_TOKEN, {"id": gid("ApiToken", created.token.id)}),
    }[mutation]
    await gql.token_for(personas.bob)
    before = await snapshot(services)
    result = await gql.execute(query, variables, as_=personas.bob)
    assert codes(result) == ["FORBIDDEN"]
    assert result["data"] is None
    assert await snapshot(services) == before
