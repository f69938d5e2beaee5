from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from workchat.actions import tokens as token_actions
from workchat.actions.tokens import CreatedApiToken
from workchat.graphql.context import Context
from workchat.graphql.mutations import (
    INPUT,
    Payload,
    client_mutation_id_field,
    described,
    mutate,
    require_id,
)
from workchat.graphql.tokens.types import TYPE_NAME as API_TOKEN
from workchat.graphql.tokens.types import ApiTokenNode
from workchat.graphql.users.types import TYPE_NAME as USER


@strawberry.input(description="Input of createApiToken.")
class CreateApiTokenInput:
    user_id: strawberry.ID = strawberry.field(description="The bot or person the token acts as.")
    name: str = strawberry.field(description="A label for people, 1-80 characters.")
    scopes: list[str] = strawberry.field(
        default_factory=lambda: ["read", "write"],
        description="Any of read, write, admin (admin only for an admin's token).",
    )
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of revokeApiToken.")
class RevokeApiTokenInput:
    token_id: strawberry.ID = strawberry.field(description="The API token's global ID.")
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.type(description="Result of createApiToken.")
class CreateApiTokenPayload(Payload):
    api_token: ApiTokenNode | None = strawberry.field(
        default=None, description="The new token's record; null on error."
    )
    token: str | None = strawberry.field(
        default=None, description="The secret, shown only this once."
    )

    @classmethod
    def build(cls, created: CreatedApiToken | None) -> CreateApiTokenPayload:
        if created is None:
            return cls()
        return cls(api_token=ApiTokenNode.from_model(created.token), token=created.secret)


@strawberry.type(description="Result of revokeApiToken.")
class RevokeApiTokenPayload(Payload):
    api_token: ApiTokenNode | None = strawberry.field(
        default=None, description="The token, now revoked; null on error."
    )


@strawberry.type
class TokenMutations:
    @strawberry.mutation(
        description=described(
            "createApiToken",
            "Admins: create an API token for a user of the org.",
        )
    )
    async def create_api_token(
        self, info: Info[Context, None], input: Annotated[CreateApiTokenInput, INPUT]
    ) -> CreateApiTokenPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: token_actions.create_api_token(
                services,
                viewer,
                user_id=require_id(input.user_id, USER, "userId"),
                name=input.name,
                scopes=list(input.scopes),
            ),
            CreateApiTokenPayload.build,
        )

    @strawberry.mutation(
        description=described(
            "revokeApiToken", "Admins: revoke an API token; it stops working at once."
        )
    )
    async def revoke_api_token(
        self, info: Info[Context, None], input: Annotated[RevokeApiTokenInput, INPUT]
    ) -> RevokeApiTokenPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: token_actions.revoke_api_token(
                services, viewer, require_id(input.token_id, API_TOKEN, "tokenId")
            ),
            lambda token: RevokeApiTokenPayload(
                api_token=ApiTokenNode.from_model(token) if token else None
            ),
        )
