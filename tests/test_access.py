"""The access policy: each rule's predicate, SQL form and fetcher give the same answers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from tests.support.personas import Personas
from workchat.access import (
    access_api_token,
    access_channel,
    access_message,
    access_user,
    can_read_api_token,
    can_read_channel,
    can_read_message,
    can_read_org,
    can_read_user,
    readable_channels_sql,
    readable_users_sql,
)
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions import tokens as tk
from workchat.actions.users import create_user
from workchat.auth.viewer import ALL_SCOPES, SCOPE_ADMIN, Viewer, anonymous, system
from workchat.db.models import ApiToken, Channel, Membership, Message, User
from workchat.errors import ActionError, ErrorCode, Unauthenticated
from workchat.services import Services


# Self-contained helpers (a persona as an action sees them, a channel with members), so this
# file depends on the fixtures alone.
def as_user(persona: Any) -> Viewer:
    admin = persona.role == "admin"
    scopes = ALL_SCOPES if admin else ALL_SCOPES - {SCOPE_ADMIN}
    return Viewer(user_id=persona.id, org_id=persona.org_id, role=persona.role, scopes=scopes)


async def make_channel(
    services: Services, creator: Any, name: str, *, private: bool = False, members: Any = ()
) -> Channel:
    channel = await ch.create_channel(services, as_user(creator), name=name, is_private=private)
    for member in members:
        await ch.invite_to_channel(services, as_user(creator), channel.id, member.id)
    return channel


async def _viewers(services: Services, personas: Personas) -> dict[str, Viewer]:
    carol = await create_user(
        services,
        system(),
        org_id=personas.alice.org_id,
        email="carol@example.com",
        display_name="Carol",
        password="a long enough password",
    )
    return {
        "alice": as_user(personas.alice),
        "bob": as_user(personas.bob),
        "carol": Viewer(
            user_id=carol.id,
            org_id=carol.org_id,
            role="member",
            scopes=ALL_SCOPES - {SCOPE_ADMIN},
        ),
        "eve": as_user(personas.eve),
        "anonymous": anonymous(),
        "operator": system(),
    }


async def _is_member(services: Services, viewer: Viewer, channel: Channel) -> bool:
    async with services.db.read_session() as session:
        return (
            viewer.user_id is not None
            and await session.get(Membership, (channel.id, viewer.user_id)) is not None
        )


async def test_channel_rule_agrees_in_every_form(services: Services, personas: Personas) -> None:
    await make_channel(services, personas.alice, "open")
    await make_channel(services, personas.alice, "secret", private=True)
    await make_channel(services, personas.alice, "team", private=True, members=(personas.bob,))
    await make_channel(services, personas.eve, "evil-open")
    viewers = await _viewers(services, personas)
    async with services.db.read_session() as session:
        channels = list(await session.scalars(select(Channel)))

    readable: dict[str, set[str]] = {}
    for name, viewer in viewers.items():
        async with services.db.read_session() as session:
            by_sql = set(
                await session.scalars(select(Channel.name).where(readable_channels_sql(viewer)))
            )
        by_predicate = {
            c.name
            for c in channels
            if can_read_channel(viewer, c, is_member=await _is_member(services, viewer, c))
        }
        assert by_sql == by_predicate, name
        by_fetcher = set()
        for channel in channels:
            async with services.db.read_session() as session:
                try:
                    by_fetcher.add((await access_channel(session, viewer, channel.id)).name)
                except ActionError as error:
                    assert error.code is ErrorCode.NOT_FOUND
                except Unauthenticated:
                    assert viewer.user_id is None
        assert by_fetcher == by_predicate, name
        readable[name] = by_predicate

    assert readable["alice"] == {"general", "open", "secret", "team"}
    assert readable["bob"] == {"general", "open", "team"}
    assert readable["carol"] == {"general", "open"}
    assert readable["eve"] == {"general", "evil-open"}
    assert readable["anonymous"] == readable["operator"] == set()


async def test_message_rule_follows_its_channel(services: Services, personas: Personas) -> None:
    team = await make_channel(services, personas.alice, "team", private=True)
    open_ = await make_channel(services, personas.alice, "open")
    hidden = await msg.post_message(
        services, as_user(personas.alice), channel_id=team.id, body="hidden"
    )
    public = await msg.post_message(
        services, as_user(personas.alice), channel_id=open_.id, body="public"
    )
    bob, eve = as_user(personas.bob), as_user(personas.eve)
    async with services.db.read_session() as session:
        for message, channel in ((hidden, team), (public, open_)):
            found, in_channel = await access_message(session, as_user(personas.alice), message.id)
            assert (found.id, in_channel.id) == (message.id, channel.id)
        assert (await access_message(session, bob, public.id))[0].id == public.id
        for viewer, message_id in ((bob, hidden.id), (eve, public.id), (bob, uuid.uuid4())):
            with pytest.raises(ActionError) as raised:
                await access_message(session, viewer, message_id, field="id")
            assert (raised.value.code, raised.value.field) == (ErrorCode.NOT_FOUND, "id")
        loaded = await session.get(Message, public.id)
        other = await session.get(Channel, team.id)
    assert loaded is not None and other is not None
    # A message is read through its own channel, never another one the viewer can read.
    assert not can_read_message(as_user(personas.alice), loaded, other, is_member=True)


async def test_user_rule_agrees_in_every_form(services: Services, personas: Personas) -> None:
    viewers = await _viewers(services, personas)
    async with services.db.read_session() as session:
        users = list(await session.scalars(select(User)))
    seen: dict[str, set[str]] = {}
    for name, viewer in viewers.items():
        async with services.db.read_session() as session:
            by_sql = set(
                await session.scalars(select(User.email).where(readable_users_sql(viewer)))
            )
            by_fetcher = set()
            for user in users:
                try:
                    by_fetcher.add((await access_user(session, viewer, user.id)).email)
                except ActionError as error:
                    assert (error.code, error.field) == (ErrorCode.NOT_FOUND, "userId")
        by_predicate = {u.email for u in users if can_read_user(viewer, u)}
        assert by_sql == by_predicate == by_fetcher, name
        assert all(can_read_org(viewer, u.org_id) == (u.email in by_predicate) for u in users)
        seen[name] = by_predicate
    acme = {"alice@example.com", "bob@example.com", "carol@example.com"}
    assert seen["alice"] == seen["bob"] == seen["carol"] == acme
    assert seen["eve"] == {"eve@example.com"}
    assert seen["anonymous"] == set()
    assert seen["operator"] == acme | {"eve@example.com"}


async def test_api_tokens_are_for_admins_of_the_owners_org(
    services: Services, personas: Personas
) -> None:
    created = await tk.create_api_token(
        services, as_user(personas.alice), user_id=personas.bob.id, name="bot", scopes=["read"]
    )
    viewers = await _viewers(services, personas)
    allowed = set()
    for name, viewer in viewers.items():
        async with services.db.read_session() as session:
            token = await session.get(ApiToken, created.token.id)
            owner = await session.get(User, personas.bob.id)
            assert token is not None
            try:
                await access_api_token(session, viewer, token.id)
                fetched = True
            except ActionError as error:
                assert (error.code, error.field) == (ErrorCode.NOT_FOUND, "tokenId")
                fetched = False
        assert can_read_api_token(viewer, token, owner) == fetched, name
        if fetched:
            allowed.add(name)
    assert allowed == {"alice", "operator"}
