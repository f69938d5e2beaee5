from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from workchat.db.models import User
from workchat.graphql.context import Context
from workchat.graphql.ids import to_global_id
from workchat.graphql.orgs.types import OrgNode
from workchat.graphql.relay import Node

TYPE_NAME = "User"


@strawberry.enum
class Role(Enum):
    ADMIN = "admin"
    MEMBER = "member"


@strawberry.type(name="User", description="A person or bot in the viewer's org.")
class UserNode(Node):
    id: strawberry.ID
    email: str
    display_name: str
    role: Role
    is_active: bool
    created_at: datetime
    db_id: strawberry.Private[uuid.UUID]
    org_db_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def org(self, info: Info[Context, None]) -> OrgNode:
        org = await info.context.loaders.org_by_id.load(self.org_db_id)
        assert org is not None  # a user's org always exists (foreign key)
        return OrgNode.from_model(org)

    @classmethod
    def from_model(cls, user: User) -> UserNode:
        return cls(
            id=to_global_id(TYPE_NAME, user.id),
            email=user.email,
            display_name=user.display_name,
            role=Role(user.role),
            is_active=user.is_active,
            created_at=user.created_at,
            db_id=user.id,
            org_db_id=user.org_id,
        )
