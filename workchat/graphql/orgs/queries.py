from __future__ import annotations

import strawberry
from strawberry.types import Info

from workchat.errors import Unauthenticated
from workchat.graphql.context import Context
from workchat.graphql.orgs.types import OrgNode


@strawberry.type
class OrgQueries:
    @strawberry.field(description="The viewer's org.")
    async def org(self, info: Info[Context, None]) -> OrgNode:
        viewer = info.context.require_viewer()
        assert viewer.org_id is not None
        org = await info.context.loaders.org_by_id.load(viewer.org_id)
        if org is None:
            raise Unauthenticated("session has ended")
        return OrgNode.from_model(org)
