from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from workchat.db.models import AuditEntry
from workchat.events.cursor import encode_audit_cursor
from workchat.graphql.context import Context
from workchat.graphql.ids import to_global_id
from workchat.graphql.relay import NODE_ID, Node
from workchat.graphql.users.types import UserNode

TYPE_NAME = "AuditEntry"


@strawberry.input(name="AuditFilter", description="Narrows the audit log; all given must match.")
class AuditFilterInput:
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="The acting user's global ID."
    )
    action: str | None = strawberry.field(default=None, description="e.g. message.edit")
    target_id: strawberry.ID | None = strawberry.field(
        default=None, description="The target's global ID."
    )
    since: datetime | None = strawberry.field(default=None, description="Inclusive.")
    until: datetime | None = strawberry.field(default=None, description="Exclusive.")


@strawberry.type(name="AuditEntry", description="One recorded action; entries never change.")
class AuditEntryNode(Node):
    id: strawberry.ID = strawberry.field(description=NODE_ID)
    seq: int = strawberry.field(description="Position in the org's hash chain.")
    via: str = strawberry.field(description="graphql, mcp or cli.")
    operation: str | None = strawberry.field(description="The GraphQL operation or tool name.")
    action: str = strawberry.field(description="What happened, e.g. message.edit.")
    target_type: str = strawberry.field(description="What it happened to, e.g. message.")
    target_id: str | None = strawberry.field(description="The target's global ID, when it has one.")
    diff: JSON = strawberry.field(
        description="`patch` (RFC 6902 JSON Patch), and `before`/`after` of the changed fields."
    )
    request_id: str | None = strawberry.field(
        description="The id of the request that did it, if any."
    )
    at: datetime = strawberry.field(description="When it happened.")
    prev_hash: str = strawberry.field(description="The previous entry's hash in the chain.")
    hash: str = strawberry.field(
        description="SHA-256 over this entry and prevHash; `workchat audit verify` checks it."
    )
    cursor: str = strawberry.field(
        description="Pass to `auditEvents(after:)` to follow the trail from this entry on."
    )
    actor_db_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Who acted; null for the operator at the command line.")
    async def actor(self, info: Info[Context, None]) -> UserNode | None:
        if self.actor_db_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.actor_db_id)
        return UserNode.from_model(user) if user else None

    @classmethod
    def from_model(cls, entry: AuditEntry) -> AuditEntryNode:
        return cls(
            id=to_global_id(TYPE_NAME, entry.id),
            seq=entry.seq,
            via=entry.via,
            operation=entry.operation,
            action=entry.action,
            target_type=entry.target_type,
            target_id=_target_global_id(entry.target_type, entry.target_id),
            diff=entry.diff,  # type: ignore[arg-type]
            request_id=entry.request_id,
            at=entry.at,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
            cursor=encode_audit_cursor(entry.org_id, entry.seq),
            actor_db_id=entry.actor_id,
        )


TARGET_TYPE_NAMES = {
    "org": "Org",
    "user": "User",
    "channel": "Channel",
    "message": "Message",
    "api_token": "ApiToken",
}


def _target_global_id(target_type: str, target_id: str | None) -> str | None:
    type_name = TARGET_TYPE_NAMES.get(target_type)
    if target_id is None or type_name is None:
        return target_id
    try:
        return to_global_id(type_name, uuid.UUID(target_id))
    except ValueError:
        return target_id
