"""DataLoaders, created per request (never shared: they cache), results in key order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from workchat.db.models import Org, User
from workchat.services import Services

M = TypeVar("M", Org, User)


class ModelByIdLoader(DataLoader[uuid.UUID, M | None], Generic[M]):
    """One ``SELECT … WHERE id IN (…)`` per batch of keys."""

    model: ClassVar[type[Org] | type[User]]

    def __init__(self, services: Services) -> None:
        self._services = services
        super().__init__(load_fn=self._load)

    async def _load(self, ids: Sequence[uuid.UUID]) -> list[M | None]:
        async with self._services.db.read_session() as session:
            result = await session.scalars(select(self.model).where(self.model.id.in_(ids)))
            by_id: dict[uuid.UUID, M] = {row.id: row for row in result}  # type: ignore[misc,attr-defined]
        return [by_id.get(id_) for id_ in ids]


class UserByIdLoader(ModelByIdLoader[User]):
    model = User


class OrgByIdLoader(ModelByIdLoader[Org]):
    model = Org


class Loaders:
    """This request's loaders; add one attribute per ``<Thing>By<Key>Loader``."""

    def __init__(self, services: Services) -> None:
        self.user_by_id = UserByIdLoader(services)
        self.org_by_id = OrgByIdLoader(services)
