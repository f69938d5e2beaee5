from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import strawberry
from strawberry.types import Info

from workchat.actions import messages as message_actions
from workchat.actions import reactions as reaction_actions
from workchat.db.models import Message
from workchat.errors import ActionError, ErrorCode
from workchat.graphql.channels.types import TYPE_NAME as CHANNEL
from workchat.graphql.context import Context
from workchat.graphql.messages.types import TYPE_NAME as MESSAGE
from workchat.graphql.messages.types import MessageNode
from workchat.graphql.mutations import (
    INPUT,
    Payload,
    client_mutation_id_field,
    described,
    mutate,
    optional_id,
    require_id,
)

MESSAGE_ID = "The message's global ID."
EMOJI = "A Unicode emoji (sequence) or a :short_name:."


@strawberry.input(description="Input of postMessage.")
class PostMessageInput:
    channel_id: strawberry.ID = strawberry.field(
        description="The channel to post in; the viewer must be a member."
    )
    body: str = strawberry.field(description="1-40000 characters after trimming.")
    thread_id: strawberry.ID | None = strawberry.field(
        default=None, description="Reply in this thread (a root message of the channel)."
    )
    client_mutation_id: str | None = strawberry.field(
        default=None,
        description="An idempotency key, unique per author (at most 64 characters): a retry "
        "with the same key, channel, thread and body returns the message the first call "
        "created and writes nothing, even when the calls run at once; the key reused for a "
        "different post is INVALID_INPUT on this field.",
    )


@strawberry.input(description="Input of editMessage.")
class EditMessageInput:
    message_id: strawberry.ID = strawberry.field(description=MESSAGE_ID)
    body: str = strawberry.field(description="The new body, 1-40000 characters after trimming.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with VERSION_CONFLICT unless this is the version."
    )
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of deleteMessage.")
class DeleteMessageInput:
    message_id: strawberry.ID = strawberry.field(description=MESSAGE_ID)
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of addReaction.")
class AddReactionInput:
    message_id: strawberry.ID = strawberry.field(description=MESSAGE_ID)
    emoji: str = strawberry.field(description=EMOJI)
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of removeReaction.")
class RemoveReactionInput:
    message_id: strawberry.ID = strawberry.field(description=MESSAGE_ID)
    emoji: str = strawberry.field(description=EMOJI)
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.type
class MessagePayload(Payload):
    message: MessageNode | None = strawberry.field(
        default=None, description="The message as it is now; null on error."
    )


@strawberry.type(description="Result of postMessage.")
class PostMessagePayload(MessagePayload):
    pass


@strawberry.type(description="Result of editMessage.")
class EditMessagePayload(MessagePayload):
    message: MessageNode | None = strawberry.field(
        default=None,
        description="The message as it is now: edited, or on VERSION_CONFLICT the current "
        "text and version to merge with; null on other errors.",
    )


@strawberry.type(description="Result of deleteMessage.")
class DeleteMessagePayload(MessagePayload):
    pass


@strawberry.type(description="Result of addReaction.")
class AddReactionPayload(MessagePayload):
    pass


@strawberry.type(description="Result of removeReaction.")
class RemoveReactionPayload(MessagePayload):
    pass


P = TypeVar("P", bound=MessagePayload)


def _payload(cls: type[P]) -> Callable[[Message | None], P]:
    return lambda message: cls(message=MessageNode.from_model(message) if message else None)


@strawberry.type
class MessageMutations:
    @strawberry.mutation(
        description=described("postMessage", "Post a root message, or a reply with threadId.")
    )
    async def post_message(
        self, info: Info[Context, None], input: Annotated[PostMessageInput, INPUT]
    ) -> PostMessagePayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: message_actions.post_message(
                services,
                viewer,
                channel_id=require_id(input.channel_id, CHANNEL, "channelId"),
                body=input.body,
                thread_id=optional_id(input.thread_id, MESSAGE, "threadId"),
                client_mutation_id=input.client_mutation_id,
            ),
            _payload(PostMessagePayload),
        )

    @strawberry.mutation(
        description=described(
            "editMessage",
            "Author: edit your message. On VERSION_CONFLICT `message` is the current version.",
        )
    )
    async def edit_message(
        self, info: Info[Context, None], input: Annotated[EditMessageInput, INPUT]
    ) -> EditMessagePayload:
        async def current(error: ActionError) -> Message | None:
            # The client resolves the conflict against the text and version it missed.
            if error.code is not ErrorCode.VERSION_CONFLICT:
                return None
            message_id = require_id(input.message_id, MESSAGE, "messageId")
            return await info.context.loaders.message_by_id.load(message_id)

        return await mutate(
            info,
            input,
            lambda services, viewer: message_actions.edit_message(
                services,
                viewer,
                message_id=require_id(input.message_id, MESSAGE, "messageId"),
                body=input.body,
                expected_version=input.expected_version,
            ),
            _payload(EditMessagePayload),
            alongside_error=current,
        )

    @strawberry.mutation(
        description=described(
            "deleteMessage",
            "Author or admin: delete a message; the body is cleared, replies stay.",
        )
    )
    async def delete_message(
        self, info: Info[Context, None], input: Annotated[DeleteMessageInput, INPUT]
    ) -> DeleteMessagePayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: message_actions.delete_message(
                services, viewer, require_id(input.message_id, MESSAGE, "messageId")
            ),
            _payload(DeleteMessagePayload),
        )

    @strawberry.mutation(
        description=described("addReaction", "React to a message (idempotent); members only.")
    )
    async def add_reaction(
        self, info: Info[Context, None], input: Annotated[AddReactionInput, INPUT]
    ) -> AddReactionPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: reaction_actions.add_reaction(
                services, viewer, require_id(input.message_id, MESSAGE, "messageId"), input.emoji
            ),
            _payload(AddReactionPayload),
        )

    @strawberry.mutation(
        description=described("removeReaction", "Take back a reaction (idempotent).")
    )
    async def remove_reaction(
        self, info: Info[Context, None], input: Annotated[RemoveReactionInput, INPUT]
    ) -> RemoveReactionPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: reaction_actions.remove_reaction(
                services, viewer, require_id(input.message_id, MESSAGE, "messageId"), input.emoji
            ),
            _payload(RemoveReactionPayload),
        )
