from __future__ import annotations

import strawberry
from strawberry.types import Info

from workchat.access import require_admin
from workchat.actions import tokens as token_actions
from workchat.graphql.context import Context
from workchat.graphql.mutations import Payload, attempt, require_id
from workchat.graphql.tokens.types import TYPE_NAME as API_TOKEN
from workchat.graphql.tokens.types import ApiTokenNode
from workchat.graphql.users.types import TYPE_NAME as USER


@strawberry.input
class CreateApiTokenInput:
    user_id: strawberry.ID = strawberry.field(description="The bot or person the token acts as.")
    name: str
    scopes: list[str] = strawberry.field(
        default_factory=lambda: ["read", "write"],
        description="Any of read, write, admin (admin only for an admin's token).",
    )
    client_mutation_id: str | None = None


@strawberry.input
class RevokeApiTokenInput:
    token_id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.type
class CreateApiTokenPayload(Payload):
    api_token: ApiTokenNode | None
    token: str | None = strawberry.field(description="The secret, shown only this once.")


@strawberry.type
class RevokeApiTokenPayload(Payload):
    api_token: ApiTokenNode | None


@strawberry.type
class TokenMutations:
    @strawberry.mutation(description="Admin: create an API token for a user of the org.")
    async def create_api_token(
        self, info: Info[Context, None], input: CreateApiTokenInput
    ) -> CreateApiTokenPayload:
        require_admin(info.context.require_viewer())
        created, errors = await attempt(
            lambda: token_actions.create_api_token(
                info.context.services,
                info.context.acting("createApiToken"),
                user_id=require_id(input.user_id, USER, "userId"),
                name=input.name,
                scopes=list(input.scopes),
            )
        )
        return CreateApiTokenPayload(
            api_token=ApiTokenNode.from_model(created.token) if created else None,
            token=created.secret if created else None,
            errors=errors,
            client_mutation_id=input.client_mutation_id,
        )

    @strawberry.mutation(description="Admin: revoke an API token; it stops working at once.")
    async def revoke_api_token(
        self, info: Info[Context, None], input: RevokeApiTokenInput
    ) -> RevokeApiTokenPayload:
        require_admin(info.context.require_viewer())
        token, errors = await attempt(
            lambda: token_actions.revoke_api_token(
                info.context.services,
                info.context.acting("revokeApiToken"),
                require_id(input.token_id, API_TOKEN, "tokenId"),
            )
        )
        return RevokeApiTokenPayload(
            api_token=ApiTokenNode.from_model(token) if token else None,
            errors=errors,
            client_mutation_id=input.client_mutation_id,
        )
