"""``node(id:)``: resolve any global ID the viewer may see; anything else is null."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from workchat.access import can_read_api_token, can_read_org, can_read_user
from workchat.db.models import ApiToken
from workchat.graphql.channels.loaders import load_visible_channel
from workchat.graphql.channels.types import TYPE_NAME as CHANNEL
from workchat.graphql.channels.types import ChannelNode
from workchat.graphql.context import Context
from workchat.graphql.ids import from_global_id
from workchat.graphql.messages.queries import load_visible_message
from workchat.graphql.messages.types import TYPE_NAME as MESSAGE
from workchat.graphql.orgs.types import TYPE_NAME as ORG
from workchat.graphql.orgs.types import OrgNode
from workchat.graphql.relay import Node
from workchat.graphql.tokens.types import TYPE_NAME as API_TOKEN
from workchat.graphql.tokens.types import ApiTokenNode
from workchat.graphql.users.types import TYPE_NAME as USER
from workchat.graphql.users.types import UserNode


async def resolve_node(info: Info[Context, None], id: strawberry.ID) -> Node | None:
    viewer = info.context.require_viewer()
    decoded = from_global_id(id)
    if decoded is None:
        return None
    type_name, db_id = decoded
    loaders = info.context.loaders
    if type_name == USER:
        user = await loaders.user_by_id.load(db_id)
        return UserNode.from_model(user) if user and can_read_user(viewer, user) else None
    if type_name == ORG:
        org = await loaders.org_by_id.load(db_id) if can_read_org(viewer, db_id) else None
        return OrgNode.from_model(org) if org else None
    if type_name == CHANNEL:
        channel = await load_visible_channel(loaders, viewer, db_id)
        return ChannelNode.from_model(channel) if channel else None
    if type_name == MESSAGE:
        return await load_visible_message(info.context, db_id)
    if type_name == API_TOKEN:
        async with info.context.services.db.read_session() as session:
            token = await session.get(ApiToken, db_id)
        owner = await loaders.user_by_id.load(token.user_id) if token else None
        if token and can_read_api_token(viewer, token, owner):
            return ApiTokenNode.from_model(token)
    return None


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Fetch any object by its global ID.")
    async def node(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="Any object's global ID.")],
    ) -> Node | None:
        return await resolve_node(info, id)
