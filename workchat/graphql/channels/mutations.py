from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import strawberry
from strawberry.types import Info

from workchat.actions import channels as channel_actions
from workchat.actions import read_state
from workchat.auth.viewer import Viewer
from workchat.db.models import Channel
from workchat.graphql.channels.types import TYPE_NAME as CHANNEL
from workchat.graphql.channels.types import ChannelNode
from workchat.graphql.context import Context
from workchat.graphql.messages.types import TYPE_NAME as MESSAGE
from workchat.graphql.mutations import (
    INPUT,
    Payload,
    client_mutation_id_field,
    described,
    mutate,
    require_id,
)
from workchat.graphql.users.types import TYPE_NAME as USER
from workchat.services import Services

CHANNEL_ID = "The channel's global ID."


@strawberry.input(description="Input of createChannel.")
class CreateChannelInput:
    name: str = strawberry.field(
        description="1-80 characters, unique in the org ignoring case; a leading # is dropped."
    )
    description: str = strawberry.field(default="", description="Up to 1000 characters.")
    is_private: bool = strawberry.field(
        default=False, description="Visible only to members, who join by invitation."
    )
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of updateChannel: null fields stay as they are.")
class UpdateChannelInput:
    channel_id: strawberry.ID = strawberry.field(description=CHANNEL_ID)
    name: str | None = strawberry.field(default=None, description="A new name.")
    description: str | None = strawberry.field(default=None, description="A new description.")
    is_private: bool | None = strawberry.field(default=None, description="New privacy.")
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of archiveChannel.")
class ArchiveChannelInput:
    channel_id: strawberry.ID = strawberry.field(description=CHANNEL_ID)
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of joinChannel.")
class JoinChannelInput:
    channel_id: strawberry.ID = strawberry.field(description=CHANNEL_ID)
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of leaveChannel.")
class LeaveChannelInput:
    channel_id: strawberry.ID = strawberry.field(description=CHANNEL_ID)
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of inviteToChannel.")
class InviteToChannelInput:
    channel_id: strawberry.ID = strawberry.field(description=CHANNEL_ID)
    user_id: strawberry.ID = strawberry.field(description="The active user of the org to add.")
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of markChannelRead.")
class MarkChannelReadInput:
    channel_id: strawberry.ID = strawberry.field(description=CHANNEL_ID)
    up_to_message_id: strawberry.ID = strawberry.field(
        description="The last message read: a message (root or reply) of this channel."
    )
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.type
class ChannelPayload(Payload):
    channel: ChannelNode | None = strawberry.field(
        default=None, description="The channel as it is now; null on error."
    )


@strawberry.type(description="Result of createChannel.")
class CreateChannelPayload(ChannelPayload):
    pass


@strawberry.type(description="Result of updateChannel.")
class UpdateChannelPayload(ChannelPayload):
    pass


@strawberry.type(description="Result of archiveChannel.")
class ArchiveChannelPayload(ChannelPayload):
    pass


@strawberry.type(description="Result of joinChannel.")
class JoinChannelPayload(ChannelPayload):
    pass


@strawberry.type(description="Result of leaveChannel.")
class LeaveChannelPayload(ChannelPayload):
    pass


@strawberry.type(description="Result of inviteToChannel.")
class InviteToChannelPayload(ChannelPayload):
    pass


@strawberry.type(description="Result of markChannelRead.")
class MarkChannelReadPayload(ChannelPayload):
    pass


P = TypeVar("P", bound=ChannelPayload)


def _payload(cls: type[P]) -> Callable[[Channel | None], P]:
    return lambda channel: cls(channel=ChannelNode.from_model(channel) if channel else None)


@strawberry.type
class ChannelMutations:
    @strawberry.mutation(
        description=described("createChannel", "Create a channel; the creator joins it.")
    )
    async def create_channel(
        self, info: Info[Context, None], input: Annotated[CreateChannelInput, INPUT]
    ) -> CreateChannelPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: channel_actions.create_channel(
                services,
                viewer,
                name=input.name,
                description=input.description,
                is_private=input.is_private,
            ),
            _payload(CreateChannelPayload),
        )

    @strawberry.mutation(
        description=described(
            "updateChannel",
            "Creator or admin: rename a channel, describe it or change its privacy.",
        )
    )
    async def update_channel(
        self, info: Info[Context, None], input: Annotated[UpdateChannelInput, INPUT]
    ) -> UpdateChannelPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: channel_actions.update_channel(
                services,
                viewer,
                require_id(input.channel_id, CHANNEL, "channelId"),
                name=input.name,
                description=input.description,
                is_private=input.is_private,
            ),
            _payload(UpdateChannelPayload),
        )

    @strawberry.mutation(
        description=described(
            "archiveChannel",
            "Creator or admin: make a channel read-only; archiving again is a no-op.",
        )
    )
    async def archive_channel(
        self, info: Info[Context, None], input: Annotated[ArchiveChannelInput, INPUT]
    ) -> ArchiveChannelPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: channel_actions.archive_channel(
                services, viewer, require_id(input.channel_id, CHANNEL, "channelId")
            ),
            _payload(ArchiveChannelPayload),
        )

    @strawberry.mutation(
        description=described(
            "joinChannel", "Join a public channel (idempotent); private ones need an invitation."
        )
    )
    async def join_channel(
        self, info: Info[Context, None], input: Annotated[JoinChannelInput, INPUT]
    ) -> JoinChannelPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: channel_actions.join_channel(
                services, viewer, require_id(input.channel_id, CHANNEL, "channelId")
            ),
            _payload(JoinChannelPayload),
        )

    @strawberry.mutation(
        description=described(
            "leaveChannel", "Leave a channel (idempotent); nobody leaves #general."
        )
    )
    async def leave_channel(
        self, info: Info[Context, None], input: Annotated[LeaveChannelInput, INPUT]
    ) -> LeaveChannelPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: channel_actions.leave_channel(
                services, viewer, require_id(input.channel_id, CHANNEL, "channelId")
            ),
            _payload(LeaveChannelPayload),
        )

    @strawberry.mutation(
        description=described(
            "inviteToChannel", "Add a user of the org to a channel you are in (idempotent)."
        )
    )
    async def invite_to_channel(
        self, info: Info[Context, None], input: Annotated[InviteToChannelInput, INPUT]
    ) -> InviteToChannelPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: channel_actions.invite_to_channel(
                services,
                viewer,
                require_id(input.channel_id, CHANNEL, "channelId"),
                require_id(input.user_id, USER, "userId"),
            ),
            _payload(InviteToChannelPayload),
        )

    @strawberry.mutation(
        description=described(
            "markChannelRead", "Move the viewer's read marker forward (never back)."
        )
    )
    async def mark_channel_read(
        self, info: Info[Context, None], input: Annotated[MarkChannelReadInput, INPUT]
    ) -> MarkChannelReadPayload:
        async def run(services: Services, viewer: Viewer) -> Channel:
            channel_id = require_id(input.channel_id, CHANNEL, "channelId")
            await read_state.mark_channel_read(
                services,
                viewer,
                channel_id=channel_id,
                up_to_message_id=require_id(input.up_to_message_id, MESSAGE, "upToMessageId"),
            )
            channel = await info.context.loaders.channel_by_id.load(channel_id)
            assert channel is not None  # the action just found it
            return channel

        return await mutate(info, input, run, _payload(MarkChannelReadPayload))
