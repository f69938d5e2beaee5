from __future__ import annotations

from typing import TypeVar

import strawberry
from strawberry.types import Info

from workchat.actions import messages as message_actions
from workchat.actions import reactions as reaction_actions
from workchat.db.models import Message
from workchat.errors import ErrorCode
from workchat.graphql.channels.types import TYPE_NAME as CHANNEL
from workchat.graphql.context import Context
from workchat.graphql.errors import UserError
from workchat.graphql.messages.types import TYPE_NAME as MESSAGE
from workchat.graphql.messages.types import MessageNode
from workchat.graphql.mutations import Payload, attempt, require_id


@strawberry.input
class PostMessageInput:
    channel_id: strawberry.ID
    body: str
    thread_id: strawberry.ID | None = strawberry.field(
        default=None, description="Reply in this thread (a root message of the channel)."
    )
    client_mutation_id: str | None = strawberry.field(
        default=None, description="Retrying with the same value within 24 h creates nothing."
    )


@strawberry.input
class EditMessageInput:
    message_id: strawberry.ID
    body: str
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with VERSION_CONFLICT unless this is the version."
    )
    client_mutation_id: str | None = None


@strawberry.input
class DeleteMessageInput:
    message_id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.input
class AddReactionInput:
    message_id: strawberry.ID
    emoji: str
    client_mutation_id: str | None = None


@strawberry.input
class RemoveReactionInput:
    message_id: strawberry.ID
    emoji: str
    client_mutation_id: str | None = None


@strawberry.type
class MessagePayload(Payload):
    message: MessageNode | None


@strawberry.type
class PostMessagePayload(MessagePayload):
    pass


@strawberry.type
class EditMessagePayload(MessagePayload):
    pass


@strawberry.type
class DeleteMessagePayload(MessagePayload):
    pass


@strawberry.type
class AddReactionPayload(MessagePayload):
    pass


@strawberry.type
class RemoveReactionPayload(MessagePayload):
    pass


P = TypeVar("P", bound=MessagePayload)


def _payload(
    cls: type[P], message: Message | None, errors: list[UserError], client_mutation_id: str | None
) -> P:
    return cls(
        message=MessageNode.from_model(message) if message else None,
        errors=errors,
        client_mutation_id=client_mutation_id,
    )


@strawberry.type
class MessageMutations:
    @strawberry.mutation(description="Post a root message, or a reply with threadId.")
    async def post_message(
        self, info: Info[Context, None], input: PostMessageInput
    ) -> PostMessagePayload:
        info.context.require_viewer()
        message, errors = await attempt(
            lambda: message_actions.post_message(
                info.context.services,
                info.context.acting("postMessage"),
                channel_id=require_id(input.channel_id, CHANNEL, "channelId"),
                body=input.body,
                thread_id=(
                    require_id(input.thread_id, MESSAGE, "threadId")
                    if input.thread_id is not None
                    else None
                ),
                client_mutation_id=input.client_mutation_id,
            )
        )
        return _payload(PostMessagePayload, message, errors, input.client_mutation_id)

    @strawberry.mutation(
        description="Edit your message. On VERSION_CONFLICT `message` is the current version."
    )
    async def edit_message(
        self, info: Info[Context, None], input: EditMessageInput
    ) -> EditMessagePayload:
        info.context.require_viewer()
        message_id = None

        async def run() -> Message:
            nonlocal message_id
            message_id = require_id(input.message_id, MESSAGE, "messageId")
            return await message_actions.edit_message(
                info.context.services,
                info.context.acting("editMessage"),
                message_id=message_id,
                body=input.body,
                expected_version=input.expected_version,
            )

        message, errors = await attempt(run)
        if errors and errors[0].code == ErrorCode.VERSION_CONFLICT and message_id is not None:
            message = await info.context.loaders.message_by_id.load(message_id)
        return _payload(EditMessagePayload, message, errors, input.client_mutation_id)

    @strawberry.mutation(description="Delete a message (author or admin); replies stay.")
    async def delete_message(
        self, info: Info[Context, None], input: DeleteMessageInput
    ) -> DeleteMessagePayload:
        info.context.require_viewer()
        message, errors = await attempt(
            lambda: message_actions.delete_message(
                info.context.services,
                info.context.acting("deleteMessage"),
                require_id(input.message_id, MESSAGE, "messageId"),
            )
        )
        return _payload(DeleteMessagePayload, message, errors, input.client_mutation_id)

    @strawberry.mutation(description="React to a message (idempotent).")
    async def add_reaction(
        self, info: Info[Context, None], input: AddReactionInput
    ) -> AddReactionPayload:
        info.context.require_viewer()
        message, errors = await attempt(
            lambda: reaction_actions.add_reaction(
                info.context.services,
                info.context.acting("addReaction"),
                require_id(input.message_id, MESSAGE, "messageId"),
                input.emoji,
            )
        )
        return _payload(AddReactionPayload, message, errors, input.client_mutation_id)

    @strawberry.mutation(description="Take back a reaction (idempotent).")
    async def remove_reaction(
        self, info: Info[Context, None], input: RemoveReactionInput
    ) -> RemoveReactionPayload:
        info.context.require_viewer()
        message, errors = await attempt(
            lambda: reaction_actions.remove_reaction(
                info.context.services,
                info.context.acting("removeReaction"),
                require_id(input.message_id, MESSAGE, "messageId"),
                input.emoji,
            )
        )
        return _payload(RemoveReactionPayload, message, errors, input.client_mutation_id)
