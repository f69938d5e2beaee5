from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from workchat.db.models import Org
from workchat.graphql.ids import to_global_id
from workchat.graphql.relay import NODE_ID, Node

TYPE_NAME = "Org"


@strawberry.type(name="Org", description="An organization: the boundary of all data.")
class OrgNode(Node):
    id: strawberry.ID = strawberry.field(description=NODE_ID)
    name: str = strawberry.field(description="The org's name; unique on this server.")
    slug: str = strawberry.field(
        description="The org's name in ASCII letters, digits and hyphens; `login` takes it "
        "as `org` when an address has accounts in several orgs."
    )
    created_at: datetime = strawberry.field(description="When the org was created.")
    db_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, org: Org) -> OrgNode:
        return cls(
            id=to_global_id(TYPE_NAME, org.id),
            name=org.name,
            slug=org.slug,
            created_at=org.created_at,
            db_id=org.id,
        )
