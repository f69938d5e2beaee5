"""A live WebSocket ends with its credential: logout, refresh-token reuse, deactivation,
role change, API-token revocation and expiry each close it with 4401."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

from tests.support.graphql_client import GraphQLClient
from tests.support.personas import Personas, as_user
from tests.support.settings import PASSWORD
from tests.support.websocket import closed_code, connected, receive, send, socket
from workchat.actions.sessions import login, logout
from workchat.actions.tokens import create_api_token, revoke_api_token
from workchat.actions.users import deactivate_user, update_user_role
from workchat.auth.authenticate import authenticate
from workchat.auth.viewer import Viewer, anonymous
from workchat.events import catalogue as ev
from workchat.events.log import CommittedEvent
from workchat.graphql.session_guard import ends_session
from workchat.services import Services


async def _still_open(ws: object) -> None:
    """The socket still answers: a ping gets its pong."""
    await send(ws, {"type": "ping"})  # type: ignore[arg-type]
    assert (await receive(ws))["type"] == "pong"  # type: ignore[arg-type]


async def test_logout_closes_that_session_only(
    services: Services, personas: Personas, live_server: str
) -> None:
    first = await login(services, anonymous(), personas.bob.email, PASSWORD)
    second = await login(services, anonymous(), personas.bob.email, PASSWORD)
    async with socket(live_server) as ws_first, socket(live_server) as ws_second:
        await connected(ws_first, first.access_token)
        await connected(ws_second, second.access_token)
        await logout(
            services, await authenticate(services.db, services.settings, first.access_token)
        )
        assert await closed_code(ws_first) == 4401
        await _still_open(ws_second)


async def test_deactivation_and_role_change_close_sockets(
    services: Services, personas: Personas, live_server: str
) -> None:
    bob = await login(services, anonymous(), personas.bob.email, PASSWORD)
    alice = await login(services, anonymous(), personas.alice.email, PASSWORD)
    async with socket(live_server) as ws_bob, socket(live_server) as ws_alice:
        await connected(ws_bob, bob.access_token)
        await connected(ws_alice, alice.access_token)
        await update_user_role(services, as_user(personas.alice), personas.bob.id, "admin")
        assert await closed_code(ws_bob) == 4401
        await _still_open(ws_alice)
    bob = await login(services, anonymous(), personas.bob.email, PASSWORD)
    async with socket(live_server) as ws_bob:
        await connected(ws_bob, bob.access_token)
        await deactivate_user(services, as_user(personas.alice), personas.bob.id)
        assert await closed_code(ws_bob) == 4401


async def test_revoked_api_token_closes_its_socket(
    services: Services, personas: Personas, live_server: str
) -> None:
    created = await create_api_token(
        services, as_user(personas.alice), user_id=personas.bob.id, name="bot", scopes=["read"]
    )
    async with socket(live_server) as ws:
        await connected(ws, created.secret)
        await _still_open(ws)
        await revoke_api_token(services, as_user(personas.alice), created.token.id)
        assert await closed_code(ws) == 4401


async def test_expiry_closes_the_socket(
    services: Services, personas: Personas, live_server: str, gql: GraphQLClient
) -> None:
    services.settings = replace(services.settings, access_token_ttl_seconds=3)
    issued = await login(services, anonymous(), personas.bob.email, PASSWORD)
    async with socket(live_server) as ws:
        await connected(ws, issued.access_token)
        assert await closed_code(ws) == 4401


def _committed(event: ev.DomainEvent) -> CommittedEvent:
    delivery = event.delivery()
    return CommittedEvent(
        1,
        delivery.org_id,
        event.type,
        event.to_payload(),
        delivery.channel_id,
        delivery.user_id,
        datetime.now(UTC),
    )


def test_only_the_viewers_own_events_end_it() -> None:
    user, session, token = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    org = uuid.uuid4()
    me = Viewer(user_id=user, org_id=org, session_id=session, api_token_id=token)
    other = uuid.uuid4()

    def ends(event: ev.DomainEvent) -> bool:
        return ends_session(_committed(event), me)

    assert ends(ev.SessionRevoked(org_id=org, user_id=user, session_id=session))
    assert not ends(ev.SessionRevoked(org_id=org, user_id=user, session_id=other))
    assert ends(ev.ApiTokenRevoked(org_id=org, user_id=user, token_id=token))
    assert not ends(ev.ApiTokenRevoked(org_id=org, user_id=user, token_id=other))
    assert ends(ev.UserDeactivated(org_id=org, user_id=user))
    assert not ends(ev.UserDeactivated(org_id=org, user_id=other))
    assert ends(ev.UserUpdated(org_id=org, user_id=user, role="admin"))
    assert not ends(ev.UserCreated(org_id=org, user_id=user))  # for the org, not the user
    assert not ends(ev.UnreadChanged(org_id=org, user_id=user, channel_id=other, last_read_seq=3))


def test_an_unreadable_event_does_not_end_it() -> None:
    """A type name no class claims (an older or newer release) is skipped, not a crash."""
    user = uuid.uuid4()
    me = Viewer(user_id=user, org_id=uuid.uuid4(), session_id=uuid.uuid4())
    stray = CommittedEvent(1, me.org_id, "probe", {}, None, user, datetime.now(UTC))  # type: ignore[arg-type]
    assert not ends_session(stray, me)
