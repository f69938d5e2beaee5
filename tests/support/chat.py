"""Setting up channels and messages through the actions, as a persona."""

from __future__ import annotations

from tests.support.personas import Persona, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.db.models import Channel, Message
from workchat.services import Services


async def make_channel(
    services: Services,
    creator: Persona,
    name: str,
    *,
    private: bool = False,
    members: tuple[Persona, ...] = (),
) -> Channel:
    channel = await ch.create_channel(services, as_user(creator), name=name, is_private=private)
    for member in members:
        if private:
            await ch.invite_to_channel(services, as_user(creator), channel.id, member.id)
        else:
            await ch.join_channel(services, as_user(member), channel.id)
    return channel


async def post(
    services: Services,
    author: Persona,
    channel: Channel,
    body: str,
    *,
    thread: Message | None = None,
) -> Message:
    return await msg.post_message(
        services,
        as_user(author),
        channel_id=channel.id,
        body=body,
        thread_id=thread.id if thread else None,
    )


async def general(services: Services, persona: Persona) -> Channel:
    async with services.db.read_session() as session:
        rows, _ = await ch.list_channels(
            session,
            as_user(persona),
            limit=100,
            after=None,
            filter=ch.ChannelFilter(name_contains="general"),
        )
    [channel] = [row for row in rows if row.is_system]
    return channel
