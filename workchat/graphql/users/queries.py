from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from workchat.actions import users as user_actions
from workchat.errors import RequestError, RequestErrorCode, Unauthenticated
from workchat.graphql.context import Context
from workchat.graphql.relay import (
    AFTER,
    FIRST,
    Connection,
    build_connection,
    decode_cursor,
    encode_cursor,
    page_size,
)
from workchat.graphql.users.types import UserNode


def _cursor(node: UserNode) -> str:
    return encode_cursor(node.created_at.isoformat(), str(node.db_id))


@strawberry.type
class UserQueries:
    @strawberry.field(description="The authenticated user.")
    async def viewer(self, info: Info[Context, None]) -> UserNode:
        viewer = info.context.require_viewer()
        assert viewer.user_id is not None
        # The row the credential check read (as fresh as the credential) or a load.
        user = viewer.user_row or await info.context.loaders.user_by_id.load(viewer.user_id)
        if user is None:
            raise Unauthenticated("session has ended")
        return UserNode.from_model(user)

    @strawberry.field(description="Users of the viewer's org, oldest first.")
    async def users(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        query: Annotated[
            str | None,
            strawberry.argument(description="Only names or emails containing this (any case)."),
        ] = None,
    ) -> Connection[UserNode]:
        viewer = info.context.require_viewer()
        limit = page_size(first)
        after_key = None
        if after is not None:
            created_at, user_id = decode_cursor(after, arity=2)
            try:
                moment = datetime.fromisoformat(created_at)
                after_key = (moment, uuid.UUID(user_id))
            except (TypeError, ValueError):
                moment = None
            if moment is None or moment.tzinfo is None:
                raise RequestError("after is not a valid cursor", RequestErrorCode.INVALID_INPUT)
        async with info.context.services.db.read_session() as session:
            rows, has_more = await user_actions.list_users(
                session, viewer, limit=limit, after=after_key, query=query
            )
            total = await user_actions.count_users(session, viewer) if not query else None
        return build_connection(
            [UserNode.from_model(row) for row in rows],
            _cursor,
            has_next_page=has_more,
            has_previous_page=after is not None,
            total_count=total,
        )
