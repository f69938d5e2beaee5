"""Recording the SQL statements a piece of work sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

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
