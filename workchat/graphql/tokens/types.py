from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from workchat.db.models import ApiToken
from workchat.graphql.context import Context
from workchat.graphql.ids import to_global_id
from workchat.graphql.relay import NODE_ID, Node
from workchat.graphql.users.types import UserNode

TYPE_NAME = "ApiToken"


@strawberry.type(name="ApiToken", description="A long-lived credential for a bot or agent.")
class ApiTokenNode(Node):
    id: strawberry.ID = strawberry.field(description=NODE_ID)
    name: str = strawberry.field(description="A label for people.")
    scopes: list[str] = strawberry.field(description="What it may do: read, write, admin.")
    created_at: datetime = strawberry.field(description="When it was created.")
    last_used_at: datetime | None = strawberry.field(
        description="When it last authenticated a request; null if never."
    )
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked (or its user deactivated); null while it works."
    )
    user_db_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The user the token acts as.")
    async def user(self, info: Info[Context, None]) -> UserNode:
        user = await info.context.loaders.user_by_id.load(self.user_db_id)
        assert user is not None  # foreign key
        return UserNode.from_model(user)

    @classmethod
    def from_model(cls, token: ApiToken) -> ApiTokenNode:
        return cls(
            id=to_global_id(TYPE_NAME, token.id),
            name=token.name,
            scopes=sorted(token.scopes),
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
            user_db_id=token.user_id,
        )
