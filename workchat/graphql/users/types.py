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
from workchat.graphql.relay import NODE_ID, Node

TYPE_NAME = "User"


@strawberry.enum(description="What a user may do in their org.")
class Role(Enum):
    ADMIN = strawberry.enum_value(
        "admin", description="Manages users, API tokens, any channel; reads the audit log."
    )
    MEMBER = strawberry.enum_value("member", description="Chats; manages channels they created.")


@strawberry.enum(description="Whether someone is connected and active.")
class Presence(Enum):
    ONLINE = strawberry.enum_value("online", description="Connected and active.")
    AWAY = strawberry.enum_value("away", description="Connected but idle for a while.")
    OFFLINE = strawberry.enum_value("offline", description="No live connection.")


@strawberry.type(name="User", description="A person or bot in the viewer's org.")
class UserNode(Node):
    id: strawberry.ID = strawberry.field(description=NODE_ID)
    email: str = strawberry.field(description="Their login, lower-cased; unique.")
    display_name: str = strawberry.field(description="The name others see; @mentions use it.")
    role: Role = strawberry.field(description="Admin or member.")
    is_active: bool = strawberry.field(description="False once deactivated: they cannot log in.")
    created_at: datetime = strawberry.field(description="When the user was added.")
    db_id: strawberry.Private[uuid.UUID]
    org_db_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The org the user belongs to.")
    async def org(self, info: Info[Context, None]) -> OrgNode:
        org = await info.context.loaders.org_by_id.load(self.org_db_id)
        assert org is not None  # a user's org always exists (foreign key)
        return OrgNode.from_model(org)

    @strawberry.field(
        description="Online while they have a live connection, away after a while without "
        "activity, else offline."
    )
    async def presence(self, info: Info[Context, None]) -> Presence:
        state = await info.context.loaders.presence_by_user.load(self.db_id)
        return Presence(state.presence.value)

    @strawberry.field(
        description="Now while they are connected; else when their last connection ended "
        "(null if they never connected)."
    )
    async def last_seen_at(self, info: Info[Context, None]) -> datetime | None:
        state = await info.context.loaders.presence_by_user.load(self.db_id)
        return state.last_seen_at

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
