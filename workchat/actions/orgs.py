"""Org actions. Orgs are created by the operator (CLI), never through the public API."""

from __future__ import annotations

from sqlalchemy import or_, select

from workchat.access import require_admin
from workchat.actions.channels import create_system_channel
from workchat.actions.unit import unit_of_work
from workchat.actions.users import NewUser, insert_user
from workchat.actions.validation import clean_text
from workchat.auth.viewer import Viewer
from workchat.db.models import Org, org_slug
from workchat.errors import ActionError, ErrorCode, Forbidden
from workchat.events import catalogue as ev
from workchat.services import Services


async def create_org(
    services: Services, viewer: Viewer, name: str, *, admin: NewUser | None = None
) -> Org:
    """Create an org with its #general; with ``admin``, its first admin in the same
    transaction (so a bad admin leaves no org behind)."""
    require_admin(viewer)
    if viewer.user_id is not None:
        raise Forbidden("orgs are created by the operator")
    name = clean_text(name, "name", max_len=100)
    async with unit_of_work(services, viewer) as unit:
        # The slug names the org at login, so it must be as unique as the name.
        taken = await unit.session.scalar(
            select(Org.id).where(or_(Org.name == name, Org.slug == org_slug(name)))
        )
        if taken is not None:
            raise ActionError(ErrorCode.NAME_TAKEN, "an org with this name exists", field="name")
        org = Org(name=name)
        unit.session.add(org)
        await unit.session.flush()
        general = create_system_channel(unit, org.id)
        unit.audit(
            org.id,
            "org.create",
            "org",
            org.id,
            after={"name": org.name, "general_channel_id": str(general.id)},
        )
        unit.emit(ev.OrgCreated(org_id=org.id, name=org.name))
        unit.emit(ev.ChannelCreated(org_id=org.id, channel_id=general.id))
        if admin is not None:
            await insert_user(unit, org.id, admin)
    return org
