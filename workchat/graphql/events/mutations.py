"""setTyping: the one mutation that writes nothing (an ephemeral signal, see actions/typing)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from workchat.actions.typing import set_typing
from workchat.auth.viewer import Viewer
from workchat.graphql.channels.types import TYPE_NAME as CHANNEL
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
from workchat.services import Services


@strawberry.input(description="Input of setTyping.")
class SetTypingInput:
    channel_id: strawberry.ID = strawberry.field(description="The channel typed in.")
    thread_id: strawberry.ID | None = strawberry.field(
        default=None, description="The thread's root message, when typing a reply."
    )
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.type(description="Result of setTyping.")
class SetTypingPayload(Payload):
    expires_at: datetime | None = strawberry.field(
        default=None, description="Until when others see the indicator; null on error."
    )


@strawberry.type
class TypingMutations:
    @strawberry.mutation(
        description=described(
            "setTyping",
            "Tell the channel's live subscribers that the viewer is typing (TypingStarted): "
            "call it while keys are pressed; others hear at most one every 3 seconds. Not "
            "stored, not audited.",
        )
    )
    async def set_typing(
        self, info: Info[Context, None], input: Annotated[SetTypingInput, INPUT]
    ) -> SetTypingPayload:
        async def run(services: Services, viewer: Viewer) -> datetime:
            thread_id = (
                require_id(input.thread_id, MESSAGE, "threadId") if input.thread_id else None
            )
            return await set_typing(
                services,
                viewer,
                channel_id=require_id(input.channel_id, CHANNEL, "channelId"),
                thread_id=thread_id,
            )

        return await mutate(info, input, run, lambda expires: SetTypingPayload(expires_at=expires))
