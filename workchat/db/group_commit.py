"""Group commit: one write transaction and one COMMIT (one fsync) for many actions.

SQLite has a single writer, so this process's writers queue anyway. Rather than each one
taking the file lock, running its statements and committing on its own, they take turns
(FIFO, ``asyncio.Lock``) inside one shared transaction, each in its own SAVEPOINT: an action
that fails rolls back only its savepoint and gets its own error. When the last writer in
line has run (or the batch is full), the transaction commits once; every writer of the batch
is answered only after that COMMIT succeeded (acknowledged = durable), and the batch's
after-commit hooks (event publishing) run first, in commit order.

A writer's session is its own (own identity map), bound to the shared connection with
``join_transaction_mode="create_savepoint"``: ``session.begin()`` is the SAVEPOINT.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

log = logging.getLogger(__name__)

# session.info key: async callables to run once the session's writes are committed.
AFTER_COMMIT = "workchat.after_commit"
MAX_BATCH = 64

AfterCommit = Callable[[], Awaitable[None]]

# The connection a writer of this task is using: a nested write joins it (its own savepoint)
# instead of queueing behind itself.
_current: ContextVar[AsyncConnection | None] = ContextVar("group_commit_conn", default=None)


def after_commit(session: AsyncSession, hook: AfterCommit) -> None:
    """Run ``hook`` after the transaction holding ``session``'s writes has committed."""
    session.info.setdefault(AFTER_COMMIT, []).append(hook)


async def run_hooks(hooks: list[AfterCommit]) -> None:
    for hook in hooks:
        try:
            await hook()
        except Exception:
            log.exception("an after-commit hook failed")


class BatchFailed(Exception):
    """The shared COMMIT failed: nothing of the batch was stored."""


class GroupCommitter:
    def __init__(self, engine: AsyncEngine, *, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._lock = asyncio.Lock()
        self._queued = 0  # writers waiting for their turn
        self._conn: AsyncConnection | None = None
        self._answers: list[asyncio.Future[None]] = []
        self._hooks: list[AfterCommit] = []

    def _session(self, conn: AsyncConnection) -> AsyncSession:
        return AsyncSession(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        joined = _current.get()
        if joined is not None:
            # Nested in another writer's turn: its own savepoint in the same transaction,
            # committed (and its hooks run) with the outer writer's batch.
            async with self._session(joined) as session:
                yield session
                self._hooks.extend(session.info.get(AFTER_COMMIT, ()))
            return
        answer: asyncio.Future[None] | None = None
        self._queued += 1
        try:
            await self._lock.acquire()
        finally:
            self._queued -= 1
        try:
            if self._conn is None:
                conn = await self._engine.connect()
                try:
                    await conn.begin()  # BEGIN IMMEDIATE (the engine's begin hook)
                except BaseException:
                    await conn.close()
                    raise
                self._conn = conn
            token = _current.set(self._conn)
            try:
                async with self._session(self._conn) as session:
                    yield session
                    answer = asyncio.get_running_loop().create_future()
                    self._answers.append(answer)
                    self._hooks.extend(session.info.get(AFTER_COMMIT, ()))
            finally:
                _current.reset(token)
        finally:
            try:
                if self._conn is not None and (
                    self._queued == 0 or len(self._answers) >= self._max_batch
                ):
                    # Shielded: a cancelled writer must not leave the batch half-committed.
                    await asyncio.shield(self._commit())
            finally:
                self._lock.release()
        assert answer is not None
        await answer  # raises BatchFailed when the COMMIT failed

    async def _commit(self) -> None:
        conn, answers, hooks = self._conn, self._answers, self._hooks
        assert conn is not None
        self._conn, self._answers, self._hooks = None, [], []
        try:
            await conn.commit()
        except Exception as exc:
            log.exception("group commit of %d writes failed", len(answers))
            for answer in answers:
                if not answer.done():
                    answer.set_exception(BatchFailed(str(exc)))
            return
        finally:
            await conn.close()
        await run_hooks(hooks)
        for answer in answers:
            if not answer.done():
                answer.set_result(None)

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await self._commit()
