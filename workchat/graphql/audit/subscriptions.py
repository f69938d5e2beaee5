"""``auditEvents``: admins follow the audit trail live, resuming by cursor.

The audit trail is never pruned, so any valid cursor resumes exactly. The stream wakes on
the org's events and on the signal actions send when they audit without an event, then reads
the new entries in chain order; without ``after`` it starts at the newest entry.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from workchat.access import require_admin
from workchat.actions.audit_log import audit_entries_after, audit_head_seq
from workchat.errors import RequestError, RequestErrorCode
from workchat.events.cursor import decode_audit_cursor
from workchat.events.hub import Listener
from workchat.graphql.audit.queries import to_filter
from workchat.graphql.audit.types import AuditEntryNode, AuditFilterInput
from workchat.graphql.context import Context
from workchat.graphql.throttle import check_subscription

PAGE_SIZE = 100


@strawberry.type
class AuditSubscriptions:
    @strawberry.subscription(
        description="Admins: the org's audit trail as it grows, oldest first. Pass `after` "
        "(an entry's `cursor`) to resume exactly after it; without it, entries from now on."
    )
    async def audit_events(
        self,
        info: Info[Context, None],
        after: Annotated[
            str | None, strawberry.argument(description="Resume right after this entry.")
        ] = None,
        filter: Annotated[
            AuditFilterInput | None, strawberry.argument(description="Only matching entries.")
        ] = None,
    ) -> AsyncGenerator[AuditEntryNode, None]:
        context = info.context
        viewer = context.require_viewer()
        require_admin(viewer)
        await check_subscription(context)
        org_id = viewer.org_id
        assert org_id is not None
        wanted = to_filter(filter)
        db = context.services.db
        async with context.services.hub.listen(org_id) as listener:
            async with db.read_session() as session:
                last = await audit_head_seq(session, org_id)
            if after is not None:
                decoded = decode_audit_cursor(after, org_id)
                if not decoded.is_valid or decoded.seq is None or decoded.seq > last:
                    raise RequestError(
                        "`after` is not an audit cursor of this org", RequestErrorCode.INVALID_INPUT
                    )
                last = decoded.seq
            while True:
                async with db.read_session() as session:
                    head = await audit_head_seq(session, org_id)
                    page = await audit_entries_after(
                        session,
                        viewer,
                        after_seq=last,
                        up_to=head,
                        limit=PAGE_SIZE,
                        filter=wanted,
                    )
                for entry in page:
                    context.fresh_loaders()
                    yield AuditEntryNode.from_model(entry)
                if len(page) == PAGE_SIZE:
                    last = page[-1].seq
                    continue
                last = head
                await _woken(listener)


async def _woken(listener: Listener) -> None:
    """Wait until the org has anything new; what woke us is not needed (the table is read)."""
    await listener.next()
    listener.drain()
