"""DataLoaders, created per operation (never shared: they cache), results in key order.

Each domain keeps its loaders in its own package; ``Loaders`` gathers one operation's
(``Context.operation()`` creates them, ``Context.fresh_loaders()`` replaces them).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from workchat.auth.viewer import Viewer
from workchat.db.models import Channel, Message, Org, User
from workchat.events.presence import PresenceState
from workchat.services import Services

M = TypeVar("M", Org, User, Channel, Message)
K = TypeVar("K")
V = TypeVar("V")


async def rows_by_id(
    session: AsyncSession, model: type[M], ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, M]:
    """``SELECT … WHERE id IN (…)``, by id (missing ids are absent)."""
    if not ids:
        return {}
    rows = await session.scalars(select(model).where(model.id.in_(ids)))
    return {row.id: row for row in rows}


class Loader(DataLoader[K, V], Generic[K, V]):
    """A DataLoader whose cached future survives the cancellation of one of its awaiters.

    Fields that load the same key share one future. When a field errors inside a list,
    graphql-core cancels its sibling fields; a task cancelled while awaiting a bare future
    cancels that future too, and every other field waiting on the key would then raise
    ``CancelledError`` (a 500, not a field error). Each caller awaits its own shield instead.
    """

    def load(self, key: K) -> Awaitable[V]:
        return asyncio.shield(super().load(key))


class ModelByIdLoader(Loader[uuid.UUID, M | None], Generic[M]):
    """One ``SELECT … WHERE id IN (…)`` per batch of keys."""

    model: ClassVar[Any]

    def __init__(self, services: Services) -> None:
        self._services = services
        super().__init__(load_fn=self._load)

    async def _load(self, ids: Sequence[uuid.UUID]) -> list[M | None]:
        async with self._services.db.read_session() as session:
            by_id: dict[uuid.UUID, M] = await rows_by_id(session, self.model, ids)
        return [by_id.get(id_) for id_ in ids]


class ViewerLoader(Loader[K, V], Generic[K, V]):
    """A loader whose answers depend on who is asking (read at load time, after auth)."""

    def __init__(self, services: Services, viewer: Callable[[], Viewer]) -> None:
        self._services = services
        self._viewer = viewer
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[K]) -> list[V]:
        raise NotImplementedError


class UserByIdLoader(ModelByIdLoader[User]):
    model = User


class PresenceByUserLoader(Loader[uuid.UUID, PresenceState]):
    """Presence across every server process, for a batch of users at once."""

    def __init__(self, services: Services) -> None:
        self._services = services
        super().__init__(load_fn=self._load)

    async def _load(self, user_ids: Sequence[uuid.UUID]) -> list[PresenceState]:
        states = await self._services.presence.states(user_ids)
        return [states[user_id] for user_id in user_ids]


class OrgByIdLoader(ModelByIdLoader[Org]):
    model = Org


class Loaders:
    """One operation's loaders; add one attribute per ``<Thing>By<Key>Loader``."""

    def __init__(self, services: Services, viewer: Callable[[], Viewer]) -> None:
        from workchat.graphql.channels.loaders import (
            ChannelByIdLoader,
            MemberCountByChannelLoader,
            UnreadStateByChannelLoader,
            ViewerMembershipByChannelLoader,
        )
        from workchat.graphql.messages.loaders import (
            MessageByIdLoader,
            ReactionSummariesByMessageLoader,
            RepliesByThreadLoader,
        )

        self.user_by_id = UserByIdLoader(services)
        self.presence_by_user = PresenceByUserLoader(services)
        self.org_by_id = OrgByIdLoader(services)
        self.channel_by_id = ChannelByIdLoader(services)
        self.message_by_id = MessageByIdLoader(services)
        self.member_count_by_channel = MemberCountByChannelLoader(services)
        self.viewer_membership_by_channel = ViewerMembershipByChannelLoader(services, viewer)
        self.unread_state_by_channel = UnreadStateByChannelLoader(services, viewer)
        self.reaction_summaries_by_message = ReactionSummariesByMessageLoader(services, viewer)
        self.replies_by_thread = RepliesByThreadLoader(services)
