"""Message loaders: by id, reaction summaries (viewer-aware) and reply pages per thread."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select

from workchat.actions.messages import SeqWindow
from workchat.actions.reactions import Summary, reaction_summaries
from workchat.db.models import Message
from workchat.graphql.loaders import Loader, ModelByIdLoader, ViewerLoader
from workchat.services import Services


class MessageByIdLoader(ModelByIdLoader[Message]):
    model = Message


class ReactionSummariesByMessageLoader(ViewerLoader[uuid.UUID, list[Summary]]):
    async def _load(self, message_ids: Sequence[uuid.UUID]) -> list[list[Summary]]:
        async with self._services.db.read_session() as session:
            summaries = await reaction_summaries(session, self._viewer().user_id, message_ids)
        return [summaries.get(message_id, []) for message_id in message_ids]


ReplyKey = tuple[uuid.UUID, SeqWindow]


class RepliesByThreadLoader(Loader[ReplyKey, tuple[list[Message], bool]]):
    """One query per distinct page window for all threads: ROW_NUMBER() per thread."""

    def __init__(self, services: Services) -> None:
        self._services = services
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[ReplyKey]) -> list[tuple[list[Message], bool]]:
        by_window: dict[SeqWindow, list[uuid.UUID]] = defaultdict(list)
        for thread_id, window in keys:
            by_window[window].append(thread_id)
        pages: dict[ReplyKey, tuple[list[Message], bool]] = {}
        async with self._services.db.read_session() as session:
            for window, thread_ids in by_window.items():
                order = Message.seq.desc() if window.from_end else Message.seq
                ranked = select(
                    Message.id,
                    func.row_number()
                    .over(partition_by=Message.thread_id, order_by=order)
                    .label("rank"),
                ).where(Message.thread_id.in_(thread_ids), Message.id != Message.thread_id)
                if window.after is not None:
                    ranked = ranked.where(Message.seq > window.after)
                if window.before is not None:
                    ranked = ranked.where(Message.seq < window.before)
                inner = ranked.subquery()
                rows = await session.execute(
                    select(Message, inner.c.rank)
                    .join(inner, inner.c.id == Message.id)
                    .where(inner.c.rank <= window.limit + 1)
                    .order_by(Message.thread_id, Message.seq)
                )
                grouped: dict[uuid.UUID, list[tuple[Message, int]]] = defaultdict(list)
                for message, rank in rows:
                    grouped[message.thread_id].append((message, rank))
                for thread_id in thread_ids:
                    ranked_rows = grouped.get(thread_id, [])
                    has_more = any(rank > window.limit for _, rank in ranked_rows)
                    kept = [m for m, rank in ranked_rows if rank <= window.limit]
                    pages[(thread_id, window)] = (kept, has_more)
        return [pages[key] for key in keys]
