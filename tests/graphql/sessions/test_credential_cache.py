"""The credential cache (docs/adr/0021-write-throughput.md): a verified access token is not
checked against the database again for a moment, but logout, deactivation, a role change and
API-token revocation end it at once, in this process and (through the org's event feed) in
another one."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

import pytest

from tests.support.auth import (
    CREATE_TOKEN,
    DEACTIVATE,
    REVOKE_TOKEN,
    UPDATE_ROLE,
    assert_authenticated_as,
    assert_unauthenticated,
)
from tests.support.graphql_client import GraphQLClient, gid, payload_errors
from tests.support.personas import Persona, Personas
from tests.support.settings import PASSWORD, REDIS_URL
from tests.support.statements import queries, recording
from workchat.actions import sessions as auth_actions
from workchat.auth.authenticate import AuthenticationFailed, authenticate
from workchat.auth.cache import CredentialCache
from workchat.auth.viewer import Viewer, anonymous
from workchat.services import Services
from workchat.settings import Settings

LOGOUT = """mutation { logout(input: {allSessions: false}) { sessionsEnded errors { code } } }"""


async def cached(gql: GraphQLClient, services: Services, token: str, persona: Persona) -> None:
    """Authenticate with ``token`` until this process holds it in its cache."""
    cache = services.credentials.cache
    for _ in range(200):
        await assert_authenticated_as(gql, token, persona)
        if cache.get(token, None) is not None:
            return
        await asyncio.sleep(0.01)  # the org's event feed is being started
    raise AssertionError("the credential was never cached")


async def test_logout_ends_a_cached_token_at_once(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    session = await gql.login(personas.alice)
    token = session["accessToken"]
    await cached(gql, services, token, personas.alice)
    result = await gql.execute(LOGOUT, token=token)
    assert result["data"]["logout"] == {"sessionsEnded": 1, "errors": []}
    assert services.credentials.cache.get(token, None) is None
    await assert_unauthenticated(gql, token)


async def test_deactivation_and_role_change_end_cached_tokens(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    bob = await gql.login(personas.bob)
    await cached(gql, services, bob["accessToken"], personas.bob)
    result = await gql.execute(DEACTIVATE, {"id": gid("User", personas.bob.id)}, as_=personas.alice)
    assert payload_errors(result, "deactivateUser") == []
    await assert_unauthenticated(gql, bob["accessToken"])

    alice = await gql.login(personas.alice)
    await cached(gql, services, alice["accessToken"], personas.alice)
    # Another admin demotes alice: her cached viewer (an admin) must not outlive it.
    admin = await gql.login(personas.alice)
    result = await gql.execute(
        UPDATE_ROLE,
        {"id": gid("User", personas.alice.id), "role": "MEMBER"},
        token=admin["accessToken"],
    )
    assert payload_errors(result, "updateUserRole") in ([], [{"code": "LAST_ADMIN"}])
    if payload_errors(result, "updateUserRole") == []:
        assert services.credentials.cache.get(alice["accessToken"], None) is None


async def test_viewer_is_answered_from_the_row_the_check_read(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """With the credential cached, ``viewer`` costs no statement; a role change ends the
    cached credential, and with it the row: the next request reads the new role."""
    token = (await gql.login(personas.bob))["accessToken"]
    await cached(gql, services, token, personas.bob)
    with recording(services) as statements:
        result = await gql.execute("{ viewer { id email role isActive } }", token=token)
    assert result["data"]["viewer"] == {
        "id": gid("User", personas.bob.id),
        "email": personas.bob.email,
        "role": "MEMBER",
        "isActive": True,
    }
    assert queries(statements) == []

    promoted = await gql.execute(
        UPDATE_ROLE, {"id": gid("User", personas.bob.id), "role": "ADMIN"}, as_=personas.alice
    )
    assert payload_errors(promoted, "updateUserRole") == []
    with recording(services) as statements:
        result = await gql.execute("{ viewer { role } }", token=token)
    assert result["data"]["viewer"] == {"role": "ADMIN"}
    assert queries(statements) != []  # checked afresh, not from the old row


async def test_a_revoked_api_token_is_refused_at_once(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    created = await gql.execute(
        CREATE_TOKEN,
        {"input": {"userId": gid("User", personas.alice.id), "name": "bot"}},
        as_=personas.alice,
    )
    payload = created["data"]["createApiToken"]
    token = payload["token"]
    await cached(gql, services, token, personas.alice)
    result = await gql.execute(REVOKE_TOKEN, {"id": payload["apiToken"]["id"]}, as_=personas.alice)
    assert payload_errors(result, "revokeApiToken") == []
    await assert_unauthenticated(gql, token)


@pytest.mark.skipif(REDIS_URL is None, reason="needs a bus two processes share (Redis)")
async def test_a_logout_on_another_process_reaches_this_cache(
    settings: Settings, personas: Personas
) -> None:
    """Two processes' services on one database and one Redis bus: a logout on the second
    reaches the first one's cache through the org's event feed."""
    shared = replace(settings, broadcast_url=REDIS_URL)
    here, there = Services.create(shared), Services.create(shared)
    await here.start()
    await there.start()
    try:
        issued = await auth_actions.login(
            here, anonymous(), email=personas.bob.email, password=PASSWORD
        )
        token = issued.access_token
        cache = here.credentials.cache
        for _ in range(200):
            viewer = await authenticate(here.db, here.settings, token, cache=cache)
            here.credentials.ensure_watched(personas.bob.org_id)
            if cache.get(token, None) is not None:
                break
            await asyncio.sleep(0.01)  # the org's event feed is being started
        assert cache.get(token, None) is not None
        await auth_actions.logout(there, viewer)
        for _ in range(500):
            if cache.get(token, None) is None:
                break
            await asyncio.sleep(0.01)  # the event travels through Redis
        assert cache.get(token, None) is None
        with pytest.raises(AuthenticationFailed):
            await authenticate(here.db, here.settings, token, cache=cache)
    finally:
        await there.close()
        await here.close()


def test_a_check_that_began_before_a_forget_is_not_cached() -> None:
    """A request verified the token, a logout ended it meanwhile: what the request found is
    stale and must not be cached."""
    cache = CredentialCache(ttl=60)
    org, user = uuid.uuid4(), uuid.uuid4()
    cache.watch(org)
    viewer = Viewer(user_id=user, org_id=org)
    epoch = cache.epoch
    cache.forget_user(user)
    cache.put("token", viewer, epoch=epoch)
    assert cache.get("token", None) is None
    cache.put("token", viewer, epoch=cache.epoch)
    assert cache.get("token", "req") == Viewer(user_id=user, org_id=org, request_id="req")


def test_an_unwatched_org_is_never_cached() -> None:
    cache = CredentialCache(ttl=60)
    viewer = Viewer(user_id=uuid.uuid4(), org_id=uuid.uuid4())
    cache.put("token", viewer, epoch=cache.epoch)
    assert cache.get("token", None) is None
    cache.watch(viewer.org_id)  # type: ignore[arg-type]
    cache.put("token", viewer, epoch=cache.epoch)
    assert cache.get("token", None) is not None
    cache.unwatch(viewer.org_id)  # type: ignore[arg-type]
    assert cache.get("token", None) is None


def test_a_zero_lifetime_turns_the_cache_off() -> None:
    cache = CredentialCache(ttl=0)
    viewer = Viewer(user_id=uuid.uuid4(), org_id=uuid.uuid4())
    cache.watch(viewer.org_id)  # type: ignore[arg-type]
    cache.put("token", viewer, epoch=cache.epoch)
    assert cache.get("token", None) is None
