from __future__ import annotations

from typing import TypeVar

import strawberry
from strawberry.types import Info

from workchat.actions import channels as channel_actions
from workchat.actions import read_state
from workchat.db.models import Channel
from workchat.graphql.channels.types import TYPE_NAME as CHANNEL
from workchat.graphql.channels.types import ChannelNode
from workchat.graphql.context import Context
from workchat.graphql.errors import UserError
from workchat.graphql.messages.types import TYPE_NAME as MESSAGE
from workchat.graphql.mutations import Payload, attempt, require_id
from workchat.graphql.users.types import TYPE_NAME as USER


@strawberry.input
class CreateChannelInput:
    name: str
    description: str = ""
    is_private: bool = False
    client_mutation_id: str | None = None


@strawberry.input
class UpdateChannelInput:
    channel_id: strawberry.ID
    name: str | None = None
    description: str | None = None
    is_private: bool | None = None
    client_mutation_id: str | None = None


@strawberry.input
class ArchiveChannelInput:
    channel_id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.input
class JoinChannelInput:
    channel_id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.input
class LeaveChannelInput:
    channel_id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.input
class InviteToChannelInput:
    channel_id: strawberry.ID
    user_id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.input
class MarkChannelReadInput:
    channel_id: strawberry.ID
    up_to_message_id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.type
class ChannelPayload(Payload):
    channel: ChannelNode | None


@strawberry.type
class CreateChannelPayload(ChannelPayload):
    pass


@strawberry.type
class UpdateChannelPayload(ChannelPayload):
    pass


@strawberry.type
class ArchiveChannelPayload(ChannelPayload):
    pass


@strawberry.type
class JoinChannelPayload(ChannelPayload):
    pass


@strawberry.type
class LeaveChannelPayload(ChannelPayload):
    pass


@strawberry.type
class InviteToChannelPayload(ChannelPayload):
    pass


@strawberry.type
class MarkChannelReadPayload(ChannelPayload):
    pass


P = TypeVar("P", bound=ChannelPayload)


def _payload(
    cls: type[P], channel: Channel | None, errors: list[UserError], client_mutation_id: str | None
) -> P:
    return cls(
        channel=ChannelNode.from_model(channel) if channel else None,
        errors=errors,
        client_mutation_id=client_mutation_id,
    )


@strawberry.type
class ChannelMutations:
    @strawberry.mutation(description="Create a channel; the creator joins it.")
    async def create_channel(
        self, info: Info[Context, None], input: CreateChannelInput
    ) -> CreateChannelPayload:
        info.context.require_viewer()
        channel, errors = await attempt(
            lambda: channel_actions.create_channel(
                info.context.services,
                info.context.acting("createChannel"),
                name=input.name,
                description=input.description,
                is_private=input.is_private,
            )
        )
        return _payload(CreateChannelPayload, channel, errors, input.client_mutation_id)

    @strawberry.mutation(description="Rename, describe or change privacy (creator or admin).")
    async def update_channel(
        self, info: Info[Context, None], input: UpdateChannelInput
    ) -> UpdateChannelPayload:
        info.context.require_viewer()
        channel, errors = await attempt(
            lambda: channel_actions.update_channel(
                info.context.services,
                info.context.acting("updateChannel"),
                require_id(input.channel_id, CHANNEL, "channelId"),
                name=input.name,
                description=input.description,
                is_private=input.is_private,
            )
        )
        return _payload(UpdateChannelPayload, channel, errors, input.client_mutation_id)

    @strawberry.mutation(description="Make a channel read-only (creator or admin).")
    async def archive_channel(
        self, info: Info[Context, None], input: ArchiveChannelInput
    ) -> ArchiveChannelPayload:
        info.context.require_viewer()
        channel, errors = await attempt(
            lambda: channel_actions.archive_channel(
                info.context.services,
                info.context.acting("archiveChannel"),
                require_id(input.channel_id, CHANNEL, "channelId"),
            )
        )
        return _payload(ArchiveChannelPayload, channel, errors, input.client_mutation_id)

    @strawberry.mutation(description="Join a public channel (idempotent).")
    async def join_channel(
        self, info: Info[Context, None], input: JoinChannelInput
    ) -> JoinChannelPayload:
        info.context.require_viewer()
        channel, errors = await attempt(
            lambda: channel_actions.join_channel(
                info.context.services,
                info.context.acting("joinChannel"),
                require_id(input.channel_id, CHANNEL, "channelId"),
            )
        )
        return _payload(JoinChannelPayload, channel, errors, input.client_mutation_id)

    @strawberry.mutation(description="Leave a channel (idempotent); nobody leaves #general.")
    async def leave_channel(
        self, info: Info[Context, None], input: LeaveChannelInput
    ) -> LeaveChannelPayload:
        info.context.require_viewer()
        channel, errors = await attempt(
            lambda: channel_actions.leave_channel(
                info.context.services,
                info.context.acting("leaveChannel"),
                require_id(input.channel_id, CHANNEL, "channelId"),
            )
        )
        return _payload(LeaveChannelPayload, channel, errors, input.client_mutation_id)

    @strawberry.mutation(description="Add a user of the org to a channel you are in.")
    async def invite_to_channel(
        self, info: Info[Context, None], input: InviteToChannelInput
    ) -> InviteToChannelPayload:
        info.context.require_viewer()
        channel, errors = await attempt(
            lambda: channel_actions.invite_to_channel(
                info.context.services,
                info.context.acting("inviteToChannel"),
                require_id(input.channel_id, CHANNEL, "channelId"),
                require_id(input.user_id, USER, "userId"),
            )
        )
        return _payload(InviteToChannelPayload, channel, errors, input.client_mutation_id)

    @strawberry.mutation(description="Move the viewer's read marker forward (never back).")
    async def mark_channel_read(
        self, info: Info[Context, None], input: MarkChannelReadInput
    ) -> MarkChannelReadPayload:
        info.context.require_viewer()

        async def run() -> Channel:
            channel_id = require_id(input.channel_id, CHANNEL, "channelId")
            await read_state.mark_channel_read(
                info.context.services,
                info.context.acting("markChannelRead"),
                channel_id=channel_id,
                up_to_message_id=require_id(input.up_to_message_id, MESSAGE, "upToMessageId"),
            )
            channel = await info.context.loaders.channel_by_id.load(channel_id)
            assert channel is not None
            return channel

        channel, errors = await attempt(run)
        return _payload(MarkChannelReadPayload, channel, errors, input.client_mutation_id)
