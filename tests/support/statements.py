"""Recording the SQL statements a piece of work sends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from workchat.db import sqlite_one_hop
from workchat.services import Services

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def recording(services: Services) -> Iterator[list[str]]:
    """Every statement sent on the read and write engines while inside."""
    statements: list[str] = []

    def before_cursor_execute(*args: Any) -> None:
        statements.append(" ".join(str(args[2]).split()))

    engines = {services.db.engine.sync_engine, services.db.write_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before_cursor_execute)


def queries(statements: list[str]) -> list[str]:
    """The statements that read or write data (SQLite's explicit BEGINs left out)."""
    return [s for s in statements if not s.upper().startswith(TRANSACTION_CONTROL)]


@contextmanager
def sqlite_statement_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[bool, str]]]:
    """(ran on this thread, first word) for every SQLite statement sent through SQLAlchemy's
    cursor while inside (statements ``workchat.db.direct_write`` sends itself do not)."""
    seen: list[tuple[bool, str]] = []
    here = threading.get_ident()
    original = sqlite_one_hop._run

    def recorded(conn: Any, operation: str, *args: Any) -> Any:
        seen.append((threading.get_ident() == here, operation.split()[0].upper()))
        return original(conn, operation, *args)

    monkeypatch.setattr(sqlite_one_hop, "_run", recorded)
    yield seen
