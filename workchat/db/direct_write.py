"""Hot-path write statements handed straight to SQLite, without SQLAlchemy's execution
machinery, where that is safe.

Inside the group committer's transaction a statement runs on the event loop's thread
(``workchat.db.sqlite_one_hop``): the sqlite3 call itself is a few µs, but going through
``AsyncSession.execute`` cost ~120 µs of CPU each (a greenlet switch, the ORM's execute
events, compiled-cache lookup, the execution context, the cursor adapter, the result
object). A post runs four such statements. ``execute_write`` runs a Core INSERT or UPDATE
from a precompiled plan instead: the SQL and parameter order compiled once per statement and
set of keys, each value through the bind processor SQLAlchemy itself would apply (UUIDs,
datetimes, JSON), the returned columns through their result processors. The rows written
are the same bytes the normal path writes.

It steps aside (the normal ``session.execute``) unless every condition holds:

- the session is a group-commit writer's and its statements run inline (the committer puts
  the sqlite3 connection in ``session.info``, only on SQLite);
- nobody listens for the engine's cursor events (tests count statements that way, and they
  see every statement then);
- the statement needs nothing done at execution time: no Python-side column defaults to
  fill in, no expanding IN parameters.

The writer's SAVEPOINT is opened lazily by the session on its first statement; the first
direct statement of a session asks the session for its connection first, so its rows are
inside that savepoint and a failing action still rolls back only its own writes. A database
error comes out as SQLAlchemy's exception (``IntegrityError`` and so on), as on the normal
path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import exc
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import UpdateBase

# session.info key: the sqlite3 connection a group-commit writer's statements run on inline.
RAW_SQLITE = "workchat.raw_sqlite"
# session.info key: set once the session's connection (and SAVEPOINT) is established.
_READY = "workchat.direct_ready"

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Plan:
    compiled: Any
    names: tuple[str, ...]
    processors: tuple[Processor, ...]
    # Result processors of the RETURNING columns; None without RETURNING.
    returning: tuple[Processor, ...] | None


# (statement, its parameters' keys) -> plan, or None where the normal path must run it.
# Callers pass module-level statements, so this stays small; the cap only guards against a
# caller that builds a new statement per call.
_plans: dict[tuple[UpdateBase, frozenset[str]], _Plan | None] = {}
MAX_PLANS = 512


def _make_plan(statement: UpdateBase, keys: frozenset[str], dialect: Dialect) -> _Plan | None:
    compiled: Any = statement.compile(dialect=dialect, column_keys=sorted(keys))
    if compiled.insert_prefetch or compiled.update_prefetch or compiled.positiontup is None:
        return None
    if any(bind.expanding for bind in compiled.binds.values()):
        return None
    names = tuple(compiled.positiontup)
    bind_processors = compiled._bind_processors
    processors = tuple(bind_processors.get(name) for name in names)
    returning = None
    if compiled.effective_returning:
        returning = tuple(
            column.type._cached_result_processor(dialect, None)
            for column in compiled.effective_returning
        )
    return _Plan(compiled, names, processors, returning)


def _plan(session: AsyncSession, statement: UpdateBase, keys: frozenset[str]) -> _Plan | None:
    key = (statement, keys)
    try:
        return _plans[key]
    except KeyError:
        if len(_plans) >= MAX_PLANS:
            _plans.clear()
        dialect = session.sync_session.get_bind().dialect
        plan = _plans[key] = _make_plan(statement, keys, dialect)
        return plan


def _arguments(plan: _Plan, values: Mapping[str, Any]) -> tuple[Any, ...]:
    params = plan.compiled.construct_params(values)
    return tuple(
        params[name] if processor is None else processor(params[name])
        for name, processor in zip(plan.names, plan.processors, strict=True)
    )


def _direct_connection(session: AsyncSession) -> sqlite3.Connection | None:
    raw: sqlite3.Connection | None = session.info.get(RAW_SQLITE)
    # Not after the writer's turn (its session's transaction is over; the connection may
    # already carry the next batch).
    if raw is None or not raw.in_transaction or not session.in_transaction():
        return None
    if session.sync_session.get_bind().dispatch.before_cursor_execute:
        return None  # someone observes statements: let them see this one
    return raw


async def execute_write(
    session: AsyncSession,
    statement: UpdateBase,
    values: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> list[tuple[Any, ...]]:
    """Run an INSERT, UPDATE or DELETE with ``values`` (one row's parameters, or a list of
    them for several rows, run in order); return the rows its RETURNING clause gives."""
    rows_of_values = [values] if isinstance(values, Mapping) else list(values)
    raw = _direct_connection(session) if rows_of_values else None
    plan = None
    if raw is not None:
        keys = frozenset(rows_of_values[0])
        plan = _plan(session, statement, keys)
    if plan is None or raw is None:
        result = cast(CursorResult[Any], await session.execute(statement, values))
        return [tuple(row) for row in result] if result.returns_rows else []
    if _READY not in session.info:
        await session.connection()  # the writer's SAVEPOINT, before its first row
        session.info[_READY] = True
    returned: list[tuple[Any, ...]] = []
    for row_values in rows_of_values:
        if row_values.keys() != keys:
            raise ValueError("every row of one execute_write call must have the same keys")
        arguments = _arguments(plan, row_values)
        try:
            cursor = raw.execute(plan.compiled.string, arguments)
            fetched = cursor.fetchall() if plan.returning is not None else ()
            cursor.close()
        except sqlite3.Error as error:
            raise exc.DBAPIError.instance(
                plan.compiled.string, arguments, error, sqlite3.Error, ismulti=False
            ) from error
        for fetched_row in fetched:
            assert plan.returning is not None
            returned.append(
                tuple(
                    value if processor is None else processor(value)
                    for value, processor in zip(fetched_row, plan.returning, strict=True)
                )
            )
    return returned
