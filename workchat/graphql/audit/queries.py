from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.types import Info

from workchat.access import require_admin
from workchat.actions.audit_log import AuditFilter, list_audit_entries
from workchat.graphql.audit.types import AuditEntryNode, AuditFilterInput
from workchat.graphql.context import Context
from workchat.graphql.ids import from_global_id
from workchat.graphql.relay import (
    BEFORE,
    LAST,
    Connection,
    build_connection,
    decode_int_cursor,
    encode_cursor,
    page_size,
)


def to_filter(given: AuditFilterInput | None) -> AuditFilter:
    if given is None:
        return AuditFilter()
    actor = from_global_id(given.actor_id) if given.actor_id else None
    target = from_global_id(given.target_id) if given.target_id else None
    return AuditFilter(
        actor_id=actor[1] if actor else (None if given.actor_id is None else _NOBODY),
        action=given.action,
        target_id=str(target[1]) if target else given.target_id,
        since=given.since,
        until=given.until,
    )


# An actor ID that does not decode matches nothing, rather than everything.
_NOBODY = uuid.UUID(int=0)


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description="Admins: the org's audit trail, newest first. Page back with `before` "
        "set to the previous page's `pageInfo.endCursor` while `hasPreviousPage`."
    )
    async def audit_log(
        self,
        info: Info[Context, None],
        last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
        filter: Annotated[
            AuditFilterInput | None, strawberry.argument(description="Which entries to list.")
        ] = None,
    ) -> Connection[AuditEntryNode]:
        viewer = info.context.require_viewer()
        require_admin(viewer)
        limit = page_size(last, argument="last")
        before_seq = decode_int_cursor(before, argument="before") if before is not None else None
        async with info.context.services.db.read_session() as session:
            rows, older = await list_audit_entries(
                session, viewer, limit=limit, before_seq=before_seq, filter=to_filter(filter)
            )
        return build_connection(
            [AuditEntryNode.from_model(row) for row in rows],
            lambda node: encode_cursor(node.seq),
            has_next_page=before is not None,
            has_previous_page=older,
        )
